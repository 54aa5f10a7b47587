// The console reporter, fed events: regressions, re-check notes, the end of a run.
#include <boost/test/unit_test.hpp>
#include <optional>
#include <sstream>

#include "conformance/reports/console.hpp"
#include "fixtures.hpp"

// Its own namespace: the suites build as one file (CMAKE_UNITY_BUILD) with the others.
namespace test_console {

namespace reports = conformance::reports;
namespace engine = conformance::engine;

namespace {

std::string summary(const engine::RunResult& r, const reports::RunInfo& info) {
  std::ostringstream s;
  reports::write_console(s, fixtures::shipped_spec(), r, info);
  return s.str();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(console)

BOOST_AUTO_TEST_CASE(regressions_say_which_still_fail_and_which_are_fixed) {
  std::ostringstream out;
  auto info = fixtures::passing_info();
  reports::ConsoleReporter console(out, fixtures::shipped_spec(), info);
  std::string dir = "tr", a = "tr/a.json", b = "tr/b.json", old = "abcdef0123456789",
              now = fixtures::shipped_spec().sha256, clause = "delete.removes";
  std::optional<engine::Failure> still = *fixtures::failing_run().failure(), none;
  console.regressions_started({dir, 2});
  console.replay_started({a, old, now});
  console.replay_finished({a, clause, still});
  console.replay_started({b, now, now});
  console.replay_finished({b, clause, none});
  console.regressions_finished({});
  BOOST_TEST(out.str() ==
             "Regressions (2 in tr):\n"
             "  note: tr/a.json was recorded with another spec (sha256 abcdef012345)\n"
             "  still fails: tr/a.json: delete.removes: expected 404 NOT_FOUND; got success "
             "(HTTP 200)\n"
             "  fixed: tr/b.json (was delete.removes)\n\n");
}

BOOST_AUTO_TEST_CASE(a_passing_run_ends_with_the_summary) {
  std::ostringstream out;
  auto info = fixtures::passing_info();
  reports::ConsoleReporter console(out, fixtures::shipped_spec(), info, "traces");
  auto r = fixtures::passing_run();
  std::vector<engine::Failure> flaky;
  console.run_finished({r, flaky, false, 0});
  BOOST_TEST(out.str() == summary(r, info));
  BOOST_TEST(out.str().find("PASSED: no violations") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_failing_run_names_its_trace_file) {
  std::ostringstream out;
  auto info = fixtures::failing_info();
  reports::ConsoleReporter console(out, fixtures::shipped_spec(), info, "traces");
  auto r = fixtures::failing_run();
  std::vector<engine::Failure> flaky;
  console.run_finished({r, flaky, true, 0});
  std::ostringstream expected;
  reports::write_console(expected, fixtures::shipped_spec(), r, info, &flaky, "traces");
  BOOST_TEST(out.str() == expected.str());
  BOOST_TEST(out.str().find("  trace: traces/delete.removes-7.json\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(flaky_failures_and_unreached_clauses_are_listed) {
  std::ostringstream out;
  auto info = fixtures::passing_info();
  reports::ConsoleReporter console(out, fixtures::shipped_spec(), info);
  auto r = fixtures::passing_run();
  auto flaky = fixtures::flaky_failures();
  console.run_finished({r, flaky, true, 3});
  std::string tail = out.str().substr(summary(r, info).size());
  BOOST_TEST(tail ==
             "\nFLAKY: keep_alive.extends_lease failed once (expected expiration_time >= "
             "2030-01-01T00:05:00.000Z; got 2030-01-01T00:04:59.000Z) and did not reproduce "
             "from seed 7\n"
             "--min-coverage: 3 non-open clauses were never reached\n");
}

BOOST_AUTO_TEST_CASE(an_aborted_run_says_so_and_nothing_about_coverage) {
  std::ostringstream out;
  auto info = fixtures::failing_info();
  reports::ConsoleReporter console(out, fixtures::shipped_spec(), info);
  auto r = fixtures::failing_run();
  r.aborted = true;
  std::vector<engine::Failure> flaky;
  console.run_finished({r, flaky, true, 3});
  std::string tail = out.str().substr(summary(r, info).size());
  BOOST_TEST(tail ==
             "\nABORTED: stopped at the first transport error (--on-transport-error abort): "
             "not shrunk, not re-checked\n");
}

BOOST_AUTO_TEST_CASE(a_failure_that_could_not_be_rechecked_gets_a_note) {
  std::ostringstream out;
  auto info = fixtures::failing_info();
  reports::ConsoleReporter console(out, fixtures::shipped_spec(), info);
  auto f = *fixtures::failing_run().failure();
  console.recheck_done({f, true, ""});
  BOOST_TEST(out.str().empty());
  console.recheck_done({f, true, "connection refused"});
  BOOST_TEST(out.str() == "note: the failure could not be re-checked: connection refused\n");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace test_console
