// The engine's event stream. The engine knows nothing about output: it tells a
// Reporter what happens (a run starts, sequences start and finish, calls are checked,
// a failure is found and shrunk, a failure is re-checked, saved traces are replayed,
// the run ends), and reporters (console, progress line, JUnit, Markdown, DOT, trace
// files: reports/) turn that into output. One virtual method per event, each with an
// empty default, as Catch2's IEventListener; a MultiReporter fans out to several.
//
// Events carry references: valid during the call only. A reporter that keeps
// something copies it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "conformance/engine/run.hpp"

namespace conformance::engine {

// A campaign starts (campaign.hpp): after the target was reached.
struct RunStarted {
  const RunConfig& config;
  double duration_s = 0;  // > 0: rounds until this budget is spent (fuzz)
};

// Saved traces are about to be replayed (--regressions DIR), before the run.
struct RegressionsStarted {
  const std::string& dir;
  std::size_t count = 0;
};
// One saved trace is about to be replayed (a regression or `conformance replay`).
struct ReplayStarted {
  const std::string& path;
  const std::string& recorded_spec_sha256;  // of the spec the trace was recorded with
  const std::string& spec_sha256;           // of the spec now
};
// It was replayed: `failure` set when it still fails.
struct ReplayFinished {
  const std::string& path;
  const std::string& recorded_clause;  // the clause it broke when recorded
  const std::optional<Failure>& failure;
};
struct RegressionsFinished {};

// A generated sequence starts (also each candidate tried while shrinking).
struct SequenceStarted {
  std::uint64_t seed = 0;
  bool shrinking = false;
};
// A sequence passed.
struct SequenceFinished {
  const Progress& progress;
};
// One call was sent and its answer judged.
struct CallChecked {
  const Call& call;
  const CallVerdict& verdict;
  int status = 0;  // HTTP status of the (first) answer; 0: no answer
};
// The first failing sequence of a run (before shrinking).
struct FailureFound {
  const Failure& failure;
};
// A smaller failing sequence was found while shrinking.
struct ShrinkStep {
  const Failure& failure;
};
// A parallel case failed (parallel.hpp): shrunk and confirmed, `failure` names the clause
// no interleaving could satisfy and carries the history's timeline; `confirmed` is false when
// none of its re-runs failed again (it is then reported as flaky).
struct ParallelFailureFound {
  const Failure& failure;
  bool confirmed = true;
};
// A failure was re-checked (its minimal sequence replayed, then its seed re-run).
struct RecheckDone {
  const Failure& failure;
  bool reproduced = true;
  std::string error;  // set: could not be re-checked (the target is gone); the finding stands
};
// Reports so far, during a long run (fuzz): the result up to now, marked interrupted.
struct Checkpoint {
  const RunResult& partial;
};
// The run was stopped early (Ctrl-C, SIGTERM).
struct Interrupted {
  const RunResult& result;
};
// The run ended.
struct RunFinished {
  const RunResult& result;
  const std::vector<Failure>& flaky;  // failures seen once that did not reproduce
  bool min_coverage = false;          // --min-coverage asked
  std::size_t never_reached = 0;      // non-open clauses never reached
};

class Reporter {
 public:
  virtual ~Reporter() = default;
  virtual void run_started(const RunStarted&) {}
  virtual void regressions_started(const RegressionsStarted&) {}
  virtual void replay_started(const ReplayStarted&) {}
  virtual void replay_finished(const ReplayFinished&) {}
  virtual void regressions_finished(const RegressionsFinished&) {}
  virtual void sequence_started(const SequenceStarted&) {}
  virtual void sequence_finished(const SequenceFinished&) {}
  virtual void call_checked(const CallChecked&) {}
  virtual void failure_found(const FailureFound&) {}
  virtual void shrink_step(const ShrinkStep&) {}
  virtual void parallel_failure_found(const ParallelFailureFound&) {}
  virtual void recheck_done(const RecheckDone&) {}
  virtual void checkpoint(const Checkpoint&) {}
  virtual void interrupted(const Interrupted&) {}
  virtual void run_finished(const RunFinished&) {}
};

// Fans every event out to its reporters, in the order they were added.
class MultiReporter : public Reporter {
 public:
  void add(Reporter& r) { reporters_.push_back(&r); }
  bool empty() const { return reporters_.empty(); }

  void run_started(const RunStarted& e) override;
  void regressions_started(const RegressionsStarted& e) override;
  void replay_started(const ReplayStarted& e) override;
  void replay_finished(const ReplayFinished& e) override;
  void regressions_finished(const RegressionsFinished& e) override;
  void sequence_started(const SequenceStarted& e) override;
  void sequence_finished(const SequenceFinished& e) override;
  void call_checked(const CallChecked& e) override;
  void failure_found(const FailureFound& e) override;
  void shrink_step(const ShrinkStep& e) override;
  void parallel_failure_found(const ParallelFailureFound& e) override;
  void recheck_done(const RecheckDone& e) override;
  void checkpoint(const Checkpoint& e) override;
  void interrupted(const Interrupted& e) override;
  void run_finished(const RunFinished& e) override;

 private:
  std::vector<Reporter*> reporters_;
};

}  // namespace conformance::engine
