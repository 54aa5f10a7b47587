#include "conformance/reports/run_info.hpp"

#include <algorithm>

namespace conformance::reports {

ClauseVerdict clause_verdict(const spec::Clause& clause, const engine::RunResult& result,
                             const RunInfo& info, const std::vector<engine::Failure>* flaky) {
  ClauseVerdict v;
  auto vit = result.coverage.violations.find(clause.id);
  v.violations = vit == result.coverage.violations.end() ? 0 : vit->second;
  auto say = [&](const std::string& status, const std::string& why) {
    v.status = status;
    v.reason = why;
    return v;
  };
  if ((v.failure = result.failure_of(clause.id))) return say("failed", "");
  if (flaky && std::any_of(flaky->begin(), flaky->end(), [&](const engine::Failure& f) {
        return f.violation.clause == clause.id;
      }))
    return say("passed", "");  // it ran, failed once and did not reproduce
  if (auto it = info.excluded.find(clause.id); it != info.excluded.end())
    return say("skipped", it->second);
  if (info.strictness == "documented" && clause.provenance == spec::Provenance::inferred)
    return say("skipped", "excluded by --strictness documented (the clause is inferred: " +
                              clause.reason + ")");
  // Violated somewhere in the run without a minimal sequence of its own: never passed.
  if (v.violations > 0)
    return say("failed", "violated " + std::to_string(v.violations) +
                             " times in this run; no minimal sequence of its own (the run "
                             "ended first: --exit-first, --max-failures or an interruption)");
  auto it = result.coverage.clauses.find(clause.id);
  if (it == result.coverage.clauses.end() || it->second == 0)
    return say("skipped", "not exercised in this run");
  return say("passed", "");
}

std::string clause_status(const spec::Clause& clause, const engine::RunResult& result,
                          const RunInfo& info, std::string* reason,
                          const std::vector<engine::Failure>* flaky) {
  ClauseVerdict v = clause_verdict(clause, result, info, flaky);
  if (reason) *reason = v.reason;
  return v.status;
}

std::vector<FailureGroup> group_by_cause(const engine::RunResult& result) {
  std::vector<FailureGroup> groups;
  auto group_of = [&](const std::string& clause) -> FailureGroup* {
    for (auto& g : groups)
      if (g.cause->violation.clause == clause) return &g;
    return nullptr;
  };
  for (const auto& f : result.failures)
    if (f.after.empty()) groups.push_back({&f, {}});
  for (const auto& f : result.failures) {
    if (f.after.empty()) continue;
    FailureGroup* g = nullptr;
    for (const auto& a : f.after)
      if ((g = group_of(a))) break;
    if (g)
      g->consequences.push_back(&f);
    else
      groups.push_back({&f, {}});
  }
  return groups;
}

std::string after_note(const std::string& clause, const RunInfo& info, const std::string& code_open,
                       const std::string& code_close) {
  return "the sequence first violated " + code_open + clause + code_close +
         (info.excluded.count(clause) ? " (left out of this run)" : " (reported on its own)") +
         "; this violation may follow from it";
}

std::string cause_summary(const std::vector<FailureGroup>& groups) {
  std::size_t following = 0;
  for (const auto& g : groups)
    following += g.consequences.size();
  if (following == 0) return "";
  return std::to_string(groups.size()) +
         (groups.size() == 1 ? " independent cause; " : " independent causes; ") +
         std::to_string(following) + " may follow from " + (groups.size() == 1 ? "it" : "them");
}

std::string verdict_word(const engine::RunResult& result) {
  if (result.interrupted) return "INCOMPLETE";
  if (result.aborted) return "ABORTED";
  return result.failures.empty() ? "PASSED" : "FAILED";
}

}  // namespace conformance::reports
