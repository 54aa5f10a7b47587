// The campaign policy: regressions, rounds, budgets, checkpoints, the flaky re-check.
#include "conformance/engine/campaign.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "conformance/engine/diagnosis.hpp"
#include "conformance/engine/driver.hpp"
#include "conformance/engine/lease_probe.hpp"
#include "conformance/engine/recorder.hpp"
#include "conformance/engine/replay.hpp"

namespace conformance::engine {

namespace {

double since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// Passes one round's events on, its progress counted from the campaign's start (the
// rounds before added), and ends the round (config.stop) once a budget is spent.
class RoundReporter : public Reporter {
 public:
  RoundReporter(Reporter& out, const CampaignConfig& c, std::atomic<bool>& stop,
                Clock::time_point started, const RunResult& before, bool& calls_spent)
      : out_(out),
        c_(c),
        stop_(stop),
        started_(started),
        before_(before),
        calls_spent_(calls_spent) {}

  void sequence_started(const SequenceStarted& e) override { out_.sequence_started(e); }
  void sequence_finished(const SequenceFinished& e) override {
    double elapsed = since(started_);
    if (c_.duration_s > 0) {
      if (elapsed >= c_.duration_s) stop_ = true;
      if (c_.max_calls > 0 && before_.calls + e.progress.calls >= c_.max_calls) {
        calls_spent_ = true;
        stop_ = true;
      }
    }
    Progress shown = e.progress;
    shown.sequences += before_.sequences;
    shown.calls += before_.calls;
    shown.seconds = elapsed;
    out_.sequence_finished({shown});
  }
  void call_checked(const CallChecked& e) override { out_.call_checked(e); }
  void failure_found(const FailureFound& e) override { out_.failure_found(e); }
  void shrink_step(const ShrinkStep& e) override { out_.shrink_step(e); }

 private:
  Reporter& out_;
  const CampaignConfig& c_;
  std::atomic<bool>& stop_;
  Clock::time_point started_;
  const RunResult& before_;
  bool& calls_spent_;
};

// One run, or rounds of ordinary runs (seed, seed+1, ...) until the budget is spent,
// so that sequence lengths keep growing within each round as in a normal run.
// `cfg.seed` becomes the seed of the failing round.
RunResult rounds(const CampaignConfig& c, RunConfig& cfg, Reporter& reporter) {
  auto started = Clock::now();
  bool calls_spent = false;
  RunResult total;
  total.seed = cfg.seed;
  if (c.duration_s <= 0) {
    RoundReporter round(reporter, c, *cfg.stop, started, total, calls_spent);
    RunConfig rc = cfg;
    rc.events = &round;
    return run(rc);
  }
  // One lease probe for every round (started by the first): a long session timeout needs
  // longer than a round.
  auto probe = std::make_shared<LeaseProbe>(cfg, std::make_shared<SharedIds>());
  cfg.lease_probe = probe;
  auto last_checkpoint = started;
  for (std::uint64_t i = 0; !*cfg.stop && since(started) < c.duration_s; ++i) {
    RoundReporter round(reporter, c, *cfg.stop, started, total, calls_spent);
    RunConfig rc = cfg;
    rc.seed = cfg.seed + i;
    rc.events = &round;
    RunResult r = run(rc);
    merge(total.coverage, r.coverage);
    total.sequences += r.sequences;
    total.calls += r.calls;
    if (r.failure) {
      total.failure = r.failure;
      total.aborted = r.aborted;
      total.seed = rc.seed;
      cfg.seed = rc.seed;
      break;
    }
    if (probe->failed()) break;
    if (since(last_checkpoint) >= c.checkpoint_every_s) {
      last_checkpoint = Clock::now();
      RunResult partial = total;
      partial.seconds = since(started);
      partial.passed = true;
      partial.interrupted = true;
      reporter.checkpoint({partial});
    }
  }
  cfg.lease_probe.reset();
  probe->stop();
  merge(total.coverage, probe->coverage());
  total.lease_probes = probe->summary();
  if (!total.failure && probe->failure()) {
    total.failure = probe->failure();
    diagnose_failure(cfg, *total.failure);
  }
  total.seconds = since(started);
  total.passed = !total.failure;
  total.interrupted = *cfg.stop && total.seconds < c.duration_s && !calls_spent;
  return total;
}

// Replays the failure's minimal sequence, then re-runs its seed (without shrinking).
// Not after an abort at a transport error: nothing more is sent to the target then.
void recheck(const RunConfig& cfg, CampaignResult& out, Reporter& reporter) {
  RunResult& result = out.result;
  if (!result.failure || out.internal_error() || result.failure->trace.empty() || result.aborted)
    return;
  RunConfig quiet = cfg;
  quiet.events = nullptr;
  bool reproduced = true;
  std::string error;
  try {
    reproduced = replay(quiet, commands_of(*result.failure)).failure.has_value();
    if (!reproduced) {
      RunConfig again = quiet;
      again.shrink = false;
      reproduced = !run(again).passed;
    }
  } catch (const TargetError& e) {
    // The target is gone (it may be why the run failed): the finding stands.
    error = e.what();
  }
  reporter.recheck_done({*result.failure, reproduced, error});
  if (!reproduced) {
    out.flaky.push_back(*result.failure);
    result.failure.reset();
    result.passed = true;
  }
}

}  // namespace

std::vector<std::string> saved_traces(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return out;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.path().extension() == ".json") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

bool replay_saved(const RunConfig& config, const SavedTrace& t, Reporter& reporter) {
  reporter.replay_started({t.path, t.spec_sha256, config.spec->sha256});
  RunConfig quiet = config;
  quiet.events = nullptr;
  ReplayResult r;
  try {
    r = replay(quiet, t.commands);
  } catch (const std::invalid_argument& e) {
    throw BadTrace(t.path + ": " + e.what());
  }
  reporter.replay_finished({t.path, t.clause, r.failure});
  return r.failure.has_value();
}

CampaignResult run_campaign(const CampaignConfig& c, Reporter& reporter) {
  RunConfig cfg = c.run;
  std::atomic<bool> own_stop{false};
  if (!cfg.stop) cfg.stop = &own_stop;
  reporter.run_started({cfg, c.duration_s});
  CampaignResult out;

  if (!c.regressions.empty()) {
    auto paths = saved_traces(c.regressions);
    reporter.regressions_started({c.regressions, paths.size()});
    for (const auto& path : paths) {
      if (!c.load_trace) throw BadTrace(path + ": no trace loader");
      if (replay_saved(cfg, c.load_trace(path), reporter)) ++out.regressions_failing;
    }
    reporter.regressions_finished({});
  }

  out.result = rounds(c, cfg, reporter);
  if (c.recheck) recheck(cfg, out, reporter);
  if (out.result.interrupted) reporter.interrupted({out.result});
  if (c.min_coverage)
    for (const auto* clause : cfg.spec->clauses())
      if (!out.result.coverage.clauses.count(clause->id) &&
          clause->provenance != spec::Provenance::open)
        ++out.never_reached;
  reporter.run_finished({out.result, out.flaky, c.min_coverage, out.never_reached});
  return out;
}

}  // namespace conformance::engine
