// A run of parallel cases: the loop, the shrinking and confirmation of a failing case, and
// its report (a Failure with the history's timeline).
#include <algorithm>
#include <cstdio>
#include <sstream>

#include "conformance/engine/parallel.hpp"
#include "conformance/engine/recorder.hpp"
#include "conformance/engine/trace.hpp"

namespace conformance::engine {

namespace {

// The case's seed: cases of one run differ, and --seed S reproduces them all.
std::uint64_t case_seed(std::uint64_t run_seed, int i) {
  return run_seed * 0x9E3779B97F4A7C15ULL + static_cast<std::uint64_t>(i) + 1;
}

bool same_failure(const CaseRun& r, const std::string& clause) {
  return r.failed() && r.violation().clause == clause;
}

// The failing case as a Failure: the prefix's steps, then the branches' calls in the order
// they were sent (each named b<branch>.<n> with its times), the violation, the timeline.
Failure failure_of(const CaseRun& r, const RunConfig& cfg) {
  if (r.kind == CaseRun::Kind::PrefixFailed) return *r.prefix_failure;
  Failure f;
  f.violation = r.violation();
  f.seed = cfg.seed;
  f.trace = render(r.prefix, *cfg.spec, cfg.profile);
  const History& h = r.history;
  std::vector<int> order(h.size());
  for (std::size_t i = 0; i < h.size(); ++i)
    order[i] = static_cast<int>(i);
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return h[a].invoked_ms < h[b].invoked_ms; });
  std::vector<int> nth(h.size());
  std::vector<int> count(8, 0);
  for (std::size_t i = 0; i < h.size(); ++i)
    nth[i] = ++count.at(static_cast<std::size_t>(h[i].branch));
  for (int i : order) {
    RawStep raw;
    raw.call = h[i].call;
    raw.request = h[i].request;
    raw.response = h[i].response;
    raw.outcome = h[i].answered()
                      ? (h[i].answer.kind == Decoded::Kind::Success ? std::string("success")
                                                                    : h[i].answer.error_name) +
                            " (HTTP " + std::to_string(h[i].answer.status) + ")"
                      : "transport";
    if (i == r.lin.failed_op) raw.violations.push_back(r.lin.violation);
    TraceStep step = render(raw, *cfg.spec, cfg.profile);
    char when[96];
    if (h[i].final_read)
      std::snprintf(when, sizeof when, "[final read %d, %.2f-%.2f ms] ", nth[i], h[i].invoked_ms,
                    h[i].answered() ? h[i].answered_ms : -1.0);
    else
      std::snprintf(when, sizeof when, "[branch %d call %d, %.2f-%.2f ms] ", h[i].branch + 1,
                    nth[i], h[i].invoked_ms, h[i].answered() ? h[i].answered_ms : -1.0);
    step.description = when + step.description;
    step.expected = i == r.lin.failed_op ? r.lin.expected : "(the linearizability check)";
    f.trace.push_back(std::move(step));
  }
  f.timeline = timeline_text(h, r.lin, cfg.profile);
  if (r.kind == CaseRun::Kind::NoAnswer)
    f.timeline += "Every answered call is explained, but " + r.no_answer.operation +
                  " got no answer (" + r.no_answer.actual + ").\n";
  f.timeline_mermaid = timeline_mermaid(h, r.lin, cfg.profile);
  return f;
}

struct Stats {
  long cases = 0, not_checked = 0;
  std::size_t longest = 0;  // calls in the longest checked history
  double longest_ms = 0, slowest_ms = 0, check_ms = 0;
  long most_states = 0;
  void add(const CaseRun& r) {
    ++cases;
    if (r.kind == CaseRun::Kind::PrefixFailed) return;
    check_ms += r.lin.millis;
    slowest_ms = std::max(slowest_ms, r.lin.millis);
    most_states = std::max(most_states, r.lin.states);
    if (r.kind == CaseRun::Kind::NotChecked) {
      ++not_checked;
    } else if (r.history.size() >= longest) {
      longest_ms = r.history.size() > longest ? r.lin.millis : std::max(longest_ms, r.lin.millis);
      longest = r.history.size();
    }
  }
  std::string text(double seconds, const LinearizeLimits& limits) const {
    std::ostringstream os;
    os.setf(std::ios::fixed);
    os.precision(1);
    os << "parallel: " << cases << " cases in " << seconds << " s ("
       << (seconds > 0 ? cases / seconds : 0) << " cases/s); checker: " << check_ms
       << " ms in all, slowest " << slowest_ms << " ms, at most " << most_states
       << " model steps (bound " << limits.max_states << "); longest history " << longest
       << " calls (" << longest_ms << " ms)";
    if (not_checked)
      os << "; " << not_checked
         << " histories NOT CHECKED (over the bound; neither passed nor failed)";
    return os.str();
  }
};

}  // namespace

