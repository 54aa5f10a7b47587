#include "conformance/engine/burst.hpp"

#include <algorithm>
#include <thread>

namespace conformance::engine {

std::vector<HttpResponse> send_burst(Target& target, const HttpRequest& request, int n) {
  std::vector<HttpResponse> answers(n);
  auto& ts = target.burst_transports(n);
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i)
    threads.emplace_back([&, i] { answers[i] = ts[i]->send(request); });
  for (auto& t : threads)
    t.join();
  for (const auto& a : answers)
    target.observe(false, request, a);
  return answers;
}

void check_burst(Sut& sut, const Call& call, const Model& pre, const HttpRequest& req,
                 const std::vector<HttpResponse>& answers, CallVerdict& v) {
  const auto& binding = sut.target->binding();
  // Every session the burst made is this run's, whatever the verdict: other workers' lists
  // may show it, and the sweep deletes it.
  for (std::size_t i = 1; i < answers.size(); ++i) {
    Decoded di = decode(*pre.spec, binding, *call.op, answers[i]);
    if (di.kind == Decoded::Kind::Success && di.result.is_string())
      sut.target->created(di.result.get<std::string>(), call.user);
  }
  if (!v.violations.empty() || !v.new_id) return;
  for (std::size_t i = 1; i < answers.size(); ++i) {
    Decoded di = decode(*pre.spec, binding, *call.op, answers[i]);
    std::string got = di.kind == Decoded::Kind::Success && di.result.is_string()
                          ? di.result.get<std::string>()
                      : di.kind == Decoded::Kind::Transport ? "no answer: " + di.transport_error
                                                            : "HTTP " + std::to_string(di.status);
    if (!v.new_id || got != *v.new_id) {
      // Another session, if the clause lets it be: the caller's list may show it.
      if (di.kind == Decoded::Kind::Success && di.result.is_string()) {
        sut.mem.strays.emplace(got, call.user);
        sut.target->created(got, call.user);
      }
      // A race, or a token that is ignored altogether? One more replay, alone:
      // if it is answered with an id the burst already had, the token works
      // sequentially and the concurrent clause is the broken one.
      Decoded again = decode(*pre.spec, binding, *call.op, sut.target->send(req));
      ++sut.rec->calls;
      bool known = again.kind == Decoded::Kind::Success && again.result.is_string() &&
                   std::any_of(answers.begin(), answers.end(), [&](const HttpResponse& a) {
                     Decoded da = decode(*pre.spec, binding, *call.op, a);
                     return da.kind == Decoded::Kind::Success && da.result == again.result;
                   });
      // Leniency holds here too (regression_concurrent_replay_respects_leniency).
      if (again.kind == Decoded::Kind::Success && again.result.is_string() &&
          again.result != *v.new_id) {
        sut.mem.strays.emplace(again.result.get<std::string>(), call.user);
        sut.target->created(again.result.get<std::string>(), call.user);
      }
      if (!known) {
        record_violation(pre, v, call.op->idempotency->clause, call.op->full_name,
                         "a replay of a " + call.op->idempotency->token_param +
                             " answers the id of the " + call.op->returns.resource +
                             " it created (" + *v.new_id + ")",
                         "concurrent creates answered different ids, and one more replay alone " +
                             (again.kind == Decoded::Kind::Success && again.result.is_string()
                                  ? "answered yet another: " + again.result.get<std::string>()
                                  : "failed: HTTP " + std::to_string(again.status)));
      } else {
        record_violation(pre, v, call.op->idempotency->concurrent_clause, call.op->full_name,
                         "every one of " + std::to_string(answers.size()) +
                             " concurrent creates with one " + call.op->idempotency->token_param +
                             " answers " + (v.new_id ? *v.new_id : "one id"),
                         "answer " + std::to_string(i + 1) + ": " + got);
      }
      if (!v.violations.empty()) break;
    }
  }
}

}  // namespace conformance::engine
