// JUnit reporter: approval baselines, counts, times, XML hygiene.
#include <boost/property_tree/ptree.hpp>
#include <boost/property_tree/xml_parser.hpp>
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <regex>
#include <sstream>

#include "conformance/reports/junit.hpp"
#include "fixtures.hpp"

// Its own namespace: the suites build as one file (CMAKE_UNITY_BUILD) with the others.
namespace test_junit {

namespace reports = conformance::reports;
namespace pt = boost::property_tree;

namespace {

std::string render_junit(const conformance::engine::RunResult& r, const reports::RunInfo& info,
                         const std::vector<conformance::engine::Failure>* flaky = nullptr,
                         reports::JunitRoot root = reports::JunitRoot::testsuites) {
  std::ostringstream out;
  reports::write_junit(out, fixtures::shipped_spec(), r, info, flaky, root);
  return out.str();
}

// Every character XML 1.0 allows, in valid UTF-8; and nothing C0 but tab and newline.
bool xml_safe(const std::string& s) {
  for (std::size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c < 0x20 && c != '\n' && c != '\t') return false;
      ++i;
      continue;
    }
    std::size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
    if (n == 0 || c > 0xF4 || i + n > s.size()) return false;
    char32_t cp = c & (0x7F >> n);
    for (std::size_t k = 1; k < n; ++k) {
      unsigned char b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (b & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF))) return false;
    if ((cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF) return false;
    i += n;
  }
  return true;
}

struct Counts {
  int tests = 0, failures = 0, skipped = 0, errors = 0;
};

// Checks the suite's counts against its children; returns the counts.
Counts check_counts(const pt::ptree& suite) {
  Counts c;
  for (const auto& [tag, child] : suite) {
    if (tag != "testcase") continue;
    ++c.tests;
    c.failures += static_cast<int>(child.count("failure"));
    c.skipped += static_cast<int>(child.count("skipped"));
    c.errors += static_cast<int>(child.count("error"));
    BOOST_TEST(child.count("failure") + child.count("skipped") + child.count("error") <= 1u);
  }
  BOOST_TEST(suite.get<int>("<xmlattr>.tests") == c.tests);
  BOOST_TEST(suite.get<int>("<xmlattr>.failures") == c.failures);
  BOOST_TEST(suite.get<int>("<xmlattr>.skipped") == c.skipped);
  BOOST_TEST(suite.get<int>("<xmlattr>.errors") == c.errors);
  return c;
}

