// What every reporter says about a run besides its result.
#pragma once

#include <string>
#include <vector>

#include "conformance/engine/run.hpp"
#include "conformance/spec/spec.hpp"

namespace conformance::reports {

struct RunInfo {
  std::string target;  // "mock" or the URL
  std::string binding;
  std::string spec_file;
  std::string spec_sha256;
  std::string strictness;  // "inferred" | "documented"
  std::string version;
  std::string reproduce;  // one-line command that reproduces the run
  // Headers redacted besides the credentials: the binding's session header
  // (engine::secret_headers()). Reports never show their values.
  std::vector<std::string> secret_headers;
};

// The clause's verdict in a run: "passed", "failed", "skipped: <reason>".
std::string clause_status(const spec::Clause& clause, const engine::RunResult& result,
                          const std::string& strictness, std::string* reason = nullptr);

}  // namespace conformance::reports
