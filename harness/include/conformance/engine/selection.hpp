// What a run checks: --include and --exclude, by clause-id glob (e.g. "cancel.*") or by
// operation (its full name, e.g. "DownloadSession.cancel", or a glob of it). A clause
// is left out when includes are given and none matches it (its id or its operation),
// or when an exclude matches it. An excluded operation is never generated, and its
// clauses are left out. A clause left out is tolerated (RunConfig::tolerated): its
// violations neither fail a sequence nor the run, and reports show it skipped with
// the reason.
#pragma once

#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "conformance/spec/spec.hpp"

namespace conformance::engine {

struct Selection {
  std::map<std::string, std::string> excluded_clauses;  // clause id -> why it is left out
  std::set<std::string> excluded_operations;            // full names
};

// Throws std::invalid_argument for a pattern that matches no clause id and no
// operation, or when every operation is excluded.
Selection select(const spec::Spec& spec, const std::vector<std::string>& include,
                 const std::vector<std::string>& exclude);

}  // namespace conformance::engine
