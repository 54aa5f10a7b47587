// Malformed input, unknown routes, body limits, raw-socket abuse, concurrency, lifecycle.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/test/data/test_case.hpp>
#include <cstdlib>
#include <random>
#include <thread>

#include "mock_client.hpp"

using namespace mt;
namespace bdata = boost::unit_test::data;

namespace {

// Sends raw bytes and returns everything the server answers until it closes (or 5 s pass).
std::string raw_exchange(int port, const std::string& data, bool half_close = true,
                         std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  int fd = connect_loopback(port);
  std::size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) break;
    off += static_cast<std::size_t>(n);
  }
  if (half_close) ::shutdown(fd, SHUT_WR);
  std::string out;
  char buf[4096];
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    // Stop at the end of the first complete response (the server may keep the connection).
    auto end = out.find("\r\n\r\n");
    if (end != std::string::npos) {
      std::string head = out.substr(0, end);
      for (char& c : head)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      auto cl = head.find("\r\ncontent-length:");
      if (cl != std::string::npos &&
          out.size() >= end + 4 + std::strtoul(head.c_str() + cl + 17, nullptr, 10))
        break;
    }
  }
  ::close(fd);
  return out;
}

int raw_status(const std::string& response) {
  if (response.rfind("HTTP/1.1 ", 0) != 0) return 0;
  return std::atoi(response.c_str() + 9);
}

std::string raw_body(const std::string& response) {
  auto p = response.find("\r\n\r\n");
  return p == std::string::npos ? "" : response.substr(p + 4);
}

