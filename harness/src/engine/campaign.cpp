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
#include "conformance/engine/workers.hpp"

namespace conformance::engine {

namespace {

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
    double elapsed = seconds_since(started_);
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
    shown.failures = static_cast<int>(before_.failures.size()) + (e.progress.failures > 0);
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

// The lease probe's failure, once it failed (else null).
const Failure* probe_failure(const RunConfig& cfg) {
  return cfg.lease_probe ? cfg.lease_probe->failed_with() : nullptr;
}

// A failure found by one search, counted from the campaign's start.
Failure campaign_relative(Failure f, const RunResult& before, double search_started_s) {
  f.sequences_before += before.sequences;
  f.calls_to_first += before.calls;
  f.seconds_to_first += search_started_s;
  return f;
}

}  // namespace

// Searches: ordinary runs of seed, seed+1, ... The first ends at its first failure (or
// when its sequences passed); unless max_failures distinct clauses have failed, the
// next starts, tolerating the clauses found so far (a sequence that violates one goes
// on and fails only on another clause), until the budget is spent: the run's
// passing sequences, or (with a time budget) the duration, rounds after rounds, so
// that sequence lengths keep growing within each round as in a normal run.
// A worker (plan.workers > 1) runs rounds seed + i*workers + worker, its share of the
// passing sequences, and no checkpoints (its parent writes them).
RunResult search_rounds(const CampaignConfig& c, RunConfig& cfg, Reporter& reporter,
                        const RoundsPlan& plan, bool& calls_spent) {
  const auto started = plan.started;
  const bool timed = c.duration_s > 0;
  RunResult total;
  total.seed = cfg.seed;
  // Passing sequences still wanted (untimed): a worker's share.
  int remaining = cfg.sequences / plan.workers + (plan.worker < cfg.sequences % plan.workers);
  auto last_checkpoint = started;
  auto found = [&] { return plan.found ? plan.found() : static_cast<int>(total.failures.size()); };
  for (std::uint64_t i = 0; !*cfg.stop; ++i) {
    if (timed && seconds_since(started) >= c.duration_s) break;
    if (!timed && i > 0 && remaining <= 0) break;
    RoundReporter round(reporter, c, *cfg.stop, started, total, calls_spent);
    RunConfig rc = cfg;
    rc.seed = cfg.seed + i * static_cast<std::uint64_t>(plan.workers) +
              static_cast<std::uint64_t>(plan.worker);
    rc.events = &round;
    if (!timed) rc.sequences = remaining;
    for (const auto& f : total.failures)
      rc.tolerated.insert(f.violation.clause);
    if (plan.found_clauses)
      for (const auto& clause : plan.found_clauses())
        rc.tolerated.insert(clause);
    if (const Failure* f = probe_failure(cfg)) rc.tolerated.insert(f->violation.clause);
    double search_started_s = seconds_since(started);
    RunResult r;
    try {
      r = run(rc);
    } catch (const TargetError& e) {
      if (total.failures.empty()) throw;
      // Gone after a failure (it may be why the run failed): what was found stands.
      total.ended_early = std::string("the target could not be reached again: ") + e.what();
      break;
    }
    for (const auto& f : r.failures)
      total.failures.push_back(campaign_relative(f, total, search_started_s));
    merge(total.coverage, r.coverage);
    total.sequences += r.sequences;
    total.calls += r.calls;
    if (plan.after_round) plan.after_round();
    if (!timed) remaining -= r.failures.empty() ? r.sequences : r.failures.front().sequences_before;
    if (r.aborted ||
        (!r.failures.empty() && r.failures.front().violation.clause == "harness.internal")) {
      total.aborted = r.aborted;
      break;
    }
    // The lease probe's failure (taken after, by finish_searches) ended this round, unless
    // it was tolerated already; it counts as one more clause, and the next rounds tolerate it.
    const Failure* pf = probe_failure(cfg);
    const bool probe_ended_round = pf && !rc.tolerated.count(pf->violation.clause);
    if (c.max_failures > 0 &&
        found() + (pf && !total.failure_of(pf->violation.clause) ? 1 : 0) >= c.max_failures)
      break;
    // Its sequences passed: the budget is spent.
    if (!timed && r.failures.empty() && !probe_ended_round) break;
    if (plan.workers == 1 && timed && seconds_since(last_checkpoint) >= c.checkpoint_every_s) {
      last_checkpoint = Clock::now();
      RunResult partial = total;
      partial.seconds = seconds_since(started);
      partial.passed = partial.failures.empty();
      partial.interrupted = true;
      reporter.checkpoint({partial});
    }
  }
  return total;
}

void finish_searches(const CampaignConfig& c, RunConfig& cfg, RunResult& total, LeaseProbe& probe,
                     Clock::time_point started, bool calls_spent, bool stopped) {
  const bool timed = c.duration_s > 0;
  // A short lease (a probe cycle of 10 s or less) is checked once even by a short run.
  if (total.failures.empty() && !total.aborted && !stopped) probe.await_first_cycle(10);
  cfg.lease_probe.reset();
  probe.stop();
  merge(total.coverage, probe.coverage());
  total.lease_probes = probe.summary();
  if (probe.failure() && !total.failure_of(probe.failure()->violation.clause)) {
    total.failures.push_back(*probe.failure());
    diagnose_failure(cfg, total.failures.back());
  }
  total.seconds = seconds_since(started);
  total.passed = total.failures.empty();
  // A timed run is reproduced from the round of its first failure.
  if (timed && !total.failures.empty()) total.seed = cfg.seed = total.failures.front().seed;
  // Stopped before the budget was spent (Ctrl-C, SIGTERM): the run is incomplete.
  bool failures_spent =
      c.max_failures > 0 && static_cast<int>(total.failures.size()) >= c.max_failures;
  total.interrupted = (stopped && !calls_spent && !failures_spent && !total.aborted &&
                       (!timed || total.seconds < c.duration_s)) ||
                      !total.ended_early.empty();
}

namespace {

RunResult searches(const CampaignConfig& c, RunConfig& cfg, Reporter& reporter) {
  RoundsPlan plan;
  plan.started = Clock::now();
  if (!cfg.shared_ids) cfg.shared_ids = std::make_shared<SharedIds>();
  if (c.workers > 1) return worker_searches(c, cfg, reporter, plan.started);
  bool calls_spent = false;
  // One lease probe for every search (started by the first): a long session timeout needs
  // longer than a round.
  auto probe = std::make_shared<LeaseProbe>(cfg, cfg.shared_ids);
  cfg.lease_probe = probe;
  RunResult total = search_rounds(c, cfg, reporter, plan, calls_spent);
  finish_searches(c, cfg, total, *probe, plan.started, calls_spent, *cfg.stop);
  return total;
}

// Replays a failure's minimal sequence, then re-runs its seed (without shrinking),
// both tolerating every other clause: it reproduces when its clause fails again.
// Not after an abort at a transport error (nothing more is sent to the target then),
// nor after an interruption.
void recheck(const RunConfig& cfg, CampaignResult& out, Reporter& reporter) {
  RunResult& result = out.result;
  if (result.aborted || result.interrupted || out.internal_error()) return;
  std::vector<Failure> kept;
  for (auto& f : result.failures) {
    if (f.trace.empty() || f.preexisting) {
      kept.push_back(std::move(f));
      continue;
    }
    RunConfig quiet = cfg;
    quiet.events = nullptr;
    for (const auto* clause : cfg.spec->clauses())
      if (clause->id != f.violation.clause) quiet.tolerated.insert(clause->id);
    bool reproduced = true;
    std::string error;
    try {
      auto again_replayed = replay(quiet, commands_of(f)).failure;
      reproduced = again_replayed && again_replayed->violation.clause == f.violation.clause;
      if (!reproduced) {
        RunConfig again = quiet;
        again.shrink = false;
        again.seed = f.seed;
        const Failure* rerun = nullptr;
        RunResult r = run(again);
        rerun = r.failure();
        reproduced = rerun && rerun->violation.clause == f.violation.clause;
      }
    } catch (const TargetError& e) {
      // The target is gone (it may be why the run failed): the finding stands.
      error = e.what();
    }
    reporter.recheck_done({f, reproduced, error});
    if (reproduced)
      kept.push_back(std::move(f));
    else
      out.flaky.push_back(std::move(f));
  }
  result.failures = std::move(kept);
  result.passed = result.failures.empty();
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
  quiet.tolerated.insert(t.after.begin(), t.after.end());
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
      if (*cfg.stop) break;
      if (!c.load_trace) throw BadTrace(path + ": no trace loader");
      if (replay_saved(cfg, c.load_trace(path), reporter)) ++out.regressions_failing;
    }
    reporter.regressions_finished({});
  }

  out.result = searches(c, cfg, reporter);
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
