// Coverage-coloured state machine.
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "conformance/reports/dot.hpp"
#include "conformance/spec/loader.hpp"
#include "fixtures.hpp"

// Its own namespace: the suites build as one file (CMAKE_UNITY_BUILD) with the others.
namespace test_dot {

namespace {

int edges(const std::string& dot) {
  int n = 0;
  std::istringstream in(dot);
  for (std::string line; std::getline(in, line);)
    n += line.find(" -> ") != std::string::npos;
  return n;
}

bool has_line(const std::string& dot, const std::string& text) {
  return dot.find(text) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(dot)

BOOST_AUTO_TEST_CASE(same_edges_as_the_spec_graph) {
  const auto& spec = fixtures::shipped_spec();
  std::string dot = conformance::reports::coverage_dot(spec, fixtures::passing_run());
  BOOST_TEST(dot.rfind("digraph coverage {", 0) == 0);
  BOOST_TEST(edges(dot) == edges(conformance::spec::to_dot(spec)));
}

BOOST_AUTO_TEST_CASE(edges_coloured_by_the_matrix) {
  std::string dot =
      conformance::reports::coverage_dot(fixtures::shipped_spec(), fixtures::passing_run());
  // delete succeeded from ACTIVE; fail was only called from CANCELED; cancel never from ERROR.
  BOOST_TEST(has_line(dot,
                      "\"DownloadSession.ACTIVE\" -> \"DownloadSession.(gone)\" "
                      "[label=\"DownloadSession.delete\", color=green4"));
  BOOST_TEST(has_line(dot,
                      "\"DownloadSession.(start)\" -> \"DownloadSession.ACTIVE\" "
                      "[label=\"DownloadSession.create\", color=green4"));
  BOOST_TEST(has_line(dot,
                      "\"DownloadSession.ACTIVE\" -> \"DownloadSession.ERROR\" "
                      "[label=\"DownloadSession.fail\", color=grey70"));
  BOOST_TEST(has_line(dot,
                      "\"DownloadSession.ERROR\" -> \"DownloadSession.(gone)\" "
                      "[label=\"DownloadSession.delete\", color=grey70"));
  BOOST_TEST(has_line(dot, "\"DownloadSession.ACTIVE\" [label=\"ACTIVE\", color=green4"));
  BOOST_TEST(has_line(dot, "\"DownloadSession.ERROR\" [label=\"ERROR\", color=grey70"));
}

BOOST_AUTO_TEST_CASE(called_but_never_succeeded_is_orange) {
  auto r = fixtures::passing_run();
  r.coverage.matrix["DownloadSession.cancel"]["ACTIVE"] = {{"NOT_FOUND", 3}};
  std::string dot = conformance::reports::coverage_dot(fixtures::shipped_spec(), r);
  BOOST_TEST(has_line(dot,
                      "\"DownloadSession.ACTIVE\" -> \"DownloadSession.CANCELED\" "
                      "[label=\"DownloadSession.cancel\", color=darkorange"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(dot_reporter)

BOOST_AUTO_TEST_CASE(writes_the_coverage_graph_at_the_end) {
  namespace fs = std::filesystem;
  fs::path file = fs::temp_directory_path() / "reports-dot-reporter.dot";
  fs::remove(file);
  const auto& spec = fixtures::shipped_spec();
  conformance::reports::DotReporter dot(file.string(), spec, /*svg=*/false);
  auto r = fixtures::passing_run();
  std::vector<conformance::engine::Failure> none;
  dot.run_finished({r, none, false, 0});
  std::ifstream in(file);
  std::stringstream s;
  s << in.rdbuf();
  BOOST_TEST(s.str() == conformance::reports::coverage_dot(spec, r));
  BOOST_TEST(!fs::exists(file.string() + ".svg"));
  fs::remove(file);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace test_dot
