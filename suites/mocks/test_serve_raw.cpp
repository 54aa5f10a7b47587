// dsmock::Server::serve_raw: the in-memory request path used by the libFuzzer target.
#include <cstdlib>

#include "mock_client.hpp"

using namespace mt;

namespace {

int status_of(const std::string& answer, std::size_t at = 0) {
  if (answer.compare(at, 9, "HTTP/1.1 ") != 0) return 0;
  return std::atoi(answer.c_str() + at + 9);
}

// The body of the first answer (by its Content-Length, when there is one).
std::string body_of(const std::string& answer) {
  const auto end = answer.find("\r\n\r\n");
  if (end == std::string::npos) return "";
  const std::string head = lower(answer.substr(0, end));
  const auto cl = head.find("\r\ncontent-length: ");
  if (cl == std::string::npos) return answer.substr(end + 4);
  return answer.substr(end + 4, std::strtoul(head.c_str() + cl + 18, nullptr, 10));
}

const std::string kAliceLogin =
    "POST /api/session HTTP/1.1\r\nHost: x\r\nAuthorization: Basic YWxpY2U6YWxpY2UtcGFzcw==\r\n"
    "\r\n";

}  // namespace

BOOST_AUTO_TEST_SUITE(serve_raw)

BOOST_AUTO_TEST_CASE(without_start) {
  dsmock::Server s(Mock::virtual_opts());
  const std::string login = s.serve_raw(kAliceLogin);
  BOOST_TEST_REQUIRE(status_of(login) == 201, login);
  const std::string token = json::parse(body_of(login)).get<std::string>();
  // Two keep-alive requests on one "connection": two answers, in order.
  const std::string get =
      "GET /api/session HTTP/1.1\r\nHost: x\r\nvmware-api-session-id: " + token + "\r\n\r\n";
  const std::string two = s.serve_raw(get + "GET /mock/v1/clock HTTP/1.1\r\nHost: x\r\n\r\n");
  BOOST_TEST(status_of(two) == 200);
  const auto second = two.find("HTTP/1.1 ", 1);
  BOOST_TEST_REQUIRE(second != std::string::npos);
  BOOST_TEST(status_of(two, second) == 200);
  BOOST_TEST(two.find("\"user\":\"alice\"") < second);
  BOOST_TEST(two.find("\"mode\":\"virtual\"") > second);
  // What cannot be parsed gets httplib's 400 with the mock's error body (here twice: httplib
  // keeps the connection and reads the empty line as a second, bad, request).
  const std::string bad = s.serve_raw("GARBAGE\r\n\r\n");
  BOOST_TEST(status_of(bad) == 400);
  BOOST_TEST(json::parse(body_of(bad), nullptr, false).is_object());
  BOOST_TEST(s.serve_raw("").empty());
}

BOOST_AUTO_TEST_CASE(shares_the_running_servers_state) {
  MockFx fx;
  Ds ds = fx.as_alice(B::Api);
  const std::string id = ds.make();
  const std::string a = fx.mock.server.serve_raw(
      "GET " + ds.instance(id) + " HTTP/1.1\r\nHost: x\r\nvmware-api-session-id: " + fx.alice +
      "\r\n\r\n");
  BOOST_TEST_REQUIRE(status_of(a) == 200, a);
  BOOST_TEST(json::parse(body_of(a)).value("state", "") == "ACTIVE");
  const std::string del = fx.mock.server.serve_raw("DELETE " + ds.instance(id) +
                                                   " HTTP/1.1\r\nHost: x\r\nvmware-api-session-"
                                                   "id: " +
                                                   fx.alice + "\r\n\r\n");
  BOOST_TEST(status_of(del) == 204);
  check_error(ds.get(id), B::Api, 404, "NOT_FOUND");
}

// Content providers write their body through serve_raw too (httplib skips them when it thinks
// the server is shutting down).
BOOST_AUTO_TEST_CASE(downloads_carry_their_bytes) {
  MockFx fx;
  Ds ds = fx.as_alice(B::Api);
  const std::string id = ds.make();
  const std::string path =
      uri_path(ds.file_prepare(id, "photon-5.mf").v()["download_endpoint"]["uri"]);
  const std::string a = fx.mock.server.serve_raw("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
  BOOST_TEST_REQUIRE(status_of(a) == 200, a.substr(0, 300));
  BOOST_TEST(body_of(a) == expected_content("photon-5.mf", 1024));
}

BOOST_AUTO_TEST_CASE(bad_options_throw) {
  dsmock::Options o;
  o.faults = {"no-such-fault"};
  dsmock::Server s(o);
  BOOST_CHECK_THROW(s.serve_raw(kAliceLogin), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
