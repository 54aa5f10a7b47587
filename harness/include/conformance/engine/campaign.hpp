// The campaign: the one policy of a conformance run, used by the CLI, the kill
// matrix and the benchmark alike.
//   1. Regressions first: saved failures are replayed before anything new is generated.
//   2. Searches: runs of seed, seed+1, ... The first ends at its first failure; the
//      next ones tolerate the clauses already found (a sequence that violates one goes
//      on, and fails only on another clause), so that each distinct broken clause gets
//      its own shrunk minimal sequence. They go on until the budget is spent (the
//      run's passing sequences; with a time budget, the duration or the call budget)
//      or max_failures distinct clauses have failed; reports are checkpointed every
//      30 s meanwhile.
//   3. The flaky re-check: each failure's minimal sequence is replayed, then its seed
//      re-run (tolerating every other clause); a failure whose clause does not fail
//      again is reported as flaky, not as a failure.
//   4. Interruption: the stop flag (Ctrl-C, SIGTERM) ends the campaign within a
//      sequence step, with a result marked interrupted (never passed); no re-check.
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
  std::vector<std::string> after;  // clauses violated before its own: tolerated by a replay
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
  double duration_s = 0;  // > 0: rounds until this budget is spent
  long max_calls = 0;     // with duration_s: also end after this many calls (0 = none)
  // End once this many distinct clauses have failed (0 = no limit: keep going until the
  // budget is spent). 1 = stop at the first failure (--exit-first; the tools' default).
  int max_failures = 1;
  double checkpoint_every_s = 30;  // with duration_s: Checkpoint events this often
  bool recheck = true;             // re-check a failure (flaky or not)
  bool min_coverage = false;       // count the non-open clauses never reached
  // Sequences at once (workers.hpp): N processes forked for the searches, each with its own
  // connections, logins and model, rounds of seed + i*N + k for worker k. 1: no fork.
  int workers = 1;
  // Called in each worker process right after the fork, before it connects: a target of its
  // own for each worker (the embedded mock with a clock control, which is reset between
  // sequences, must not be shared). Required for workers > 1 on a virtual clock.
  std::function<void(RunConfig& run, int worker)> worker_setup;
};

struct CampaignResult {
  RunResult result;               // failures: reproduced (or could not be re-checked)
  std::vector<Failure> flaky;     // failures that did not reproduce
  int regressions_failing = 0;    // saved traces that still fail
  std::size_t never_reached = 0;  // with min_coverage
  bool internal_error() const { return result.failure_of("harness.internal") != nullptr; }
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
