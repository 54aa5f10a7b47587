// The plain-text summary printed at the end of a run.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "conformance/engine/events.hpp"
#include "conformance/reports/run_info.hpp"

namespace conformance::reports {

// The console: saved traces replayed (still failing or fixed), a failure that could not
// be re-checked, and at the end the summary (write_console), flaky failures, where the
// trace was saved, an abort, clauses never reached (--min-coverage).
class ConsoleReporter : public engine::Reporter {
 public:
  // `traces_dir`: where failures are saved ("" = not saved).
  ConsoleReporter(std::ostream& out, const spec::Spec& spec, const RunInfo& info,
                  std::string traces_dir = "");
  // The seed, target and budget, before anything else.
  void run_started(const engine::RunStarted& e) override;
  void regressions_started(const engine::RegressionsStarted& e) override;
  void replay_started(const engine::ReplayStarted& e) override;
  void replay_finished(const engine::ReplayFinished& e) override;
  void regressions_finished(const engine::RegressionsFinished& e) override;
  void parallel_failure_found(const engine::ParallelFailureFound& e) override;
  void recheck_done(const engine::RecheckDone& e) override;
  void run_finished(const engine::RunFinished& e) override;

 private:
  std::ostream& out_;
  const spec::Spec& spec_;
  const RunInfo& info_;
  std::string traces_dir_;
};

// The summary: clauses and their verdicts, the coverage matrix, every failure (its
// clause's summary, minimal sequence, the failing call as a curl command, its trace file
// under `traces_dir` when set), and the verdict (PASSED, FAILED, INCOMPLETE).
void write_console(std::ostream& out, const spec::Spec& spec, const engine::RunResult& result,
                   const RunInfo& info, const std::vector<engine::Failure>* flaky = nullptr,
                   const std::string& traces_dir = "");
// A failure's minimal sequence as readable HTTP exchanges.
void write_trace(std::ostream& out, const engine::Failure& failure);

}  // namespace conformance::reports
