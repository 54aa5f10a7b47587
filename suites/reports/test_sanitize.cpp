// Visible escaping of server text, and the reporters' own secret filter.
#include <boost/test/unit_test.hpp>
#include <sstream>

#include "conformance/reports/junit.hpp"
#include "conformance/reports/markdown.hpp"
#include "conformance/reports/sanitize.hpp"
#include "fixtures.hpp"

// Its own namespace: the suites build as one file (CMAKE_UNITY_BUILD) with the others.
namespace test_sanitize {

namespace reports = conformance::reports;

BOOST_AUTO_TEST_SUITE(sanitize)

BOOST_AUTO_TEST_CASE(unprintable_characters_become_visible_text) {
  using reports::visible_text;
  BOOST_TEST(visible_text("a\x01\x07z") == "a\\u0001\\u0007z");
  BOOST_TEST(visible_text("\xff\xfe") == "\\xFF\\xFE");
  BOOST_TEST(visible_text("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80") ==
             "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
  BOOST_TEST(visible_text("\xc0\xaf") == "\\xC0\\xAF");                    // overlong
  BOOST_TEST(visible_text("\xed\xa0\x80") == "\\xED\\xA0\\x80");           // surrogate
  BOOST_TEST(visible_text("\xf4\x90\x80\x80") == "\\xF4\\x90\\x80\\x80");  // > U+10FFFF
  BOOST_TEST(visible_text("\xe2\x82") == "\\xE2\\x82");                    // truncated
  BOOST_TEST(visible_text("\xef\xbf\xbe") == "\\uFFFE");
  BOOST_TEST(visible_text("\x7f\xc2\x85") == "\\u007F\\u0085");  // DEL, C1 NEL
  BOOST_TEST(visible_text("a\tb\r\nc") == "a\tb\\r\nc");
  BOOST_TEST(visible_text("a\tb\r\nc", true) == "a\\tb\\r\\nc");
  BOOST_TEST(visible_text(std::string("\0", 1)) == "\\u0000");
}

BOOST_AUTO_TEST_CASE(truncation_keeps_whole_characters) {
  BOOST_TEST(reports::truncate_utf8("\xc3\xa9\xc3\xa9\xc3\xa9", 2) == "\xc3\xa9\xc3\xa9...");
  BOOST_TEST(reports::truncate_utf8("abc", 3) == "abc");
}

BOOST_AUTO_TEST_CASE(secret_headers_are_redacted_everywhere) {
  const std::string session = "3f1c9a7be2d84e6f";
  const std::string basic = "dXNlcjpwYXNzd29yZA==";
  const std::string cookie = "vmware-api-session-id=5e2b8c4d9a0f";
  auto f = fixtures::failure_with_body("{\"echo\":\"" + session + "\"}");
  f.trace[0].exchange.request.headers = {{"Authorization", "Basic " + basic},
                                         {"VMware-API-Session-Id", session},
                                         {"Cookie", cookie},
                                         {"Accept", "application/json"}};
  const conformance::engine::SecretHeaders secrets({"vmware-api-session-id"});
  BOOST_TEST(secrets.contains("PROXY-Authorization"));
  BOOST_TEST(!secrets.contains("accept"));
  // The session header is secret because the binding names it, not by name alone.
  BOOST_TEST(!conformance::engine::SecretHeaders().contains("VMware-API-Session-Id"));

  auto clean = reports::redact_failure(f, secrets);
  for (const auto& [name, value] : clean.trace[0].exchange.request.headers)
    BOOST_TEST((value == "<redacted>") == (name != "Accept"), name << ": " << value);
  BOOST_TEST(clean.trace.back().exchange.response.body == "{\"echo\":\"<redacted>\"}");

  auto r = fixtures::failing_run();
  r.failures = {f};
  std::vector<conformance::engine::Failure> flaky{f};
  flaky[0].violation.clause = "keep_alive.extends_lease";
  std::ostringstream xml, md;
  reports::write_junit(xml, fixtures::shipped_spec(), r, fixtures::failing_info(), &flaky);
  reports::write_markdown(md, fixtures::shipped_spec(), r, fixtures::failing_info(), &flaky);
  for (const std::string& out : {xml.str(), md.str()}) {
    for (const std::string& secret : {session, basic, cookie, std::string("5e2b8c4d9a0f")})
      BOOST_TEST(out.find(secret) == std::string::npos, "leaked " << secret);
    BOOST_TEST(out.find("Accept: application/json") != std::string::npos);
  }
  BOOST_TEST(xml.str().find("Authorization: &lt;redacted&gt;") != std::string::npos);
  BOOST_TEST(md.str().find("Authorization: <redacted>") != std::string::npos);  // in a fence
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace test_sanitize
