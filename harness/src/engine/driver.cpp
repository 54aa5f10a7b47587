// The RapidCheck driver: rc::state drives the commands generated from the spec.
#include "conformance/engine/driver.hpp"

#include <rapidcheck.h>
#include <rapidcheck/detail/Configuration.h>
#include <rapidcheck/state.h>

#include <iostream>
#include <sstream>

#include "conformance/engine/cleanup.hpp"
#include "conformance/engine/commands.hpp"
#include "conformance/engine/diagnosis.hpp"
#include "conformance/engine/events.hpp"
#include "conformance/engine/generation.hpp"
#include "conformance/engine/lease_probe.hpp"

namespace conformance::engine {

namespace {

class Listener : public rc::detail::TestListener {
 public:
  void onTestCaseFinished(const rc::detail::CaseDescription&) override {}
  void onShrinkTried(const rc::detail::CaseDescription&, bool) override {}
  void onTestFinished(const rc::detail::TestMetadata&, const rc::detail::TestResult&) override {}
};

// RapidCheck announces its own (unused) configuration on stderr when first asked for
// it; our parameters come from the RunConfig, so keep it quiet.
void quiet_configuration() {
  std::ostringstream sink;
  auto* old = std::cerr.rdbuf(sink.rdbuf());
  rc::detail::configuration();
  std::cerr.rdbuf(old);
}

Failure internal_failure(const std::string& where, const std::string& what, std::uint64_t seed) {
  Failure f;
  f.violation = {"harness.internal", "", where, what};
  f.seed = seed;
  return f;
}

// The plan without the operations left out (--exclude); at least one must remain.
GenPlan without(GenPlan plan, const std::set<std::string>& excluded) {
  GenPlan kept;
  kept.negatives = std::move(plan.negatives);
  for (std::size_t i = 0; i < plan.ops.size(); ++i)
    if (!excluded.count(plan.ops[i]->full_name)) {
      kept.ops.push_back(plan.ops[i]);
      kept.facts.push_back(std::move(plan.facts[i]));
    }
  if (kept.ops.empty()) throw std::invalid_argument("every operation is excluded");
  return kept;
}

}  // namespace

RunResult run(const RunConfig& config) {
  const spec::Spec& spec = *config.spec;
  Target target = open_target(config);
  // On the wall clock: expiry checked in the background (started after the pre-existing
  // check), by the run's own probe or by one that outlives it (a fuzz's rounds).
  std::shared_ptr<LeaseProbe> owned;
  if (!config.lease_probe)
    owned = std::make_shared<LeaseProbe>(
        config, config.shared_ids ? config.shared_ids : std::make_shared<SharedIds>());
  LeaseProbe& probe = config.lease_probe ? *config.lease_probe : *owned;
  target.share_ids(probe.ids());
  Recorder rec;
  Progress progress;
  progress.clauses_total = spec.clauses().size();
  const GenPlan plan = without(make_plan(spec, target.binding()), config.excluded_operations);

  // A sequence that is not run never passes. Once the run is asked to stop, every
  // sequence "fails" at once without sending anything (RC_FAIL, not RC_DISCARD: a search
  // of N sequences would otherwise give up only after 10 N discards); such a failure is
  // not reported (only rec.last, a real failure, is), and while shrinking a real one
  // the smallest found so far stands.
  auto stopped = [&] { return config.stop && config.stop->load(); };
  auto property = [&] {
    if (stopped()) RC_FAIL("stopped");
    // The probe's failure ends the run; a campaign's next rounds tolerate its clause and go
    // on (campaign.cpp).
    const Failure* probe_failure = probe.failed_with();
    if (probe.failed() &&
        !(probe_failure && config.tolerated.count(probe_failure->violation.clause)))
      RC_FAIL("a lease probe failed");
    // Aborted at a transport error: no shrink candidate is tried, so the first
    // failure is reported as found, and nothing more is sent.
    if (rec.aborted) RC_DISCARD("stopped at a transport error");
    // Once the shrink budget is spent no further candidate is tried, so RapidCheck
    // settles on the smallest failure found so far.
    if (rec.first_failure_at &&
        std::chrono::duration<double>(Clock::now() - *rec.first_failure_at).count() >
            config.shrink_budget_s)
      RC_DISCARD("shrink budget spent");
    if (config.events) config.events->sequence_started({config.seed, rec.first.has_value()});
    Sut sut = begin_sequence(target, config, rec);
    Model m0 = initial_model(spec, config.profile, config.strictness);
    // On the wall clock a time step is a real wait: one sequence in ten waits, at most twice
    // (the lease probes check expiry meanwhile), and a failure that needs no wait shrinks to
    // a sequence that draws none.
    // The first tenth of the sequences (by RapidCheck's size, which a shrink keeps) never
    // wait: what needs no time is found first.
    if (!config.profile.virtual_clock()) {
      int early = std::max(1, config.max_steps / 10);
      m0.waits = *rc::gen::withSize([early](int size) {
        return size < early ? rc::gen::just(0) : rc::gen::weightedElement<int>({{9, 0}, {1, 2}});
      });
    }
    try {
      rc::state::check(m0, sut, [&plan](const Model& m) { return gen_command(m, plan); });
      clean_up_sequence(sut);
    } catch (const SequenceFailed& f) {
      RC_FAIL(f.what());
    } catch (const SequenceStopped&) {
      RC_FAIL("stopped");
    }
    ++rec.sequences;
    // The lease probe starts once a sequence passed: none on a target that fails (or
    // aborts) at once.
    if (!rec.first && !rec.aborted) probe.start();
    if (config.events) {
      progress.sequences = rec.sequences;
      progress.calls = rec.calls;
      progress.seconds = rec.seconds();
      progress.failures = rec.failing_runs;
      progress.clauses_reached = rec.coverage.clauses.size();
      progress.coverage = &rec.coverage;
      config.events->sequence_finished({progress});
    }
  };

  // Without a reset: the instances there before the run are checked first.
  if (auto f = config.preexisting ? std::nullopt : check_preexisting(target, config)) {
    if (config.events) config.events->failure_found({*f});
    RunResult out;
    out.seed = config.seed;
    out.failures.push_back(std::move(*f));
    return out;
  }

  quiet_configuration();
  rc::detail::TestParams params;
  params.seed = config.seed;
  params.maxSuccess = config.sequences;
  params.maxSize = config.max_steps;
  params.maxDiscardRatio = 10;
  params.disableShrinking = !config.shrink;
  rc::detail::TestMetadata meta;
  meta.id = meta.description = "conformance";
  Listener listener;
  auto result = rc::detail::checkTestable(property, meta, params, listener);
  if (!rec.aborted) target.sweep();
  // A short lease (a probe cycle of 10 s or less) is checked once even by a short run.
  if (owned && !rec.first && !rec.aborted && !(config.stop && config.stop->load()))
    probe.await_first_cycle(10);
  if (owned) probe.stop();

  RunResult out;
  out.seed = config.seed;
  out.coverage = rec.coverage;
  if (owned) {
    merge(out.coverage, probe.coverage());
    out.lease_probes = probe.summary();
  }
  out.sequences = rec.sequences;
  out.calls = rec.calls;
  out.seconds = rec.seconds();
  out.interrupted = config.stop && config.stop->load();
  out.aborted = rec.aborted;
  rc::detail::FailureResult failure;
  rc::detail::Error error;
  if (result.match(failure)) {
    if (rec.last) {
      Failure f = *rec.last;
      f.sequences_before = rec.first->sequences_before;
      f.seconds_to_first = rec.first->seconds_to_first;
      f.calls_to_first = rec.first->calls_to_first;
      f.shrinks = static_cast<int>(failure.reproduce.shrinkPath.size());
      out.failures.push_back(std::move(f));
    } else if (!stopped() && !probe.failed()) {
      out.failures.push_back(internal_failure("no exception", failure.description, config.seed));
    }
  } else if (result.match(error)) {
    out.failures.push_back(internal_failure("a run", error.description, config.seed));
  }
  if (owned && out.failures.empty() && probe.failure()) {
    out.failures.push_back(*probe.failure());
    if (config.events) config.events->failure_found({out.failures.back()});
  }
  // Blame the first divergence, not the call that noticed it.
  if (!out.aborted && !stopped())
    for (auto& f : out.failures)
      diagnose_failure(config, f);
  out.passed = out.failures.empty();
  return out;
}

}  // namespace conformance::engine
