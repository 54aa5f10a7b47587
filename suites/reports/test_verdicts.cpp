// The verdict every reporter gives: several failures each with their own minimal
// sequence, a clause violated without one is never passed, an interrupted run is
// INCOMPLETE, a clause left out is skipped with its reason, the failing call as curl.
#include <boost/test/unit_test.hpp>
#include <sstream>

#include "conformance/reports/console.hpp"
#include "conformance/reports/curl.hpp"
#include "conformance/reports/junit.hpp"
#include "conformance/reports/markdown.hpp"
#include "fixtures.hpp"

// Its own namespace: the suites build as one file (CMAKE_UNITY_BUILD) with the others.
namespace test_verdicts {

namespace reports = conformance::reports;
namespace engine = conformance::engine;

namespace {

struct Rendered {
  std::string console, junit, markdown;
};

Rendered render(const engine::RunResult& r, const reports::RunInfo& info) {
  std::ostringstream c, j, m;
  reports::write_console(c, fixtures::shipped_spec(), r, info);
  reports::write_junit(j, fixtures::shipped_spec(), r, info);
  reports::write_markdown(m, fixtures::shipped_spec(), r, info);
  return {c.str(), j.str(), m.str()};
}

std::size_t count(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (auto at = s.find(what); at != std::string::npos; at = s.find(what, at + 1))
    ++n;
  return n;
}

engine::RunResult two_failures() {
  auto r = fixtures::failing_run();
  engine::Failure second = r.failures.front();
  second.violation.clause = "list.owner_only";
  second.trace.back().violations.front().clause = "list.owner_only";
  second.after = {"delete.removes"};
  r.failures.push_back(second);
  r.coverage.violations["list.owner_only"] = 3;
  return r;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(verdicts)

BOOST_AUTO_TEST_CASE(each_failure_has_its_own_section_in_every_report) {
  auto out = render(two_failures(), fixtures::passing_info());
  BOOST_TEST(count(out.console, "\nFAILED: delete.removes") == 1u);
  BOOST_TEST(count(out.console, "\nFAILED: list.owner_only") == 1u);
  BOOST_TEST(count(out.console, "minimal sequence (") == 2u);
  BOOST_TEST(out.console.find("FAILED: 2 clauses violated") != std::string::npos);
  BOOST_TEST(count(out.junit, "<failure message=\"delete.removes") == 1u);
  BOOST_TEST(count(out.junit, "<failure message=\"list.owner_only") == 1u);
  BOOST_TEST(count(out.markdown, "### Failure: ") == 2u);
  // The second one followed a violation of the first: said so.
  BOOST_TEST(out.console.find("the sequence first violated delete.removes") != std::string::npos);
  BOOST_TEST(out.junit.find("after: the sequence first violated delete.removes") !=
             std::string::npos);
  BOOST_TEST(out.markdown.find("**After:**") != std::string::npos);
}

// Failures are grouped under the clause they may follow from, in the console and the
// Markdown summary; the verdict line counts the independent causes.
BOOST_AUTO_TEST_CASE(failures_are_grouped_by_cause) {
  auto r = two_failures();
  engine::Failure third = r.failures.front();
  third.violation.clause = "keep_alive.requires_active";
  third.after = {"cancel.sets_canceled"};  // no failure of its own: a cause of its own
  r.failures.push_back(third);
  auto groups = reports::group_by_cause(r);
  BOOST_REQUIRE(groups.size() == 2u);
  BOOST_TEST(groups[0].cause->violation.clause == "delete.removes");
  BOOST_REQUIRE(groups[0].consequences.size() == 1u);
  BOOST_TEST(groups[0].consequences[0]->violation.clause == "list.owner_only");
  BOOST_TEST(groups[1].cause->violation.clause == "keep_alive.requires_active");
  BOOST_TEST(reports::cause_summary(groups) == "2 independent causes; 1 may follow from them");
  auto out = render(r, fixtures::passing_info());
  BOOST_TEST(out.console.find("By cause (2 independent causes; 1 may follow from them):\n"
                              "  delete.removes\n    then list.owner_only\n"
                              "  keep_alive.requires_active\n") != std::string::npos,
             out.console);
  BOOST_TEST(out.console.find("(2 independent causes; 1 may follow from them)\n") !=
             std::string::npos);
  BOOST_TEST(out.markdown.find("`delete.removes` then `list.owner_only`") != std::string::npos);
  // Independent failures only: no grouping said.
  auto single = reports::group_by_cause(fixtures::failing_run());
  BOOST_TEST(reports::cause_summary(single).empty());
  // A clause left out of the run is not "reported on its own".
  auto info = fixtures::passing_info();
  info.excluded["cancel.sets_canceled"] = "excluded by --exclude";
  BOOST_TEST(reports::after_note("cancel.sets_canceled", info).find("(left out of this run)") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_clause_violated_without_a_minimal_sequence_is_never_passed) {
  auto r = fixtures::failing_run();
  r.coverage.violations["list.owner_only"] = 2;  // seen while shrinking delete.removes
  auto out = render(r, fixtures::passing_info());
  BOOST_TEST(out.console.find("failed      ") != std::string::npos);
  BOOST_TEST(out.console.find("list.owner_only (violated 2 times") != std::string::npos);
  BOOST_TEST(out.junit.find("<failure message=\"list.owner_only: violated 2 times") !=
             std::string::npos);
  BOOST_TEST(out.markdown.find("❌ failed: violated 2 times") != std::string::npos);
  BOOST_TEST(out.console.find("PASSED") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_interrupted_run_is_incomplete_in_every_report) {
  auto r = fixtures::passing_run();
  r.interrupted = true;
  auto out = render(r, fixtures::passing_info());
  BOOST_TEST(out.console.find("INCOMPLETE") != std::string::npos);
  BOOST_TEST(out.console.find("PASSED") == std::string::npos);
  BOOST_TEST(out.junit.find("name=\"verdict\" value=\"INCOMPLETE\"") != std::string::npos);
  BOOST_TEST(out.junit.find("type=\"incomplete\"") != std::string::npos);
  BOOST_TEST(out.markdown.find("INCOMPLETE") != std::string::npos);
  BOOST_TEST(out.markdown.find("passed:") == std::string::npos);
  BOOST_TEST(out.markdown.find("✅ Conformance passed") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_clause_left_out_is_skipped_with_its_reason_everywhere) {
  auto info = fixtures::passing_info();
  info.excluded["list.owner_only"] = "left out by --exclude 'list.*'";
  auto out = render(fixtures::passing_run(), info);
  BOOST_TEST(out.console.find("list.owner_only (left out by --exclude 'list.*')") !=
             std::string::npos);
  BOOST_TEST(out.junit.find("<skipped message=\"left out by --exclude 'list.*'\"") !=
             std::string::npos);
  BOOST_TEST(out.markdown.find("skipped: left out by --exclude") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_failing_call_as_curl_shows_no_secret) {
  auto r = fixtures::failing_run();
  auto& step = r.failures.front().trace.back();
  step.exchange.request.headers.emplace_back("vmware-api-session-id", "s3cr3t-token");
  auto info = fixtures::passing_info();
  info.target = "https://vc.example.com/";
  const engine::TraceStep* failing = reports::failing_step(r.failures.front());
  BOOST_REQUIRE(failing == &step);
  std::string cmd = reports::curl_command(step, info);
  BOOST_TEST(cmd.find("curl -sS -i -X GET 'https://vc.example.com/api/") == 0u);
  BOOST_TEST(cmd.find("-H \"vmware-api-session-id: $CONFORMANCE_SESSION_TOKEN\"") !=
             std::string::npos);
  BOOST_TEST(cmd.find("s3cr3t") == std::string::npos);
  auto out = render(r, info);
  BOOST_TEST(out.console.find("s3cr3t") == std::string::npos);
  BOOST_TEST(out.console.find("curl -sS") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace test_verdicts
