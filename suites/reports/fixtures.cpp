#include "fixtures.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "conformance/spec/loader.hpp"

namespace fixtures {

namespace {

const std::string kSession =
    "535c4ae1-81d9-4edd-b63e-3a799317be26:b8dfbbee-a19b-420d-8ac3-8f22e663b2d7";
const std::string kItem = "6d4c2a1e-0b7f-4a53-9c1e-2f8a7b3c9d01";
const std::string kBase = "/api/content/library/item/download-session";

engine::Coverage coverage() {
  engine::Coverage c;
  int i = 0;
  for (const auto* clause : shipped_spec().clauses()) {
    ++i;
    if (clause->id == "create.client_token_after_removal") continue;  // never exercised
    c.clauses[clause->id] = 1 + (i * 37) % 97;
  }
  c.matrix["DownloadSession.create"]["-"] = {{"success", 42}, {"INVALID_ARGUMENT", 3}};
  c.matrix["DownloadSession.create"]["unknown-id"] = {{"NOT_FOUND", 8}};
  c.matrix["DownloadSession.cancel"]["ACTIVE"] = {{"success", 9}};
  c.matrix["DownloadSession.cancel"]["CANCELED"] = {{"NOT_ALLOWED_IN_CURRENT_STATE", 4}};
  c.matrix["DownloadSession.cancel"]["gone"] = {{"NOT_FOUND", 11}};
  c.matrix["DownloadSession.delete"]["ACTIVE"] = {{"success", 20}};
  c.matrix["DownloadSession.delete"]["CANCELED|ERROR"] = {{"success", 2}};
  c.matrix["DownloadSession.delete"]["other-user"] = {{"NOT_FOUND", 3}};
  c.matrix["DownloadSession.get"]["ACTIVE?"] = {{"success", 5}, {"NOT_FOUND", 1}};
  c.matrix["DownloadSession.keep_alive"]["ACTIVE"] = {{"success", 5}, {"transport", 1}};
  c.matrix["DownloadSession.fail"]["CANCELED"] = {{"NOT_ALLOWED_IN_CURRENT_STATE", 2}};
  c.observed_open["file.prepare.on_inactive_session: 400 NOT_ALLOWED_IN_CURRENT_STATE"] = 10;
  c.observed_open["keep_alive.progress_out_of_range: 400 `INVALID_ARGUMENT` | message *bold*"] = 1;
  c.generated["DownloadSession.create"] = 53;
  return c;
}

engine::TraceStep step(const std::string& description, const std::string& method,
                       const std::string& path, std::optional<std::string> request_body, int status,
                       const std::string& response_body) {
  engine::TraceStep s;
  s.description = description;
  s.exchange.request.method = method;
  s.exchange.request.path = path;
  s.exchange.request.headers = {{"vmware-api-session-id", "<redacted>"}};
  s.exchange.request.body = std::move(request_body);
  s.exchange.response.status = status;
  s.exchange.response.body = response_body;
  s.expected = "success";
  s.outcome = "success";
  return s;
}

}  // namespace

const conformance::spec::Spec& shipped_spec() {
  static const conformance::spec::Spec spec =
      conformance::spec::load_spec(CONFORMANCE_DEFAULT_SPEC);
  return spec;
}

engine::RunResult passing_run() {
  engine::RunResult r;
  r.passed = true;
  r.coverage = coverage();
  r.sequences = 200;
  r.calls = 1759;
  r.seconds = 3.35671;
  r.seed = 1;
  return r;
}

reports::RunInfo passing_info() {
  reports::RunInfo info;
  info.target = "mock";
  info.binding = "api";
  info.spec_file = "specs/downloadsession.json";
  info.spec_sha256 = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
  info.strictness = "inferred";
  info.version = "0.1.0";
  info.reproduce = "conformance run --target mock --seed 1 --sequences 200 --max-steps 40";
  info.secret_headers = {"vmware-api-session-id"};
  return info;
}

engine::Failure failure_with_body(const std::string& body) {
  engine::Failure f;
  f.violation = {"delete.removes", "DownloadSession.get", "404 NOT_FOUND", "success (HTTP 200)"};
  f.seed = 7;
  f.sequences_before = 22;
  f.seconds_to_first = 0.0213;
  f.calls_to_first = 133;
  f.shrinks = 23;
  f.trace.push_back(
      step("alice DownloadSession.create(create_spec={\"library_item_id\":\"" + kItem + "\"})",
           "POST", kBase, "{\"library_item_id\":\"" + kItem + "\"}", 201, "\"" + kSession + "\""));
  f.trace.push_back(step("alice DownloadSession.delete(download_session_id=#0)", "DELETE",
                         kBase + "/" + kSession, std::nullopt, 204, ""));
  auto get = step("alice DownloadSession.get(download_session_id=#0)", "GET",
                  kBase + "/" + kSession, std::nullopt, 200, body);
  get.expected = "404 NOT_FOUND";
  get.outcome = "success";
  get.violations.push_back(f.violation);
  f.trace.push_back(get);
  engine::TraceStep wait;
  wait.description = "time passes: 30 s";
  wait.is_call = false;
  f.trace.insert(f.trace.begin() + 2, wait);
  return f;
}

engine::RunResult failing_run() {
  engine::RunResult r;
  r.passed = false;
  r.coverage = coverage();
  r.coverage.violations["delete.removes"] = 1;
  r.sequences = 23;
  r.calls = 160;
  r.seconds = 0.0456;
  r.seed = 7;
  r.failures = {failure_with_body("{\"id\":\"" + kSession +
                                  "\",\"state\":\"ACTIVE\",\"note\":\"bell\x01\x07 bad\xff\xfe "
                                  "<b>&amp; ]]> \\\"quoted\\\" 'single' "
                                  "```fence``` a|b\ttab\r\nnext\"}")};
  return r;
}

reports::RunInfo failing_info() {
  reports::RunInfo info = passing_info();
  info.strictness = "documented";
  info.reproduce =
      "conformance run --target mock --fault delete-noop --seed 7 --sequences 200 --max-steps 40 "
      "--strictness documented";
  return info;
}

std::vector<engine::Failure> flaky_failures() {
  engine::Failure f;
  f.violation = {"keep_alive.extends_lease", "DownloadSession.get",
                 "expiration_time >= 2030-01-01T00:05:00.000Z", "2030-01-01T00:04:59.000Z"};
  f.seed = 7;
  f.sequences_before = 5;
  f.calls_to_first = 40;
  f.seconds_to_first = 0.01;
  engine::TraceStep s;
  s.description = "alice DownloadSession.keep_alive(download_session_id=#0)";
  s.exchange.request.method = "POST";
  s.exchange.request.path = kBase + "/" + kSession;
  s.exchange.request.query = "action=keep-alive";
  s.exchange.request.headers = {{"vmware-api-session-id", "<redacted>"}};
  s.exchange.response.status = 204;
  s.expected = "success";
  s.outcome = "success";
  f.trace.push_back(s);
  return {f};
}

std::string approve(const std::string& name, const std::string& content) {
  namespace fs = std::filesystem;
  fs::path approved = fs::path(REPORTS_APPROVED_DIR) / name;
  fs::path received = approved;
  received.replace_extension(".received" + approved.extension().string());
  const char* env = std::getenv("APPROVE");
  if (env && std::string(env) == "1") {
    std::ofstream(approved, std::ios::binary) << content;
    fs::remove(received);
    return "";
  }
  std::ifstream in(approved, std::ios::binary);
  std::stringstream baseline;
  if (in) baseline << in.rdbuf();
  if (in && baseline.str() == content) {
    fs::remove(received);
    return "";
  }
  std::ofstream(received, std::ios::binary) << content;
  return (in ? "differs from the approved baseline " : "no approved baseline ") +
         approved.string() + "\n  see: diff -u " + approved.string() + " " + received.string() +
         "\n  accept: APPROVE=1 " + "reports_tests, then review and commit approved/";
}

}  // namespace fixtures