CampaignResult run_parallel(const CampaignConfig& c, const ParallelOptions& p, Reporter& reporter) {
  RunConfig cfg = c.run;
  std::atomic<bool> own_stop{false};
  if (!cfg.stop) cfg.stop = &own_stop;
  auto stopped = [&] { return cfg.stop->load(); };
  reporter.run_started({cfg, c.duration_s});
  const spec::Spec& spec = *cfg.spec;
  Target target = open_target(cfg);
  GenPlan all = make_plan(spec, target.binding()), plan;
  plan.negatives = all.negatives;
  for (std::size_t i = 0; i < all.ops.size(); ++i)
    if (!cfg.excluded_operations.count(all.ops[i]->full_name)) {
      plan.ops.push_back(all.ops[i]);
      plan.facts.push_back(all.facts[i]);
    }
  if (plan.ops.empty()) throw std::invalid_argument("every operation is excluded");
  ParallelRunner runner(cfg, target, std::clamp(p.shape.max_branches, 2, 4), p.limits);
  const Model m0 = initial_model(spec, cfg.profile, cfg.strictness);

  Recorder rec;
  Stats stats;
  CampaignResult out;
  RunResult& result = out.result;
  result.seed = cfg.seed;
  const bool timed = c.duration_s > 0;
  bool failures_spent = false;
  for (int i = 0;; ++i) {
    if (stopped() || (timed && rec.seconds() >= c.duration_s) || (!timed && i >= cfg.sequences))
      break;
    reporter.sequence_started({cfg.seed, false});
    // RapidCheck's largest size: the shape, not the size, bounds a case.
    ParallelCase pc = draw_parallel_case(m0, plan, p.shape, case_seed(cfg.seed, i), 100);
    CaseRun r = runner.run_case(pc, rec);
    stats.add(r);
    if (r.kind == CaseRun::Kind::NotChecked) continue;  // neither passed nor failed
    if (!r.failed()) {
      ++rec.sequences;
      Progress progress;
      progress.sequences = rec.sequences;
      progress.calls = rec.calls;
      progress.seconds = rec.seconds();
      progress.clauses_total = spec.clauses().size();
      progress.clauses_reached = rec.coverage.clauses.size();
      progress.coverage = &rec.coverage;
      reporter.sequence_finished({progress});
      continue;
    }
    // The first failing case: shrunk (a smaller case that fails on the same clause in one of
    // shrink_tries runs replaces it), then confirmed.
    const std::string clause = r.violation().clause;
    const double found_s = rec.seconds();
    const long calls_before = rec.calls;
    ParallelCase best = pc;
    CaseRun best_run = r;
    int shrinks = 0;
    auto shrink_started = Clock::now();
    Recorder scratch;
    bool smaller = r.kind != CaseRun::Kind::PrefixFailed;  // a prefix failure is a sequence's
    while (smaller && cfg.shrink && !stopped() &&
           seconds_since(shrink_started) < cfg.shrink_budget_s) {
      smaller = false;
      for (const ParallelCase& cand : smaller_cases(m0, best)) {
        for (int t = 0; t < p.shrink_tries && !smaller; ++t) {
          CaseRun cr = runner.run_case(cand, scratch);
          if (same_failure(cr, clause)) {
            best = cand;
            best_run = std::move(cr);
            ++shrinks;
            smaller = true;
          }
        }
        if (smaller || stopped() || seconds_since(shrink_started) >= cfg.shrink_budget_s) break;
      }
    }
    // confirm_runs re-runs; when none failed, up to twice as many more, until one does.
    int runs = 0;
    auto confirm = [&](const ParallelCase& pc) {
      int n = 0;
      for (runs = 0; runs < p.confirm_runs && !stopped(); ++runs)
        n += same_failure(runner.run_case(pc, scratch), clause);
      for (; n == 0 && runs < 3 * p.confirm_runs && !stopped(); ++runs)
        n += same_failure(runner.run_case(pc, scratch), clause);
      return n;
    };
    int again = confirm(best);
    // A race the shrunk case hits too rarely to fail again: the case as found is confirmed
    // (and reported) instead.
    if (again == 0 && shrinks > 0) {
      again = confirm(pc);
      if (again > 0) {
        best = pc;
        best_run = r;
        shrinks = 0;
      }
    }
    rec.calls += scratch.calls;
    Failure f = failure_of(best_run, cfg);
    f.seed = cfg.seed;
    f.sequences_before = i;
    f.seconds_to_first = found_s;
    f.calls_to_first = calls_before;
    f.shrinks = shrinks;
    f.confirmed = again;
    f.confirm_runs = runs;
    if (!f.timeline.empty())
      f.timeline += "Shrunk " + std::to_string(shrinks) + " times to " +
                    std::to_string(best.prefix.size()) + " prefix calls and " +
                    std::to_string(best.branches.size()) + " branches; failed again in " +
                    std::to_string(again) + " of " + std::to_string(runs) + " re-runs.\n";
    const bool confirmed = again > 0 || r.kind == CaseRun::Kind::PrefixFailed;
    reporter.parallel_failure_found({f, confirmed});
    (confirmed ? result.failures : out.flaky).push_back(std::move(f));
    // Keep going, as the campaign does: the next cases tolerate the clause (a history that
    // breaks it is explained without it, and fails only on another clause), until the budget
    // is spent or max_failures clauses have failed.
    cfg.tolerated.insert(clause);
    if (c.max_failures > 0 && static_cast<int>(result.failures.size()) >= c.max_failures) {
      failures_spent = true;
      break;
    }
  }
  target.sweep();
  result.coverage = rec.coverage;
  result.sequences = rec.sequences;
  result.calls = rec.calls;
  result.seconds = rec.seconds();
  // Stopped (Ctrl-C, SIGTERM) before the budget was spent: incomplete, failures or not.
  result.interrupted = stopped() && !failures_spent && (!timed || result.seconds < c.duration_s);
  // A history not checked is neither a pass nor a failure: without a failure, the run is
  // incomplete (exit 5), never passed.
  if (stats.not_checked > 0 && result.failures.empty() && out.flaky.empty()) {
    result.interrupted = true;
    result.ended_early = std::to_string(stats.not_checked) +
                         " histories were not checked (the linearizability search hit its "
                         "bound of " +
                         std::to_string(p.limits.max_states) + " model steps)";
  }
  result.passed = result.failures.empty() && !result.interrupted;
  result.parallel = stats.text(result.seconds, p.limits);
  if (result.interrupted) reporter.interrupted({result});
  reporter.run_finished({result, out.flaky, false, 0});
  return out;
}

}  // namespace conformance::engine