void check_alive(const Mock& m) {
  BOOST_TEST(m.http().get("/mock/v1/clock").status == 200);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(robustness)

BOOST_DATA_TEST_CASE(malformed_bodies, bdata::make(kBindings), b) {
  MockFx fx;
  Ds ds = fx.as_alice(b);
  const std::string id = ds.make();
  const std::vector<std::string> bodies = {
      "{",       "nul", "{\"a\":}", "\xff\xfe{}", "[1,2", "{\"file_name\":\"\xc3\x28\"}",
      "\"str\"", "42",  "[]",       "true",       "{}{}"};
  for (const auto& body : bodies) {
    BOOST_TEST_CONTEXT("body " << body) {
      check_error(ds.create_raw(body), b, 400, "INVALID_REQUEST");
      check_error(ds.keep_alive_raw(id, body), b, 400, "INVALID_REQUEST");
      check_error(ds.fail_raw(id, body), b, 400, "INVALID_REQUEST");
      check_error(ds.file_prepare_raw(id, body), b, 400, "INVALID_REQUEST");
      if (b == B::Rest)
        check_error(ds.post(ds.files(id) + "/id:" + id + "?~action=get", body), b, 400,
                    "INVALID_REQUEST");
    }
  }
  BOOST_TEST(ds.get(id).v()["state"] == "ACTIVE");
  BOOST_TEST(ds.list().v().size() == 1u);
}

BOOST_AUTO_TEST_CASE(unknown_routes_and_methods) {
  MockFx fx;
  Http h = fx.http();
  const auto a = auth(fx.alice);
  for (const char* path :
       {"/", "/foo", "/api/", "/api/foo", "/api/content",  // "/api": JSON-RPC (test_jsonrpc.cpp)
        "/api/content/library/item/download-session/x/y",
        "/api/content/library/item/download-session/x/file/z",
        "/api/content/library/item/download-session/", "/mock", "/mock/v1/nothing"}) {
    BOOST_TEST_CONTEXT(path) {
      check_error(h.get(path, a), B::Api, 404, "NOT_FOUND");
      check_error(h.post(path, "{}", a), B::Api, 404, "NOT_FOUND");
    }
  }
  for (const char* path : {"/rest", "/rest/", "/rest/com/vmware/nothing",
                           "/rest/com/vmware/content/library/item/download-session/x",
                           "/rest/com/vmware/content/library/item/downloadsession/file/x"}) {
    BOOST_TEST_CONTEXT(path) {
      check_error(h.get(path, a, B::Rest), B::Rest, 404, "NOT_FOUND");
    }
  }
  // Unknown actions.
  Ds api = fx.as_alice(B::Api), rest = fx.as_alice(B::Rest);
  const std::string id = api.make();
  check_error(api.post(api.instance(id) + "?action=explode", "{}"), B::Api, 404, "NOT_FOUND");
  check_error(api.post(api.instance(id), "{}"), B::Api, 404, "NOT_FOUND");
  check_error(api.post(Ds::sessions(B::Api) + "?action=create", "{}"), B::Api, 404, "NOT_FOUND");
  check_error(api.post(api.files(id) + "?action=get", "{}"), B::Api, 404, "NOT_FOUND");
  check_error(rest.post(rest.instance(id) + "?~action=explode", "{}"), B::Rest, 404, "NOT_FOUND");
  check_error(rest.post(rest.instance(id) + "?action=cancel", "{}"), B::Rest, 404, "NOT_FOUND");
  check_error(
      rest.post("/rest/com/vmware/cis/session?~action=nope", "", basic("alice", "alice-pass")),
      B::Rest, 404, "NOT_FOUND");
  // Wrong methods on known paths: 405 with Allow and an error body.
  const std::vector<std::tuple<std::string, std::string, B>> wrong = {
      {"PUT", "/api/session", B::Api},
      {"PATCH", Ds::sessions(B::Api), B::Api},
      {"DELETE", Ds::sessions(B::Api), B::Api},
      {"PUT", api.instance(id), B::Api},
      {"DELETE", api.files(id), B::Api},
      {"OPTIONS", api.instance(id), B::Api},
      {"GET", "/rest/com/vmware/cis/session", B::Rest},
      {"PUT", Ds::sessions(B::Rest), B::Rest},
      {"PATCH", rest.instance(id), B::Rest},
      {"GET", rest.files(id) + "/id:" + id, B::Rest},
      {"POST", rest.files(id), B::Rest},
  };
  for (const auto& [method, path, b] : wrong) {
    BOOST_TEST_CONTEXT(method << " " << path) {
      Resp r = h.send(method, path, "{}", a, b);
      check_error(r, b, 405, "OPERATION_NOT_FOUND");
      BOOST_TEST(r.headers.count("Allow") == 1u);
    }
  }
  BOOST_TEST(api.get(id).j["state"] == "ACTIVE");
}

BOOST_DATA_TEST_CASE(body_size_limit, bdata::make(kBindings), b) {
  MockFx fx;
  Ds ds = fx.as_alice(b);
  const std::string id = ds.make();
  const std::string big(1024 * 1024 + 1, ' ');
  check_error(ds.create_raw(big), b, 413, "INVALID_REQUEST");
  check_error(ds.keep_alive_raw(id, big), b, 413, "INVALID_REQUEST");
  check_error(fx.http().post(b == B::Api ? "/api/session" : "/rest/com/vmware/cis/session", big,
                             basic("alice", "alice-pass"), b),
              b, 413, "INVALID_REQUEST");
  // Exactly 1 MiB is accepted (whitespace-padded JSON).
  std::string padded = json{{"progress", 5}}.dump();
  padded += std::string(1024 * 1024 - padded.size(), ' ');
  BOOST_TEST(ds.keep_alive_raw(id, padded).status == ds.ok_void());
  BOOST_TEST(ds.get(id).v()["client_progress"] == 5);
  // A chunked oversize body gets an answer too.
  std::string req = "POST " + Ds::sessions(b) +
                    " HTTP/1.1\r\nHost: x\r\nvmware-api-session-id: " + fx.alice +
                    "\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
  const std::string chunk(64 * 1024, ' ');
  char hex[16];
  std::snprintf(hex, sizeof hex, "%zx", chunk.size());
  for (int i = 0; i < 20; ++i)
    req += std::string(hex) + "\r\n" + chunk + "\r\n";
  req += "0\r\n\r\n";
  const std::string resp = raw_exchange(fx.mock.port, req, false);
  BOOST_TEST(raw_status(resp) == 413);
  BOOST_TEST(json::parse(raw_body(resp), nullptr, false).is_object());
  check_alive(fx.mock);
}

BOOST_AUTO_TEST_CASE(raw_socket_abuse) {
  MockFx fx;
  const int port = fx.mock.port;
  const std::vector<std::string> inputs = {
      "GARBAGE\r\n\r\n",
      "GET\r\n\r\n",
      "GET / HTTP/9.9\r\n\r\n",
      "FROB /api/session HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET /api/session HTTP/1.1\r\nHost: x\r\nBroken header line\r\n\r\n",
      "POST /api/session HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
      "POST /api/session HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
      "POST /api/session HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "GET /api/content/library/item/download-session/%ff%fe HTTP/1.1\r\nHost: x\r\n"
      "vmware-api-session-id: " +
          fx.alice + "\r\nConnection: close\r\n\r\n",
      "GET /" + std::string(20000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'b') + "\r\n\r\n",
      std::string("\0\0\0\0\x16\x03\x01", 7),
      "",
  };
  for (const auto& in : inputs) {
    BOOST_TEST_CONTEXT(in.substr(0, 60)) {
      // No half-close (httplib does not answer a half-closed peer) unless the input is not a
      // complete request head (the server would wait for more).
      const bool complete = in.size() >= 4 && in.compare(in.size() - 4, 4, "\r\n\r\n") == 0;
      const std::string out = raw_exchange(port, in, !complete, std::chrono::milliseconds(1000));
      const int status = raw_status(out);
      if (status != 0) {
        BOOST_TEST(status >= 400);
        BOOST_TEST(status < 500);
        BOOST_TEST(json::parse(raw_body(out), nullptr, false).is_object());
      }
    }
  }
  // Truncated body: the client promises 100 bytes and closes after 10.
  raw_exchange(port,
               "POST /api/content/library/item/download-session HTTP/1.1\r\nHost: x\r\n"
               "Content-Length: 100\r\nvmware-api-session-id: " +
                   fx.alice + "\r\n\r\n{\"library",
               true);
  check_alive(fx.mock);
  BOOST_TEST(fx.as_alice(B::Api).list().status == 200);
}

BOOST_AUTO_TEST_CASE(invalid_utf8_never_500) {
  MockFx fx;
  for (B b : kBindings) {
    Ds ds = fx.as_alice(b);
    const std::string id = ds.make();
    check_error(ds.get("%ff%fe:%c3%28"), b, 404, "NOT_FOUND");
    check_error(ds.list("%ff"), b, 404, "NOT_FOUND");
    if (b == B::Api)
      check_error(ds.file_get(id, "\xff\xfe"), b, 400, "INVALID_ARGUMENT");
    else
      check_error(ds.post(ds.files(id) + "/id:" + id + "?~action=get", "{\"file_name\":\"\xff\"}"),
                  b, 400, "INVALID_REQUEST");
    check_error(ds.create_raw(b == B::Api ? "{\"library_item_id\":\"\xff\"}"
                                          : "{\"create_spec\":{\"library_item_id\":\"\xff\"}}"),
                b, 400, "INVALID_REQUEST");
  }
}

// Random bodies to every POST route: never a 5xx, always a JSON body.
BOOST_AUTO_TEST_CASE(random_bodies) {
  MockFx fx;
  std::mt19937 rng(12345);
  const std::string alphabet = "{}[]\":,0123456789-.eEtrufalsn \\u\xff abc_";
  for (B b : kBindings) {
    Ds ds = fx.as_alice(b);
    const std::string id = ds.make();
    const std::vector<std::string> paths = {
        Ds::sessions(b), ds.instance(id) + "?" + ds.act("keep-alive"),
        ds.instance(id) + "?" + ds.act("fail"),
        b == B::Api ? ds.files(id) + "?action=prepare"
                    : ds.files(id) + "/id:" + id + "?~action=prepare"};
    for (int i = 0; i < 60; ++i) {
      std::string body;
      const int len = static_cast<int>(rng() % 40);
      for (int k = 0; k < len; ++k)
        body += alphabet[rng() % alphabet.size()];
      if (i % 3 == 0) body = "{\"progress\":" + body + "}";
      for (const auto& p : paths) {
        Resp r = ds.post(p, body);
        BOOST_TEST_CONTEXT(p << " " << body) {
          BOOST_TEST(r.status >= 200);
          BOOST_TEST(r.status < 500);
          if (!r.body.empty()) BOOST_TEST(!r.j.is_null());
        }
      }
    }
  }
  check_alive(fx.mock);
}

BOOST_AUTO_TEST_CASE(concurrent_clients) {
  dsmock::Options lo = Mock::virtual_opts();
  lo.log_requests = std::getenv("DSMOCK_LOG") != nullptr;
  MockFx fx(lo);
  constexpr int kClients = 64, kRounds = 5;
  std::atomic<int> failures{0}, ok{0};
  std::vector<std::thread> threads;
  const auto start = std::chrono::steady_clock::now();
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&, c] {
      Ds ds(fx.mock.port, c % 2 ? B::Rest : B::Api, c % 3 ? fx.alice : fx.bob);
      for (int r = 0; r < kRounds; ++r) {
        Resp cr = ds.create(kItemA, "tok-" + std::to_string(c) + "-" + std::to_string(r));
        if (cr.status != ds.ok_create() || !cr.v().is_string()) {
          std::fprintf(stderr, "create failed: %d %s tok-%d-%d\n", cr.status, cr.body.c_str(), c,
                       r);
          ++failures;
          continue;
        }
        const std::string id = cr.v().get<std::string>();
        bool good = ds.get(id).status == 200 &&
                    ds.keep_alive(id, json{{"progress", r}}).status == ds.ok_void() &&
                    ds.file_prepare(id, "photon-5.ovf").status == 200 && ds.list().status == 200 &&
                    ds.del(id).status == ds.ok_void();
        if (good) {
          ++ok;
        } else {
          ++failures;
        }
      }
    });
  }
  for (auto& t : threads)
    t.join();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  BOOST_TEST_MESSAGE("64 clients x " << kRounds << " rounds in " << ms << " ms");
  BOOST_TEST(failures == 0);
  BOOST_TEST(ok == kClients * kRounds);
  BOOST_TEST(fx.as_alice(B::Api).list().j.empty());
  BOOST_TEST(fx.as_bob(B::Api).list().j.empty());
}

