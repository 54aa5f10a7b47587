#include "conformance/reports/curl.hpp"

namespace conformance::reports {

namespace {

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

}  // namespace

const engine::TraceStep* failing_step(const engine::Failure& failure) {
  const engine::TraceStep* found = nullptr;
  for (const auto& step : failure.trace)
    for (const auto& v : step.violations)
      if (step.is_call && v.clause == failure.violation.clause) found = &step;
  return found;
}

std::string curl_command(const engine::TraceStep& step, const RunInfo& info) {
  const engine::SecretHeaders secrets(info.secret_headers);
  const auto& rq = step.exchange.request;
  bool url = info.target.rfind("http://", 0) == 0 || info.target.rfind("https://", 0) == 0;
  std::string base = info.target;
  while (url && !base.empty() && base.back() == '/')
    base.pop_back();
  std::string out = "curl -sS -i -X " + rq.method + " ";
  out +=
      url ? shell_quote(base + rq.target()) : "\"$CONFORMANCE_TARGET\"" + shell_quote(rq.target());
  for (const auto& [k, v] : rq.headers) {
    if (secrets.contains(k))
      out += " -H \"" + k + ": $" + kTokenVariable + "\"";
    else
      out += " -H " + shell_quote(k + ": " + v);
  }
  if (rq.body) out += " --data-raw " + shell_quote(*rq.body);
  return out;
}

}  // namespace conformance::reports
