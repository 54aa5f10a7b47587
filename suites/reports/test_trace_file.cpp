// Trace files: written, read back, refused when malformed; the trace reporter.
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>

#include "conformance/reports/trace_file.hpp"
#include "fixtures.hpp"

// Its own namespace: the suites build as one file (CMAKE_UNITY_BUILD) with the others.
namespace test_trace_file {

namespace reports = conformance::reports;
namespace engine = conformance::engine;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() /
           ("reports-trace-" + std::to_string(reinterpret_cast<std::uintptr_t>(this)));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string file(const std::string& name, const std::string& content) const {
    std::ofstream(path / name) << content;
    return (path / name).string();
  }
};

engine::Failure replayable_failure() {
  engine::Failure f = *fixtures::failing_run().failure();
  for (std::size_t i = 0; i < f.trace.size(); ++i)
    f.trace[i].command =
        f.trace[i].is_call ? json{{"operation", "x"}, {"user", 0}} : json{{"advance_ms", 30000}};
  return f;
}

std::string expect_error(const std::string& path) {
  try {
    reports::load_trace(path);
  } catch (const reports::TraceError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(trace_file)

BOOST_AUTO_TEST_CASE(named_by_clause_and_seed) {
  BOOST_TEST(reports::trace_file_name(*fixtures::failing_run().failure()) ==
             "delete.removes-7.json");
}

BOOST_AUTO_TEST_CASE(written_and_read_back) {
  TempDir dir;
  auto f = replayable_failure();
  json j = reports::trace_to_json(f, fixtures::failing_info(), {"delete-noop"});
  BOOST_TEST(j["format"] == "conformance-trace/1");
  BOOST_TEST(j["steps"].size() == f.trace.size());
  // A body that is not JSON is kept as text.
  BOOST_TEST(j["steps"][3]["exchange"]["response"].contains("body_text"));
  BOOST_TEST(j["steps"][0]["exchange"]["response"]["body"].is_string());
  auto t = reports::load_trace(dir.file("t.json", j.dump(2)));
  BOOST_TEST(t.seed == 7u);
  BOOST_TEST(t.clause == "delete.removes");
  BOOST_TEST(t.binding == "api");
  BOOST_TEST(t.target == "mock");
  BOOST_TEST(t.faults == std::vector<std::string>{"delete-noop"});
  BOOST_TEST(t.commands.size() == f.trace.size());
  BOOST_TEST(t.commands[2] == (json{{"advance_ms", 30000}}));
  auto saved = reports::saved_trace(t);
  BOOST_TEST(saved.path == t.path);
  BOOST_TEST(saved.clause == "delete.removes");
  BOOST_TEST(saved.commands.size() == t.commands.size());
}

BOOST_AUTO_TEST_CASE(secret_headers_are_never_written) {
  auto f = replayable_failure();
  f.trace[0].exchange.request.headers = {{"Authorization", "Basic c2VjcmV0OnNlY3JldA=="},
                                         {"Accept", "application/json"}};
  json j = reports::trace_to_json(f, fixtures::failing_info(), {});
  auto headers = j["steps"][0]["exchange"]["request"]["headers"];
  BOOST_TEST(headers["Authorization"] == "<redacted>");
  BOOST_TEST(headers["Accept"] == "application/json");
}

BOOST_AUTO_TEST_CASE(malformed_files_are_refused_with_a_pointer) {
  TempDir dir;
  BOOST_TEST(expect_error((dir.path / "none.json").string()).find("cannot open") !=
             std::string::npos);
  BOOST_TEST(expect_error(dir.file("a.json", "[1]")).find("not a JSON object") !=
             std::string::npos);
  BOOST_TEST(expect_error(dir.file("b.json", R"({"format":"other"})")).find("/format") !=
             std::string::npos);
  json j = reports::trace_to_json(replayable_failure(), fixtures::failing_info(), {});
  j["seed"] = -1;
  BOOST_TEST(expect_error(dir.file("c.json", j.dump())).find("/seed") != std::string::npos);
  j = reports::trace_to_json(replayable_failure(), fixtures::failing_info(), {});
  j["steps"][1]["command"] = 3;
  BOOST_TEST(expect_error(dir.file("d.json", j.dump())).find("/steps/1/command") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_reporter_saves_the_failure_and_the_flaky_ones) {
  TempDir dir;
  auto info = fixtures::failing_info();
  reports::TraceReporter traces((dir.path / "tr").string(), info, {"delete-noop"});
  auto r = fixtures::failing_run();
  auto flaky = fixtures::flaky_failures();
  traces.run_finished({r, flaky, false, 0});
  BOOST_TEST(fs::exists(dir.path / "tr" / "delete.removes-7.json"));
  BOOST_TEST(fs::exists(dir.path / "tr" / "keep_alive.extends_lease-7.json"));
}

BOOST_AUTO_TEST_CASE(the_reporter_saves_nothing_for_a_pass_or_an_internal_error) {
  TempDir dir;
  auto info = fixtures::passing_info();
  reports::TraceReporter traces((dir.path / "tr").string(), info, {});
  std::vector<engine::Failure> flaky;
  auto r = fixtures::passing_run();
  traces.run_finished({r, flaky, false, 0});
  r = fixtures::failing_run();
  r.failures.front().violation.clause = "harness.internal";
  traces.run_finished({r, flaky, false, 0});
  BOOST_TEST(!fs::exists(dir.path / "tr"));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace test_trace_file
