#include "conformance/reports/run_info.hpp"

namespace conformance::reports {

std::string clause_status(const spec::Clause& clause, const engine::RunResult& result,
                          const std::string& strictness, std::string* reason) {
  auto say = [&](const std::string& status, const std::string& why) {
    if (reason) *reason = why;
    return status;
  };
  if (result.failure && result.failure->violation.clause == clause.id) return say("failed", "");
  if (strictness == "documented" && clause.provenance == spec::Provenance::inferred)
    return say("skipped", "excluded by --strictness documented (the clause is inferred: " +
                              clause.reason + ")");
  auto it = result.coverage.clauses.find(clause.id);
  if (it == result.coverage.clauses.end() || it->second == 0)
    return say("skipped", "not exercised in this run");
  return say("passed", "");
}

}  // namespace conformance::reports
