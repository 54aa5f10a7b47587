// The campaign: the one policy of a conformance run, used by the CLI, the kill
// matrix and the benchmark alike.
//   1. Regressions first: saved failures are replayed before anything new is generated.
//   2. Rounds: one run, or (with a time budget) runs of seed, seed+1, ... until the
//      budget or the call budget is spent, or a round fails; reports are checkpointed
//      every 30 s meanwhile.
//   3. The flaky re-check: a failure's minimal sequence is replayed, then its seed
//      re-run; a failure that does not reproduce is reported as flaky, not as a failure.
//   4. Interruption: the stop flag (Ctrl-C) ends the campaign cleanly, with a result.
// Everything the campaign does is told to a Reporter (events.hpp).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "conformance/engine/events.hpp"
#include "conformance/engine/run.hpp"

namespace conformance::engine {

// A saved failure, as far as replaying it goes (the file format is the reporters':
// reports/trace_file.hpp).
struct SavedTrace {
  std::string path;
  std::string spec_sha256;  // of the spec it was recorded with
  std::string clause;       // the clause it broke
  std::vector<nlohmann::json> commands;
};

// A saved trace that cannot be replayed (unreadable, or a command the spec or the
// profile does not know): the message names the file.
class BadTrace : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct CampaignConfig {
  RunConfig run;            // its seed is the first round's; run.stop ends the campaign
  std::string regressions;  // directory of saved traces to replay first ("" = none)
  std::function<SavedTrace(const std::string& path)> load_trace;  // throws BadTrace
  double duration_s = 0;           // > 0: rounds until this budget is spent
  long max_calls = 0;              // with duration_s: also end after this many calls (0 = none)
  double checkpoint_every_s = 30;  // with duration_s: Checkpoint events this often
  bool recheck = true;             // re-check a failure (flaky or not)
  bool min_coverage = false;       // count the non-open clauses never reached
};

struct CampaignResult {
  RunResult result;               // failure: reproduced (or could not be re-checked)
  std::vector<Failure> flaky;     // failures that did not reproduce
  int regressions_failing = 0;    // saved traces that still fail
  std::size_t never_reached = 0;  // with min_coverage
  bool internal_error() const {
    return result.failure && result.failure->violation.clause == "harness.internal";
  }
};

// Runs the campaign. Throws TargetError when the target cannot be reached, BadTrace
// for a regression that cannot be replayed.
CampaignResult run_campaign(const CampaignConfig& config, Reporter& reporter);

// Replays one saved trace against config's target; tells the reporter
// (ReplayStarted, ReplayFinished). Returns whether it still fails. Throws BadTrace,
// TargetError.
bool replay_saved(const RunConfig& config, const SavedTrace& trace, Reporter& reporter);

// The saved traces (*.json) of a directory, sorted; none if it is not a directory.
std::vector<std::string> saved_traces(const std::string& dir);

}  // namespace conformance::engine
