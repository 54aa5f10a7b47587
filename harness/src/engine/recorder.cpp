#include "conformance/engine/recorder.hpp"

#include <set>

namespace conformance::engine {

void Recorder::count(const Call& call, const Expectation& e, const CallVerdict& v) {
  std::set<const spec::Clause*> once(v.exercised.begin(), v.exercised.end());
  for (const auto* c : once)
    if (c) ++coverage.clauses[c->id];
  ++coverage.matrix[call.op->full_name][e.pre_state][v.outcome];
  if (!v.observed_open.empty()) ++coverage.observed_open[v.observed_open];
  for (const auto& viol : v.violations)
    ++coverage.violations[viol.clause];
}

void merge(Coverage& into, const Coverage& from) {
  for (const auto& [k, n] : from.clauses)
    into.clauses[k] += n;
  for (const auto& [k, n] : from.violations)
    into.violations[k] += n;
  for (const auto& [k, n] : from.observed_open)
    into.observed_open[k] += n;
  for (const auto& [k, n] : from.generated)
    into.generated[k] += n;
  for (const auto& [op, states] : from.matrix)
    for (const auto& [st, outcomes] : states)
      for (const auto& [out, n] : outcomes)
        into.matrix[op][st][out] += n;
}

}  // namespace conformance::engine
