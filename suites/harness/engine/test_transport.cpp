// The transport: percent-encoding, redaction, and what a target that does not answer
// becomes (a transport error, never an exception).
#include <httplib.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <thread>

#include "conformance/engine/transport.hpp"

// Its own namespace: the suites build as one file (CMAKE_UNITY_BUILD) with the others.
namespace test_transport {

using namespace conformance;

BOOST_AUTO_TEST_SUITE(transport)

BOOST_AUTO_TEST_CASE(percent_encoding_keeps_unreserved_characters) {
  BOOST_TEST(engine::percent_encode("aZ09-_.~", false) == "aZ09-_.~");
  BOOST_TEST(engine::percent_encode("a b/c", false) == "a%20b%2Fc");
  BOOST_TEST(engine::percent_encode("x:y", false) == "x%3Ay");
  BOOST_TEST(engine::percent_encode("x:y", true) == "x:y");
}

BOOST_AUTO_TEST_CASE(credentials_are_redacted_in_any_case) {
  engine::HttpRequest r;
  r.headers = {{"Authorization", "Basic abc"}, {"COOKIE", "a=b"}, {"Accept", "*/*"}};
  auto out = engine::redacted(r, engine::SecretHeaders());
  BOOST_TEST(out.headers[0].second == "<redacted>");
  BOOST_TEST(out.headers[1].second == "<redacted>");
  BOOST_TEST(out.headers[2].second == "*/*");
  BOOST_TEST(r.headers[0].second == "Basic abc");  // the original is left as it was
  r.headers = {{"X-Toy-Token", "t0"}};
  BOOST_TEST(engine::redacted(r, engine::SecretHeaders()).headers[0].second == "t0");
  BOOST_TEST(engine::redacted(r, engine::SecretHeaders({"x-toy-token"})).headers[0].second ==
             "<redacted>");
}

BOOST_AUTO_TEST_CASE(a_closed_port_is_a_transport_error) {
  int port = 0;
  {
    httplib::Server probe;
    port = probe.bind_to_any_port("127.0.0.1");
  }  // closed again
  engine::Profile p;
  p.url = "http://127.0.0.1:" + std::to_string(port);
  p.request_timeout_s = 2;
  engine::Transport t(p);
  auto r = t.send({"GET", "/x", "", {}, std::nullopt});
  BOOST_TEST(r.status == 0);
  BOOST_TEST(!r.transport_error.empty());
}

BOOST_AUTO_TEST_CASE(an_answer_comes_back_with_status_body_and_type) {
  httplib::Server svr;
  svr.Get("/hello", [](const httplib::Request& req, httplib::Response& res) {
    res.set_content("{\"q\":\"" + req.get_param_value("q") + "\"}", "application/json");
  });
  int port = svr.bind_to_any_port("127.0.0.1");
  std::thread th([&] { svr.listen_after_bind(); });
  while (!svr.is_running())
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  engine::Profile p;
  p.url = "http://127.0.0.1:" + std::to_string(port);
  engine::Transport t(p);
  auto r = t.send({"GET", "/hello", "q=1", {}, std::nullopt});
  BOOST_TEST(r.transport_error == "");
  BOOST_TEST(r.status == 200);
  BOOST_TEST(r.body == "{\"q\":\"1\"}");
  BOOST_TEST(r.content_type.find("application/json") == 0u);
  svr.stop();
  th.join();
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace test_transport
