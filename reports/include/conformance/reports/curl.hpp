// A failing exchange as a copy-paste curl command. Secret header values (the
// credentials, the binding's session header) never appear: the command reads them
// from an environment variable it names instead.
#pragma once

#include <string>

#include "conformance/engine/run.hpp"
#include "conformance/reports/run_info.hpp"

namespace conformance::reports {

// The environment variable a curl command takes the session token from.
inline constexpr const char* kTokenVariable = "CONFORMANCE_SESSION_TOKEN";

// The step of `failure`'s minimal sequence whose answer broke its clause (the last
// call that names it), or null.
const engine::TraceStep* failing_step(const engine::Failure& failure);

// A shell command (POSIX sh) that sends `step`'s request again to `info.target` (to
// "$CONFORMANCE_TARGET" for the embedded mock, which is gone once the run ends).
// Every value is single-quoted; a secret header takes "$CONFORMANCE_SESSION_TOKEN".
std::string curl_command(const engine::TraceStep& step, const RunInfo& info);

}  // namespace conformance::reports
