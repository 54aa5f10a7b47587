// A fuzz with a share of parallel cases: sequences first, then parallel cases, one run.
#include "conformance/engine/fuzz_mix.hpp"

#include <algorithm>

#include "conformance/engine/recorder.hpp"

namespace conformance::engine {

namespace {

// Passes every event on except each part's start, end and interruption: the mix tells
// those once, for the whole run.
class PartReporter : public Reporter {
 public:
  explicit PartReporter(Reporter& out) : out_(out) {}
  void regressions_started(const RegressionsStarted& e) override { out_.regressions_started(e); }
  void replay_started(const ReplayStarted& e) override { out_.replay_started(e); }
  void replay_finished(const ReplayFinished& e) override { out_.replay_finished(e); }
  void regressions_finished(const RegressionsFinished& e) override { out_.regressions_finished(e); }
  void sequence_started(const SequenceStarted& e) override { out_.sequence_started(e); }
  void sequence_finished(const SequenceFinished& e) override { out_.sequence_finished(e); }
  void call_checked(const CallChecked& e) override { out_.call_checked(e); }
  void failure_found(const FailureFound& e) override { out_.failure_found(e); }
  void shrink_step(const ShrinkStep& e) override { out_.shrink_step(e); }
  void parallel_failure_found(const ParallelFailureFound& e) override {
    out_.parallel_failure_found(e);
  }
  void recheck_done(const RecheckDone& e) override { out_.recheck_done(e); }
  void checkpoint(const Checkpoint& e) override { out_.checkpoint(e); }

 private:
  Reporter& out_;
};

}  // namespace

CampaignResult run_fuzz_with_parallel_share(const CampaignConfig& config,
                                            const ParallelOptions& options, double share,
                                            Reporter& reporter) {
  share = std::clamp(share, 0.0, 1.0);
  reporter.run_started({config.run, config.duration_s});
  PartReporter part(reporter);
  auto started = Clock::now();

  CampaignConfig sequences = config;
  sequences.duration_s = config.duration_s * (1 - share);
  CampaignResult out = share < 1 ? run_campaign(sequences, part) : CampaignResult{};
  RunResult& total = out.result;
  // The campaign raises the stop flag when its duration is spent too: only its result says
  // whether the user stopped it.
  const bool stopped = total.interrupted;
  const bool spent_otherwise =
      (config.max_failures > 0 && static_cast<int>(total.failures.size()) >= config.max_failures) ||
      (config.max_calls > 0 && total.calls >= config.max_calls);
  if (share > 0 && !stopped && !spent_otherwise && !total.aborted && !out.internal_error()) {
    if (config.run.stop) config.run.stop->store(false);  // the sequential part's end
    CampaignConfig cases = config;
    cases.regressions.clear();  // replayed once, by the sequential part
    // What the sequences found is tolerated, and counts towards max_failures.
    for (const auto& f : total.failures)
      cases.run.tolerated.insert(f.violation.clause);
    for (const auto& f : out.flaky)
      cases.run.tolerated.insert(f.violation.clause);
    if (config.max_failures > 0)
      cases.max_failures = config.max_failures - static_cast<int>(total.failures.size());
    cases.duration_s = std::max(1.0, config.duration_s - seconds_since(started));
    CampaignResult p = run_parallel(cases, options, part);
    for (auto& f : p.result.failures)
      if (!total.failure_of(f.violation.clause)) total.failures.push_back(std::move(f));
    for (auto& f : p.flaky)
      out.flaky.push_back(std::move(f));
    merge(total.coverage, p.result.coverage);
    total.sequences += p.result.sequences;
    total.calls += p.result.calls;
    total.parallel = p.result.parallel;
    total.interrupted = total.interrupted || p.result.interrupted;
    if (total.ended_early.empty()) total.ended_early = p.result.ended_early;
  }
  total.seconds = seconds_since(started);
  total.passed = total.failures.empty() && !total.interrupted;
  if (total.interrupted) reporter.interrupted({total});
  reporter.run_finished({total, out.flaky, config.min_coverage, out.never_reached});
  return out;
}

}  // namespace conformance::engine
