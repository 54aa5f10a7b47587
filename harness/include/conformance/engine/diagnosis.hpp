// Blame the first divergence: the minimal sequence of a failure replayed with read-backs
// (the instance read back by its owner, each owner's list) after every step that changes
// state, so that the clause named is the one broken first, not the one whose call noticed.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "conformance/engine/run.hpp"

namespace conformance::engine {

struct Diagnosis {
  int step = 0;         // 1-based step of the minimal sequence after which it diverged
  Violation violation;  // the clause broken there
  std::string detail;   // how it showed ("read back after step 2 with ...")
  // Tolerated clauses (already found, or left out of the run) that the replay, read-backs
  // included, violated before it diverged, on an instance the failing call acted on: the
  // failure may follow from them.
  std::vector<std::string> earlier;
};

// Replays `failure`'s minimal sequence on a fresh connection with read-backs. Returns the
// first divergence; nothing when the replay passes (a flaky failure) or the failure has no
// trace. An instance the target no longer knows before the expiration it stated (its last
// read expiration_time, less the clock tolerance) is always blamed on the lease's
// not-before clause. Throws TargetError when the target cannot be reached.
std::optional<Diagnosis> diagnose(const RunConfig& config, const Failure& failure);

// Runs diagnose() and, when it names another clause or an earlier step than the failing
// call, records it in `failure` (symptom, diagnosed_step, diagnosis; violation becomes the
// diagnosed one), and adds the tolerated clauses the replay broke first to
// `failure.after` (a violation that follows from a clause found before is grouped
// under it: reports' group_by_cause). A target gone meanwhile leaves the failure as it is.
void diagnose_failure(const RunConfig& config, Failure& failure);

}  // namespace conformance::engine