pt::ptree parse(const std::string& xml) {
  std::istringstream in(xml);
  pt::ptree tree;
  pt::read_xml(in, tree);
  return tree;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(junit)

BOOST_AUTO_TEST_CASE(approved_passing) {
  std::string problem = fixtures::approve(
      "passing.xml", render_junit(fixtures::passing_run(), fixtures::passing_info()));
  BOOST_TEST(problem.empty(), problem);
}

BOOST_AUTO_TEST_CASE(approved_failing_with_flaky) {
  auto flaky = fixtures::flaky_failures();
  std::string problem = fixtures::approve(
      "failing.xml", render_junit(fixtures::failing_run(), fixtures::failing_info(), &flaky));
  BOOST_TEST(problem.empty(), problem);
}

BOOST_AUTO_TEST_CASE(approved_failing_single_suite_root) {
  auto flaky = fixtures::flaky_failures();
  std::string problem = fixtures::approve(
      "failing.testsuite.xml", render_junit(fixtures::failing_run(), fixtures::failing_info(),
                                            &flaky, reports::JunitRoot::testsuite));
  BOOST_TEST(problem.empty(), problem);
}

BOOST_AUTO_TEST_CASE(counts_equal_children) {
  auto flaky = fixtures::flaky_failures();
  const auto& spec = fixtures::shipped_spec();
  {
    auto tree = parse(render_junit(fixtures::passing_run(), fixtures::passing_info()));
    const auto& root = tree.get_child("testsuites");
    Counts c = check_counts(root.get_child("testsuite"));
    BOOST_TEST(c.tests == static_cast<int>(spec.clauses().size()));
    BOOST_TEST(c.failures == 0);
    BOOST_TEST(c.skipped == 1);  // create.client_token_after_removal
    BOOST_TEST(root.get<int>("<xmlattr>.tests") == c.tests);
    BOOST_TEST(root.get<int>("<xmlattr>.failures") == 0);
  }
  {
    auto tree = parse(render_junit(fixtures::failing_run(), fixtures::failing_info(), &flaky));
    const auto& root = tree.get_child("testsuites");
    const auto& suite = root.get_child("testsuite");
    Counts c = check_counts(suite);
    BOOST_TEST(c.failures == 1);
    BOOST_TEST(c.skipped > 1);  // inferred clauses under --strictness documented
    BOOST_TEST(root.get<int>("<xmlattr>.failures") == 1);
    int flaky_cases = 0;
    for (const auto& [tag, child] : suite)
      if (tag == "testcase" && child.count("flakyFailure")) {
        ++flaky_cases;
        BOOST_TEST(child.get<std::string>("<xmlattr>.name") == "keep_alive.extends_lease");
        BOOST_TEST(child.get<std::string>("flakyFailure.<xmlattr>.type") == "violation");
        BOOST_TEST(child.get<std::string>("flakyFailure.stackTrace").find("did not reproduce") !=
                   std::string::npos);
      }
    BOOST_TEST(flaky_cases == 1);
  }
  {
    auto tree = parse(render_junit(fixtures::failing_run(), fixtures::failing_info(), &flaky,
                                   reports::JunitRoot::testsuite));
    check_counts(tree.get_child("testsuite"));
  }
}

BOOST_AUTO_TEST_CASE(one_testcase_per_clause_in_spec_order) {
  auto tree = parse(render_junit(fixtures::passing_run(), fixtures::passing_info()));
  std::vector<std::string> names;
  for (const auto& [tag, child] : tree.get_child("testsuites.testsuite"))
    if (tag == "testcase") {
      names.push_back(child.get<std::string>("<xmlattr>.name"));
      BOOST_TEST(!child.get<std::string>("<xmlattr>.classname").empty());
    }
  std::vector<std::string> expected;
  for (const auto* c : fixtures::shipped_spec().clauses())
    expected.push_back(c->id);
  BOOST_TEST(names == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(failure_holds_expected_actual_trace_seed_and_reproduce) {
  auto tree = parse(render_junit(fixtures::failing_run(), fixtures::failing_info()));
  bool found = false;
  for (const auto& [tag, child] : tree.get_child("testsuites.testsuite")) {
    if (tag != "testcase" || !child.count("failure")) continue;
    found = true;
    BOOST_TEST(child.get<std::string>("<xmlattr>.name") == "delete.removes");
    BOOST_TEST(child.get<std::string>("<xmlattr>.classname") == "DownloadSession.delete");
    std::string text = child.get<std::string>("failure");
    BOOST_TEST(child.get<std::string>("failure.<xmlattr>.type") == "violation");
    BOOST_TEST(child.get<std::string>("failure.<xmlattr>.message") ==
               "delete.removes: expected 404 NOT_FOUND; got success (HTTP 200)");
    for (std::string part :
         {"expected: 404 NOT_FOUND", "actual:   success (HTTP 200)", "seed: 7",
          "> GET /api/content/library/item/download-session/", "< HTTP 200",
          "bell\\u0001\\u0007 bad\\xFF\\xFE <b>&amp; ]]>",
          "reproduce: conformance run --target mock --fault delete-noop --seed 7"})
      BOOST_TEST(text.find(part) != std::string::npos, "missing: " << part);
  }
  BOOST_TEST(found);
}

BOOST_AUTO_TEST_CASE(times_have_at_most_three_decimals) {
  const std::regex time_attr("time=\"([^\"]*)\"");
  const std::regex number("^[0-9]+(\\.[0-9]{1,3})?$");
  for (double seconds : {0.0, 0.0004, 3.35671, 1234567.8915, -1.0, std::nan(""),
                         std::numeric_limits<double>::infinity()}) {
    auto r = fixtures::failing_run();
    r.seconds = seconds;
    std::string xml = render_junit(r, fixtures::failing_info());
    int n = 0;
    for (auto it = std::sregex_iterator(xml.begin(), xml.end(), time_attr);
         it != std::sregex_iterator(); ++it) {
      ++n;
      std::string t = (*it)[1];
      BOOST_TEST(std::regex_match(t, number), "time=\"" << t << "\" for " << seconds);
    }
    BOOST_TEST(n > 2);
  }
  BOOST_TEST(reports::junit_time(-0.5) == "0.000");
  BOOST_TEST(reports::junit_time(std::nan("")) == "0.000");
  BOOST_TEST(reports::junit_time(1.23456) == "1.235");
}

BOOST_AUTO_TEST_CASE(every_byte_value_in_a_body_stays_valid_xml) {
  std::string body;
  for (int i = 0; i < 256; ++i)
    body += static_cast<char>(i);
  // Truncated, overlong, surrogate and out-of-range sequences, and U+FFFE.
  body += "\xe2\x82 \xc0\xaf \xed\xa0\x80 \xf4\x90\x80\x80 \xef\xbf\xbe \xf0\x9f\x98\x80 \xe2";
  auto r = fixtures::failing_run();
  r.failures = {fixtures::failure_with_body(body)};
  r.failures.front().violation.actual = body;  // also lands in the message attribute
  std::string xml = render_junit(r, fixtures::failing_info());
  BOOST_TEST(xml_safe(xml));
  BOOST_TEST(xml.find("]]>") == std::string::npos);
  BOOST_TEST(xml.find("\\u0000") != std::string::npos);
  BOOST_TEST(xml.find("\\xFF") != std::string::npos);
  BOOST_TEST(xml.find("\\uFFFE") != std::string::npos);
  BOOST_TEST(xml.find("\xf0\x9f\x98\x80") != std::string::npos);  // valid UTF-8 kept as is
  BOOST_CHECK_NO_THROW(parse(xml));
}

BOOST_AUTO_TEST_CASE(unknown_failed_clause_still_fails_the_report) {
  auto r = fixtures::failing_run();
  r.failures.front().violation.clause = "no.such.clause";
  r.coverage.violations.clear();
  auto tree = parse(render_junit(r, fixtures::passing_info()));
  Counts c = check_counts(tree.get_child("testsuites.testsuite"));
  BOOST_TEST(c.failures == 1);
  BOOST_TEST(c.tests == static_cast<int>(fixtures::shipped_spec().clauses().size()) + 1);
}

BOOST_AUTO_TEST_CASE(internal_harness_failure_is_an_error) {
  auto r = fixtures::failing_run();
  r.failures.front().violation.clause = "harness.internal";
  r.coverage.violations.clear();
  auto tree = parse(render_junit(r, fixtures::passing_info()));
  Counts c = check_counts(tree.get_child("testsuites.testsuite"));
  BOOST_TEST(c.errors == 1);
  BOOST_TEST(c.failures == 0);
  BOOST_TEST(tree.get<int>("testsuites.<xmlattr>.errors") == 1);
}

BOOST_AUTO_TEST_CASE(properties_describe_the_run) {
  auto tree = parse(render_junit(fixtures::passing_run(), fixtures::passing_info()));
  std::map<std::string, std::string> props;
  for (const auto& [tag, p] : tree.get_child("testsuites.testsuite.properties"))
    if (tag == "property")
      props[p.get<std::string>("<xmlattr>.name")] = p.get<std::string>("<xmlattr>.value");
  BOOST_TEST(props["seed"] == "1");
  BOOST_TEST(props["target"] == "mock");
  BOOST_TEST(props["binding"] == "api");
  BOOST_TEST(props["spec_file"] == "specs/downloadsession.json");
  BOOST_TEST(props["spec_sha256"].size() == 64u);
  BOOST_TEST(props["strictness"] == "inferred");
  BOOST_TEST(props["harness_version"] == "0.1.0");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(junit_reporter)

// The reporter writes what write_junit() renders: at checkpoints (no flaky list) and
// at the end of the run (with it).
BOOST_AUTO_TEST_CASE(writes_at_checkpoints_and_at_the_end) {
  namespace fs = std::filesystem;
  fs::path file = fs::temp_directory_path() / "reports-junit-reporter.xml";
  fs::remove(file);
  auto info = fixtures::failing_info();
  reports::JunitReporter junit(file.string(), fixtures::shipped_spec(), info);
  auto read = [&] {
    std::ifstream in(file);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  };
  auto partial = fixtures::passing_run();
  partial.interrupted = true;
  junit.checkpoint({partial});
  BOOST_TEST(read() == render_junit(partial, info));
  auto r = fixtures::failing_run();
  auto flaky = fixtures::flaky_failures();
  junit.run_finished({r, flaky, false, 0});
  BOOST_TEST(read() == render_junit(r, info, &flaky));
  fs::remove(file);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace test_junit
