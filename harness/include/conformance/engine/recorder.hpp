// Run bookkeeping: what a run accumulates (counts, coverage, the first and the last
// failure) and each step of the running sequence, kept raw until a trace is wanted.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "conformance/engine/run.hpp"

namespace conformance::engine {

using Clock = std::chrono::steady_clock;

// Seconds from t to now, on the steady clock.
inline double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

struct Recorder {
  Coverage coverage;
  long calls = 0;
  int sequences = 0;
  int failing_runs = 0;
  bool aborted = false;          // OnTransportError::abort met a transport error
  std::optional<Failure> first;  // the first failure (before shrinking)
  std::optional<Failure> last;   // the last failing run (after shrinking: the minimal one)
  std::optional<Clock::time_point> first_failure_at;
  Clock::time_point start = Clock::now();

  double seconds() const { return std::chrono::duration<double>(Clock::now() - start).count(); }
  // Counts an answer: clauses exercised (each once), the coverage matrix, what was
  // observed where the contract is silent, violations.
  void count(const Call& call, const Expectation& e, const CallVerdict& v);
};

// One step of a sequence as it ran, kept raw: it is rendered into a TraceStep
// (trace.hpp: descriptions, the symbolic command as JSON, secrets redacted) only when
// a trace is wanted (a failure, a replay). Rendering every step as it ran cost more
// than checking the answer.
struct RawStep {
  std::shared_ptr<const Call> call;  // null: time passed
  std::int64_t advance_ms = 0;
  HttpRequest request;  // not yet redacted
  HttpResponse response;
  Expectation expected;
  std::string outcome;
  std::vector<Violation> violations;
};

// Adds another run's counts (fuzz rounds).
void merge(Coverage& into, const Coverage& from);

}  // namespace conformance::engine