// Many idle keep-alive connections do not starve new clients for long.
BOOST_AUTO_TEST_CASE(keep_alive_connections) {
  MockFx fx;
  std::vector<std::unique_ptr<httplib::Client>> clients;
  for (int i = 0; i < 8; ++i) {
    auto cli = std::make_unique<httplib::Client>("127.0.0.1", fx.mock.port);
    cli->set_tcp_nodelay(true);
    cli->set_keep_alive(true);
    for (int k = 0; k < 3; ++k) {
      auto r = cli->Get("/mock/v1/clock");
      BOOST_TEST((r && r->status == 200));
    }
    clients.push_back(std::move(cli));
  }
  check_alive(fx.mock);
  clients.clear();
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(lifecycle)

BOOST_AUTO_TEST_CASE(start_stop) {
  dsmock::Server s{dsmock::Options{}};
  const int port = s.start();
  BOOST_TEST(port > 0);
  BOOST_TEST(s.url() == "http://127.0.0.1:" + std::to_string(port));
  BOOST_TEST(s.start() == port);  // already running
  BOOST_TEST(Http(port).post("/api/session", "", basic("alice", "alice-pass")).status == 201);
  s.stop();
  s.stop();  // idempotent
  BOOST_TEST(Http(port).get("/api/session").status == 0);
}

BOOST_AUTO_TEST_CASE(destructor_stops) {
  int port = 0;
  {
    dsmock::Server s{dsmock::Options{}};
    port = s.start();
  }
  BOOST_TEST(Http(port).get("/api/session").status == 0);
}

BOOST_AUTO_TEST_CASE(unknown_fault_is_rejected) {
  dsmock::Options o;
  o.faults = {"no-auth", "does-not-exist"};
  dsmock::Server s(o);
  try {
    s.start();
    BOOST_ERROR("no exception");
  } catch (const std::invalid_argument& e) {
    BOOST_TEST(std::string(e.what()).find("does-not-exist") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(port_in_use) {
  Mock first;
  dsmock::Options o;
  o.port = first.port;
  dsmock::Server second(o);
  BOOST_CHECK_THROW(second.start(), dsmock::BindError);
  BOOST_CHECK_THROW(second.start(), std::runtime_error);
  check_alive(first);
}

BOOST_AUTO_TEST_CASE(half_configured_tls) {
  dsmock::Options o;
  o.tls_cert = "/nonexistent.pem";
  BOOST_CHECK_THROW(dsmock::Server(o).start(), std::invalid_argument);
  o.tls_key = "/nonexistent.key";
  BOOST_CHECK_THROW(dsmock::Server(o).start(), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(fixed_port) {
  // Find a free port, then bind the mock to it explicitly.
  int port = 0;
  {
    dsmock::Server probe{dsmock::Options{}};
    port = probe.start();
  }
  dsmock::Options o;
  o.port = port;
  dsmock::Server s(o);
  BOOST_TEST(s.start() == port);
}

BOOST_AUTO_TEST_SUITE_END()
