// Deterministic runs, built by hand, for the reporters' tests; and approval
// (golden-file) comparison.
#pragma once

#include <string>
#include <vector>

#include "conformance/engine/runner.hpp"
#include "conformance/reports/run_info.hpp"
#include "conformance/spec/spec.hpp"

namespace fixtures {

namespace engine = conformance::engine;
namespace reports = conformance::reports;

// The shipped spec (CONFORMANCE_DEFAULT_SPEC), loaded once.
const conformance::spec::Spec& shipped_spec();

// Every clause exercised except create.client_token_after_removal; a matrix with
// multi-state and "maybe" pre-states; observed behaviour where the contract is silent.
engine::RunResult passing_run();
reports::RunInfo passing_info();

// delete.removes fails; the last response body holds control characters, invalid
// UTF-8, markup and backticks. Strictness "documented" (inferred clauses skipped).
engine::RunResult failing_run();
reports::RunInfo failing_info();
// A failure of keep_alive.extends_lease that did not reproduce.
std::vector<engine::Failure> flaky_failures();

// A three-step trace; `body` is the last response's body.
engine::Failure failure_with_body(const std::string& body);

// Compares `content` with approved/<name>. APPROVE=1 rewrites the baseline. On a
// mismatch writes approved/<stem>.received.<ext> and returns a message (empty: same).
std::string approve(const std::string& name, const std::string& content);

}  // namespace fixtures
