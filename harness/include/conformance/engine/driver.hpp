// The RapidCheck driver: one run of the property "every generated sequence conforms"
// (rc::state), with RapidCheck's shrinking of a failing sequence. The one place that
// drives RapidCheck's test runner (rc::detail).
//
// A run ends when its sequences passed, at its first failure (shrunk unless
// config.shrink is off, within config.shrink_budget_s), or when config.stop is set.
// A violation of a clause in config.tolerated does not fail a sequence: it is counted
// and the sequence goes on (the campaign's searches after a failure, and clauses left
// out). Ending early never makes the property pass: a stopped run reports no failure it
// did not find, and its result is marked interrupted; it stops within one step (a call,
// or a wall-clock wait cut short).
#pragma once

#include "conformance/engine/run.hpp"

namespace conformance::engine {

// Runs the property. Throws TargetError when the target cannot be reached or a
// login fails before any sequence ran. Tells config.events (if set) about sequences,
// calls, the failure and its shrink steps.
RunResult run(const RunConfig& config);

}  // namespace conformance::engine
