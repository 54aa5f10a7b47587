// What every reporter says about a run besides its result.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "conformance/engine/run.hpp"
#include "conformance/spec/spec.hpp"

namespace conformance::reports {

struct RunInfo {
  std::string target;  // "mock" or the URL
  std::string binding;
  std::string spec_file;
  std::string spec_sha256;
  std::string strictness;  // "inferred" | "documented"
  std::string version;
  std::string reproduce;  // one-line command that reproduces the run
  // Headers redacted besides the credentials: the binding's session header
  // (engine::secret_headers()). Reports never show their values.
  std::vector<std::string> secret_headers;
  // Clauses left out of the run (--include, --exclude): clause id -> why.
  std::map<std::string, std::string> excluded;
  // What the run was asked to do, e.g. "200 sequences of at most 40 steps".
  std::string budget;
};

// A clause's verdict in a run. "failed": it has a failure (a minimal sequence of its
// own), or it was violated somewhere in the run without one (reason says so); never
// "passed" once violated, unless the violation did not reproduce (flaky). "skipped":
// left out (--include/--exclude, --strictness documented) or never exercised.
struct ClauseVerdict {
  std::string status;  // passed | failed | skipped
  std::string reason;  // skipped; failed without a minimal sequence
  const engine::Failure* failure = nullptr;
  long violations = 0;  // violating answers in the whole run
};
ClauseVerdict clause_verdict(const spec::Clause& clause, const engine::RunResult& result,
                             const RunInfo& info,
                             const std::vector<engine::Failure>* flaky = nullptr);

// clause_verdict()'s status, its reason in *reason.
std::string clause_status(const spec::Clause& clause, const engine::RunResult& result,
                          const RunInfo& info, std::string* reason = nullptr,
                          const std::vector<engine::Failure>* flaky = nullptr);

// The failures by cause. A failure whose minimal sequence first broke clauses found
// before (Failure::after) may follow from them: it is listed under the first of them
// that has a failure of its own; every other failure is a cause of its own. In the
// run's order.
struct FailureGroup {
  const engine::Failure* cause = nullptr;
  std::vector<const engine::Failure*> consequences;
};
std::vector<FailureGroup> group_by_cause(const engine::RunResult& result);

// Why a failure may follow from `clause` (one of Failure::after): "the sequence first
// violated X (reported on its own); this violation may follow from it", or, for a clause
// left out of the run, "(left out of this run)". `code` formats the clause id.
std::string after_note(const std::string& clause, const RunInfo& info,
                       const std::string& code_open = "", const std::string& code_close = "");

// "N independent causes; M may follow from them" when some failure may follow from
// another, "" otherwise.
std::string cause_summary(const std::vector<FailureGroup>& groups);

// The run's verdict in one word: PASSED, FAILED, INCOMPLETE (interrupted: never
// passed, whatever it found), ABORTED (stopped at a transport error).
std::string verdict_word(const engine::RunResult& result);

}  // namespace conformance::reports
