#include "conformance/reports/trace_file.hpp"

#include <filesystem>
#include <fstream>

#include "conformance/reports/atomic_file.hpp"

namespace conformance::reports {

using nlohmann::json;

namespace {

json exchange_json(const engine::Exchange& x, const engine::SecretHeaders& secrets) {
  json req = {{"method", x.request.method}, {"target", x.request.target()}};
  json headers = json::object();
  for (const auto& [k, v] : x.request.headers)
    headers[k] = secrets.contains(k) ? "<redacted>" : v;
  req["headers"] = headers;
  if (x.request.body) req["body"] = *x.request.body;
  json res = json::object();
  if (!x.response.transport_error.empty()) {
    res["transport_error"] = x.response.transport_error;
  } else {
    res["status"] = x.response.status;
    // Bodies may hold any bytes: keep them as text only when they are valid UTF-8.
    json body = json::parse(x.response.body, nullptr, false);
    if (!body.is_discarded())
      res["body"] = body;
    else
      res["body_text"] = json(x.response.body).dump(-1, ' ', true, json::error_handler_t::replace);
  }
  return {{"request", req}, {"response", res}};
}

}  // namespace

std::string trace_file_name(const engine::Failure& f) {
  return f.violation.clause + "-" + std::to_string(f.seed) + ".json";
}

json trace_to_json(const engine::Failure& f, const RunInfo& info,
                   const std::vector<std::string>& faults) {
  const engine::SecretHeaders secrets(info.secret_headers);
  json steps = json::array();
  for (const auto& s : f.trace) {
    json step = {{"description", s.description}, {"command", s.command}};
    if (s.is_call) {
      step["exchange"] = exchange_json(s.exchange, secrets);
      step["expected"] = s.expected;
      step["outcome"] = s.outcome;
      json v = json::array();
      for (const auto& x : s.violations)
        v.push_back({{"clause", x.clause}, {"expected", x.expected}, {"actual", x.actual}});
      step["violations"] = v;
    }
    steps.push_back(step);
  }
  return {{"format", "conformance-trace/1"},
          {"harness_version", info.version},
          {"seed", f.seed},
          {"spec_file", info.spec_file},
          {"spec_sha256", info.spec_sha256},
          {"target", info.target},
          {"binding", info.binding},
          {"faults", faults},
          {"clause", f.violation.clause},
          {"operation", f.violation.operation},
          {"expected", f.violation.expected},
          {"actual", f.violation.actual},
          {"reproduce", info.reproduce},
          {"after", f.after},
          {"steps", steps}};
}

TraceFile load_trace(const std::string& path) {
  auto fail = [&](const std::string& ptr, const std::string& why) -> TraceError {
    return TraceError(path + ": " + (ptr.empty() ? "/" : ptr) + ": " + why);
  };
  std::ifstream in(path);
  if (!in) throw fail("", "cannot open the trace");
  json j = json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw fail("", "not a JSON object");
  if (j.value("format", "") != "conformance-trace/1")
    throw fail("/format", "expected \"conformance-trace/1\"");
  TraceFile t;
  t.path = path;
  auto str = [&](const char* key) {
    if (!j.contains(key) || !j[key].is_string())
      throw fail(std::string("/") + key, "expected a string");
    return j[key].get<std::string>();
  };
  if (!j.contains("seed") || !j["seed"].is_number_unsigned())
    throw fail("/seed", "expected a non-negative integer");
  t.seed = j["seed"].get<std::uint64_t>();
  t.spec_sha256 = str("spec_sha256");
  t.target = str("target");
  t.binding = str("binding");
  t.clause = str("clause");
  t.expected = str("expected");
  t.actual = str("actual");
  if (!j.contains("faults") || !j["faults"].is_array()) throw fail("/faults", "expected an array");
  for (std::size_t i = 0; i < j["faults"].size(); ++i) {
    if (!j["faults"][i].is_string())
      throw fail("/faults/" + std::to_string(i), "expected a string");
    t.faults.push_back(j["faults"][i].get<std::string>());
  }
  if (j.contains("after")) {
    if (!j["after"].is_array()) throw fail("/after", "expected an array");
    for (std::size_t i = 0; i < j["after"].size(); ++i) {
      if (!j["after"][i].is_string())
        throw fail("/after/" + std::to_string(i), "expected a string");
      t.after.push_back(j["after"][i].get<std::string>());
    }
  }
  if (!j.contains("steps") || !j["steps"].is_array() || j["steps"].empty())
    throw fail("/steps", "expected a non-empty array");
  for (std::size_t i = 0; i < j["steps"].size(); ++i) {
    const json& s = j["steps"][i];
    if (!s.is_object() || !s.contains("command") || !s["command"].is_object())
      throw fail("/steps/" + std::to_string(i) + "/command", "expected an object");
    t.commands.push_back(s["command"]);
  }
  return t;
}

engine::SavedTrace saved_trace(const TraceFile& t) {
  return {t.path, t.spec_sha256, t.clause, t.commands, t.after};
}

TraceReporter::TraceReporter(std::string dir, const RunInfo& info, std::vector<std::string> faults)
    : dir_(std::move(dir)), info_(info), faults_(std::move(faults)) {}

void TraceReporter::run_finished(const engine::RunFinished& e) {
  std::vector<const engine::Failure*> failures;
  // A parallel case's failure (its timeline) is not a sequence: it cannot be replayed.
  for (const auto& f : e.result.failures)
    if (f.violation.clause != "harness.internal" && f.timeline.empty()) failures.push_back(&f);
  for (const auto& f : e.flaky)
    if (f.timeline.empty()) failures.push_back(&f);
  if (dir_.empty() || failures.empty()) return;
  std::filesystem::create_directories(dir_);
  for (const auto* f : failures)
    write_file_atomically((std::filesystem::path(dir_) / trace_file_name(*f)).string(),
                          trace_to_json(*f, info_, faults_).dump(2) + "\n");
}

}  // namespace conformance::reports
