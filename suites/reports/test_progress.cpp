// The progress line, fed events.
#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <string>

#include "conformance/reports/progress.hpp"
#include "fixtures.hpp"

// Its own namespace: the suites build as one file (CMAKE_UNITY_BUILD) with the others.
namespace test_progress {

namespace reports = conformance::reports;
namespace engine = conformance::engine;

namespace {

std::string contents(std::FILE* f) {
  std::rewind(f);
  std::string s;
  for (int c; (c = std::fgetc(f)) != EOF;)
    s += static_cast<char>(c);
  return s;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(progress)

BOOST_AUTO_TEST_CASE(one_line_rewritten_in_place_and_ended_once) {
  std::FILE* f = std::tmpfile();
  BOOST_REQUIRE(f);
  reports::ProgressReporter progress(f);
  engine::Progress p;
  p.sequences = 12;
  p.calls = 300;
  p.seconds = 2;
  p.failures = 1;
  p.clauses_reached = 40;
  p.clauses_total = 51;
  progress.sequence_finished({p});
  p.calls = 350;
  p.seconds = 2.1;  // too soon: not drawn
  progress.sequence_finished({p});
  p.calls = 400;
  p.seconds = 2.5;
  progress.sequence_finished({p});
  p.calls = 450;
  p.seconds = 2.6;  // too soon, but the last state: drawn when the run ends
  progress.sequence_finished({p});
  auto r = fixtures::passing_run();
  auto f0 = *fixtures::failing_run().failure();
  std::vector<engine::Failure> flaky;
  progress.recheck_done({f0, true, ""});
  progress.run_finished({r, flaky, false, 0});
  BOOST_TEST(contents(f) ==
             "\r      2 s        300 calls     150 calls/s       12 sequences  1 failures  "
             "clauses 40/51   "
             "\r      2 s        400 calls     160 calls/s       12 sequences  1 failures  "
             "clauses 40/51   "
             "\r      3 s        450 calls     173 calls/s       12 sequences  1 failures  "
             "clauses 40/51   \n");
  std::fclose(f);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace test_progress
