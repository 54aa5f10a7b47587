// The concurrent-replay burst: one idempotent create sent n times at once with one
// client token, over n kept-open connections; every answer must carry one id.
#pragma once

#include <vector>

#include "conformance/engine/commands.hpp"

namespace conformance::engine {

// Sends `request` n times at once (n >= 2); the answers in the order of the
// connections. Each exchange is shown to the target's observer.
std::vector<HttpResponse> send_burst(Target& target, const HttpRequest& request, int n);

// Judges the answers after the first (which check_answer judged into `v`): each must
// carry the id of the first (v.new_id). When one does not, one more replay alone
// tells a race (the concurrent clause) from a token that is ignored altogether (the
// idempotency clause). Ids of extra sessions are remembered as strays.
void check_burst(Sut& sut, const Call& call, const Model& pre, const HttpRequest& request,
                 const std::vector<HttpResponse>& answers, CallVerdict& v);

}  // namespace conformance::engine
