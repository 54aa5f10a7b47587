// Trace rendering: the raw steps of a sequence (recorder.hpp) as readable,
// replayable TraceSteps: a description of each call, its exchange with secrets
// redacted, what the model expected, what came back, and the symbolic command.
#pragma once

#include <string>
#include <vector>

#include "conformance/engine/recorder.hpp"

namespace conformance::engine {

// "alice DownloadSession.cancel(download_session_id=#0) [no-auth]"
std::string show_call(const Call& c, const Profile& p);

TraceStep render(const RawStep& r, const spec::Spec& spec, const Profile& profile);
std::vector<TraceStep> render(const std::vector<RawStep>& raw, const spec::Spec& spec,
                              const Profile& profile);

}  // namespace conformance::engine
