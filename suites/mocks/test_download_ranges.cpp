// Regression tests for the Range bug that the libFuzzer target (suites/mocks/fuzz) turned up:
// a download with a Range past the end of the file answered 200 and streamed invented bytes up
// to the end of the range (`bytes=0-999999999999`: a 1 TB answer that never ends), a range
// inside the file came back as 200 with a partial body, and httplib cut every JSON answer to
// the Range header (200 with truncated JSON, or 416 with an empty body).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "mock_client.hpp"

using namespace mt;

namespace {

// A prepared file's download path.
std::string download_path(const MockFx& fx, const std::string& name) {
  Ds ds = fx.as_alice(B::Api);
  const std::string id = ds.make();
  Resp p = ds.file_prepare(id, name);
  BOOST_REQUIRE_MESSAGE(p.status == 200, "prepare failed: " << p);
  return uri_path(p.v()["download_endpoint"]["uri"].get<std::string>());
}

// Sends one request (Connection: close) and reads at most `cap` bytes of the answer, for at
// most 5 s: a server that streams without end cannot hang the test.
std::string bounded_exchange(int port, const std::string& request, std::size_t cap) {
  int fd = connect_loopback(port);
  BOOST_REQUIRE(::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
                static_cast<ssize_t>(request.size()));
  std::string out;
  char buf[4096];
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (out.size() < cap && std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

std::string header_of(const httplib::Headers& h, const std::string& name) {
  auto it = h.find(name);
  return it == h.end() ? "" : it->second;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(download_ranges)

BOOST_AUTO_TEST_CASE(range_past_end_streamed_invented_bytes) {
  MockFx fx;
  const std::string path = download_path(fx, "photon-5.mf");  // 1024 bytes
  const std::string answer = bounded_exchange(
      fx.mock.port,
      "GET " + path +
          " HTTP/1.1\r\nHost: x\r\nRange: bytes=0-999999999999\r\nConnection: close\r\n\r\n",
      1 << 20);
  BOOST_TEST_REQUIRE(answer.rfind("HTTP/1.1 206 ", 0) == 0, answer.substr(0, 300));
  const auto end = answer.find("\r\n\r\n");
  BOOST_TEST_REQUIRE(end != std::string::npos);
  const std::string head = lower(answer.substr(0, end));
  BOOST_TEST(head.find("\r\ncontent-length: 1024\r\n") != std::string::npos, head);
  BOOST_TEST(head.find("\r\ncontent-range: bytes 0-1023/1024") != std::string::npos, head);
  BOOST_TEST(answer.substr(end + 4) == expected_content("photon-5.mf", 1024));

  // A range that starts at or past the end: 416 with the size, and an error body.
  Http h = fx.http();
  for (const char* range : {"bytes=1024-", "bytes=5000-6000", "bytes=-0"}) {
    BOOST_TEST_CONTEXT(range) {
      Resp r = h.get(path, {{"Range", range}});
      check_error(r, B::Api, 416, "INVALID_REQUEST");
      BOOST_TEST(header_of(r.headers, "Content-Range") == "bytes */1024");
    }
  }
}

BOOST_AUTO_TEST_CASE(single_range_is_partial_content) {
  MockFx fx;
  const std::string path = download_path(fx, "photon-5.ovf");  // 4096 bytes
  const std::string all = expected_content("photon-5.ovf", 4096);
  Http h = fx.http();
  struct Case {
    const char* range;
    std::size_t first, last;
  };
  for (const Case& c :
       {Case{"bytes=10-19", 10, 19}, Case{"bytes=4090-", 4090, 4095}, Case{"bytes=-5", 4091, 4095},
        Case{"bytes=-99999", 0, 4095}, Case{"bytes=4000-99999", 4000, 4095}}) {
    BOOST_TEST_CONTEXT(c.range) {
      Resp r = h.get(path, {{"Range", c.range}});
      BOOST_TEST(r.status == 206);
      BOOST_TEST(r.body == all.substr(c.first, c.last - c.first + 1));
      BOOST_TEST(header_of(r.headers, "Content-Range") ==
                 "bytes " + std::to_string(c.first) + "-" + std::to_string(c.last) + "/4096");
    }
  }
  Resp head = h.send("HEAD", path, "", {{"Range", "bytes=0-9"}});
  BOOST_TEST(head.status == 206);
  BOOST_TEST(header_of(head.headers, "Content-Length") == "10");
}

BOOST_AUTO_TEST_CASE(several_ranges_are_ignored) {
  MockFx fx;
  const std::string path = download_path(fx, "photon-5.mf");
  Resp r = fx.http().get(path, {{"Range", "bytes=0-1,5-6"}});
  BOOST_TEST(r.status == 200);
  BOOST_TEST(r.body == expected_content("photon-5.mf", 1024));
  BOOST_TEST(header_of(r.headers, "Content-Range").empty());
}

BOOST_AUTO_TEST_CASE(api_answers_ignore_range) {
  MockFx fx;
  Http h = fx.http();
  httplib::Headers hdr = auth(fx.alice);
  hdr.emplace("Range", "bytes=0-3");
  Resp info = h.get("/api/session", hdr);
  BOOST_TEST(info.status == 200);
  BOOST_TEST(info.j.value("user", "") == "alice");
  BOOST_TEST(header_of(info.headers, "Content-Range").empty());
  hdr = auth(fx.alice);
  hdr.emplace("Range", "bytes=5000-");
  Resp list = h.get(Ds::sessions(B::Api), hdr);
  BOOST_TEST(list.status == 200);
  BOOST_TEST(list.j.is_array());
  check_error(h.get(Ds::sessions(B::Api) + "/nope", hdr), B::Api, 404, "NOT_FOUND");
}

BOOST_AUTO_TEST_SUITE_END()
