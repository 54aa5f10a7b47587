// Markdown reporter: approval baselines and the escaping of table cells and fences.
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "conformance/reports/markdown.hpp"
#include "fixtures.hpp"

// Its own namespace: the suites build as one file (CMAKE_UNITY_BUILD) with the others.
namespace test_markdown {

namespace reports = conformance::reports;

namespace {

std::string render_markdown(const conformance::engine::RunResult& r, const reports::RunInfo& info,
                            const std::vector<conformance::engine::Failure>* flaky = nullptr) {
  std::ostringstream out;
  reports::write_markdown(out, fixtures::shipped_spec(), r, info, flaky);
  return out.str();
}

// Cell separators of a GFM table row: '|' not escaped by a backslash.
int separators(const std::string& row) {
  int n = 0;
  for (std::size_t i = 0; i < row.size(); ++i) {
    if (row[i] == '\\') {
      ++i;
      continue;
    }
    n += row[i] == '|';
  }
  return n;
}

// Every table (consecutive lines starting with '|') has rows of one width.
void check_tables(const std::string& md) {
  std::istringstream in(md);
  std::string line;
  int width = -1;
  bool in_fence = false;
  while (std::getline(in, line)) {
    if (line.rfind("```", 0) == 0) in_fence = !in_fence;
    if (in_fence || line.empty() || line[0] != '|') {
      width = -1;
      continue;
    }
    int w = separators(line);
    if (width < 0) width = w;
    BOOST_TEST(w == width, "row width differs: " << line);
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(markdown)

BOOST_AUTO_TEST_CASE(approved_passing) {
  std::string md = render_markdown(fixtures::passing_run(), fixtures::passing_info());
  std::string problem = fixtures::approve("passing.md", md);
  BOOST_TEST(problem.empty(), problem);
  check_tables(md);
  BOOST_TEST(md.rfind("## ✅ Conformance passed", 0) == 0);
}

BOOST_AUTO_TEST_CASE(approved_failing_with_flaky) {
  auto flaky = fixtures::flaky_failures();
  std::string md = render_markdown(fixtures::failing_run(), fixtures::failing_info(), &flaky);
  std::string problem = fixtures::approve("failing.md", md);
  BOOST_TEST(problem.empty(), problem);
  check_tables(md);
  BOOST_TEST(md.rfind("## ❌ Conformance failed", 0) == 0);
  // The body holds ```fence```: the trace's fence must be longer.
  BOOST_TEST(md.find("````text\n") != std::string::npos);
  BOOST_TEST(md.find('\x07') == std::string::npos);
  BOOST_TEST(md.find("\\u0007") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(cells_escape_pipes_and_backticks) {
  BOOST_TEST(reports::markdown_text("a|b`c") == "a\\|b\\`c");
  BOOST_TEST(reports::markdown_text("<script>&") == "&lt;script&gt;&amp;");
  BOOST_TEST(reports::markdown_text("line\nbreak") == "line\\\\nbreak");
  BOOST_TEST(reports::markdown_code("ACTIVE|ERROR", true) == "`ACTIVE\\|ERROR`");
  BOOST_TEST(reports::markdown_code("ACTIVE|ERROR", false) == "`ACTIVE|ERROR`");
  BOOST_TEST(reports::markdown_code("a`b", false) == "``a`b``");
  BOOST_TEST(reports::markdown_code("`x", false) == "`` `x ``");
  BOOST_TEST(reports::markdown_fence("x ```` y") == "`````text\nx ```` y\n`````\n");
  BOOST_TEST(reports::markdown_fence("plain\n") == "```text\nplain\n```\n");
}

BOOST_AUTO_TEST_CASE(matrix_has_one_column_per_outcome) {
  std::string md = render_markdown(fixtures::passing_run(), fixtures::passing_info());
  BOOST_TEST(md.find("| Operation | State before | `success` | `INVALID_ARGUMENT` | "
                     "`NOT_ALLOWED_IN_CURRENT_STATE` "
                     "| `NOT_FOUND` | `transport` |") != std::string::npos);
  BOOST_TEST(md.find("| `DownloadSession.delete` | `CANCELED\\|ERROR` | 2 |") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(markdown_reporter)

BOOST_AUTO_TEST_CASE(writes_at_checkpoints_and_at_the_end) {
  namespace fs = std::filesystem;
  fs::path file = fs::temp_directory_path() / "reports-markdown-reporter.md";
  fs::remove(file);
  auto info = fixtures::failing_info();
  reports::MarkdownReporter md(file.string(), fixtures::shipped_spec(), info);
  auto read = [&] {
    std::ifstream in(file);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  };
  auto partial = fixtures::passing_run();
  md.checkpoint({partial});
  BOOST_TEST(read() == render_markdown(partial, info));
  auto r = fixtures::failing_run();
  std::vector<conformance::engine::Failure> none;
  md.run_finished({r, none, false, 0});
  BOOST_TEST(read() == render_markdown(r, info));
  fs::remove(file);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace test_markdown
