// hostile-server: a download-session server that misbehaves on demand, to prove the
// harness survives it. It embeds the real mock (dsmock::Server) and puts a raw-socket
// HTTP/1.1 front before it: logins and unmatched requests are forwarded unchanged;
// matched requests get the selected misbehaviour instead of (or on top of) the
// mock's answer. Raw sockets because httplib's server cannot lie about
// Content-Length, reset a connection or drip its headers.
//
//   hostile-server --mode MODE [--route METHOD:PATH|any] [--when any|success|error]
//                  [--nth N] [--port P]
//
// Prints "hostile: listening on http://127.0.0.1:PORT" once it accepts connections,
// and one line per misbehaviour on stderr (request line only, never headers).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <httplib.h>
#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstring>
#include <dsmock/server.hpp>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace {

const std::map<std::string, std::string>& modes() {
  static const std::map<std::string, std::string> m = {
      {"pass", "forward everything unchanged (a well-behaved proxy)"},
      {"invalid-json", "the mock's status, application/json, a body that is not JSON"},
      {"truncated", "Content-Length larger than the body sent, then close"},
      {"wrong-content-type", "the mock's answer with Content-Type: text/plain"},
      {"html-500", "500 with a text/html error page"},
      {"plain-500", "500 with no body and no Content-Type"},
      {"error-500", "500 with a well-formed vAPI error envelope (ERROR)"},
      {"reset", "read the request, then reset the connection (SO_LINGER 0)"},
      {"stall", "read the request, never answer (until the client hangs up)"},
      {"huge-body", "200 application/json with a 100 MB body (Content-Length says so)"},
      {"huge-chunked", "200 application/json with a 100 MB chunked body (no length)"},
      {"redirect-loop", "302 to the very same URL"},
      {"drip", "the whole answer (headers too) one byte every 100 ms, forever"},
      {"drip-body", "headers at once, then the body one byte every 100 ms, forever"},
  };
  return m;
}

struct Config {
  std::string mode = "pass";
  std::string route = "POST:/api/content/library/item/download-session";
  std::string when = "any";  // success|error: only when the mock's own answer is one
  long nth = 0;              // 0 = every matching request
  int port = 0;
  int upstream_port = 0;
  std::string self;  // http://127.0.0.1:PORT
};

std::atomic<long> g_matched{0};
std::mutex g_log_mutex;

void log(const std::string& line) {
  std::lock_guard<std::mutex> lk(g_log_mutex);
  std::cerr << "hostile: " << line << std::endl;
}

bool send_all(int fd, const char* data, std::size_t len) {
  while (len > 0) {
    ssize_t n = ::send(fd, data, len, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    len -= static_cast<std::size_t>(n);
  }
  return true;
}
bool send_all(int fd, const std::string& s) {
  return send_all(fd, s.data(), s.size());
}

struct Request {
  std::string method, target, path, version;
  std::multimap<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string line() const { return method + " " + target; }
};

std::string lower(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Reads one request from a keep-alive connection. nullopt: closed or unreadable.
std::optional<Request> read_request(int fd, std::string& buf) {
  std::size_t end;
  while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
    if (buf.size() > 64 * 1024) return std::nullopt;
    char tmp[4096];
    ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;
    buf.append(tmp, static_cast<std::size_t>(n));
  }
  Request r;
  std::string head = buf.substr(0, end);
  buf.erase(0, end + 4);
  std::size_t eol = head.find("\r\n");
  std::string first = head.substr(0, eol);
  auto sp1 = first.find(' '), sp2 = first.rfind(' ');
  if (sp1 == std::string::npos || sp2 == sp1) return std::nullopt;
  r.method = first.substr(0, sp1);
  r.target = first.substr(sp1 + 1, sp2 - sp1 - 1);
  r.version = first.substr(sp2 + 1);
  r.path = r.target.substr(0, r.target.find('?'));
  std::size_t pos = eol == std::string::npos ? head.size() : eol + 2;
  while (pos < head.size()) {
    std::size_t e = head.find("\r\n", pos);
    if (e == std::string::npos) e = head.size();
    std::string h = head.substr(pos, e - pos);
    auto colon = h.find(':');
    if (colon != std::string::npos) {
      std::string v = h.substr(colon + 1);
      while (!v.empty() && (v.front() == ' ' || v.front() == '\t'))
        v.erase(0, 1);
      r.headers.emplace(lower(h.substr(0, colon)), v);
    }
    pos = e + 2;
  }
  std::size_t len = 0;
  if (auto it = r.headers.find("content-length"); it != r.headers.end()) {
    const std::string& v = it->second;
    if (v.empty() || v.size() > 9 || v.find_first_not_of("0123456789") != std::string::npos)
      return std::nullopt;
    len = std::stoul(v);
  }
  if (len > 16 * 1024 * 1024) return std::nullopt;
  while (buf.size() < len) {
    char tmp[4096];
    ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;
    buf.append(tmp, static_cast<std::size_t>(n));
  }
  r.body = buf.substr(0, len);
  buf.erase(0, len);
  return r;
}

struct Answer {
  int status = 502;
  std::string content_type;
  std::string body;
};

Answer forward(httplib::Client& upstream, const Request& r) {
  httplib::Request req;
  req.method = r.method;
  req.path = r.target;
  for (const auto& [k, v] : r.headers)
    if (k != "host" && k != "content-length" && k != "connection") req.headers.emplace(k, v);
  req.body = r.body;
  httplib::Response res;
  httplib::Error err = httplib::Error::Success;
  Answer a;
  if (!upstream.send(req, res, err)) {
    a.content_type = "text/plain";
    a.body = "hostile: upstream failed: " + httplib::to_string(err);
    return a;
  }
  a.status = res.status;
  a.content_type = res.get_header_value("Content-Type");
  a.body = res.body;
  return a;
}

std::string reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 302:
      return "Found";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 500:
      return "Internal Server Error";
    default:
      return "Status";
  }
}

std::string head(int status, const std::string& content_type, std::size_t length,
                 const std::string& extra = "") {
  std::string h = "HTTP/1.1 " + std::to_string(status) + " " + reason(status) + "\r\n";
  if (!content_type.empty()) h += "Content-Type: " + content_type + "\r\n";
  h += "Content-Length: " + std::to_string(length) + "\r\n" + extra + "\r\n";
  return h;
}

bool write_answer(int fd, const Answer& a) {
  return send_all(fd, head(a.status, a.content_type, a.body.size()) + a.body);
}

// Waits until the peer hangs up (or `limit` passes), reading and dropping what it sends.
void wait_for_hangup(int fd, std::chrono::seconds limit) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    pollfd p{fd, POLLIN, 0};
    int n = ::poll(&p, 1, 200);
    if (n < 0 && errno != EINTR) return;
    if (n > 0) {
      char tmp[4096];
      if (::recv(fd, tmp, sizeof tmp, 0) <= 0) return;
    }
  }
}

// Sends `s` one byte every 100 ms; false once the peer is gone.
bool drip(int fd, const std::string& s) {
  for (char c : s) {
    if (!send_all(fd, &c, 1)) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return true;
}

bool is_login(const Request& r) {
  return r.method == "POST" &&
         (r.path == "/api/session" || r.path == "/rest/com/vmware/cis/session");
}

bool matches(const Config& cfg, const Request& r) {
  if (is_login(r) || r.path.rfind("/mock/", 0) == 0) return false;
  if (cfg.route == "any") return true;
  auto colon = cfg.route.find(':');
  return r.method == cfg.route.substr(0, colon) && r.path == cfg.route.substr(colon + 1);
}

// Misbehaves on one request. `fetched`: the mock's answer when it was already asked
// (--when). Returns whether the connection stays usable.
bool misbehave(const Config& cfg, int fd, const Request& r, httplib::Client& upstream,
               const std::optional<Answer>& fetched) {
  const std::string& m = cfg.mode;
  log(m + ": " + r.line());
  auto answer = [&] { return fetched ? *fetched : forward(upstream, r); };
  if (m == "invalid-json") {
    Answer a = answer();
    a.content_type = "application/json";
    a.body = "{\"value\": [1, 2,";
    return write_answer(fd, a);
  }
  if (m == "truncated") {
    Answer a = answer();
    std::string body = a.body.substr(0, a.body.size() / 2);
    send_all(fd, head(a.status, "application/json", a.body.size() + 1000) + body);
    return false;
  }
  if (m == "wrong-content-type") {
    Answer a = answer();
    a.content_type = "text/plain";
    return write_answer(fd, a);
  }
  if (m == "html-500") {
    return write_answer(
        fd, {500, "text/html; charset=utf-8",
             "<!DOCTYPE html>\n<html><head><title>500 Internal Server Error</title></head>\n"
             "<body><h1>Internal Server Error</h1><p>The server encountered an internal error "
             "and was unable to complete your request.</p><hr><address>nginx</address></body>"
             "</html>\n"});
  }
  if (m == "plain-500") return write_answer(fd, {500, "", ""});
  if (m == "error-500") {
    return write_answer(
        fd, {500, "application/json",
             R"({"error_type":"ERROR","messages":[{"args":[],"default_message":"hostile: )"
             R"(injected internal error","id":"hostile.internal"}]})"});
  }
  if (m == "reset") {
    linger l{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    return false;  // the caller closes: with linger 0 that sends RST
  }
  if (m == "stall") {
    wait_for_hangup(fd, std::chrono::seconds(120));
    log("stall: the client hung up on " + r.line());
    return false;
  }
  if (m == "huge-body" || m == "huge-chunked") {
    const std::size_t total = 100u * 1024 * 1024;
    bool chunked = m == "huge-chunked";
    std::string chunk(64 * 1024, '0');  // "[0,0,0,..." (never closed)
    chunk.front() = '[';
    for (std::size_t i = 1; i < chunk.size(); i += 2)
      chunk[i] = ',';
    std::size_t sent = 0;
    bool ok = chunked ? send_all(fd,
                                 "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                 "Transfer-Encoding: chunked\r\n\r\n")
                      : send_all(fd, head(200, "application/json", total));
    while (ok && sent < total) {
      std::size_t n = std::min(chunk.size(), total - sent);
      if (chunked) {
        char size[32];
        std::snprintf(size, sizeof size, "%zx\r\n", n);
        ok = send_all(fd, size) && send_all(fd, chunk.data(), n) && send_all(fd, "\r\n");
      } else {
        ok = send_all(fd, chunk.data(), n);
      }
      if (ok) sent += n;
      if (sent == chunk.size()) chunk.front() = '0';
    }
    if (ok && chunked) ok = send_all(fd, "0\r\n\r\n");
    log(m + ": sent " + std::to_string(sent) + " body bytes of " + std::to_string(total) +
        (ok ? " (all)" : " before the client went away"));
    return false;
  }
  if (m == "redirect-loop")  // Location: this very URL; the connection stays open
    return send_all(fd, head(302, "", 0, "Location: " + cfg.self + r.target + "\r\n"));
  if (m == "drip" || m == "drip-body") {
    std::string h = head(200, "application/json", 1000000);
    bool ok = m == "drip" ? drip(fd, h) : send_all(fd, h);
    std::size_t n = 0;
    while (ok) {
      ok = drip(fd, "0");
      n += ok;
    }
    log(m + ": the client hung up after " + std::to_string(n) + " body bytes");
    return false;
  }
  return write_answer(fd, answer());
}

void serve(const Config& cfg, int fd) {
  httplib::Client upstream("127.0.0.1", cfg.upstream_port);
  upstream.set_keep_alive(true);
  upstream.set_read_timeout(30, 0);
  std::string buf;
  while (auto r = read_request(fd, buf)) {
    bool bad = cfg.mode != "pass" && matches(cfg, *r);
    std::optional<Answer> fetched;
    if (bad && cfg.when != "any") {
      fetched = forward(upstream, *r);
      bool success = fetched->status >= 200 && fetched->status < 300;
      bad = success == (cfg.when == "success");
    }
    if (bad) {
      long n = ++g_matched;
      bad = cfg.nth == 0 || n == cfg.nth;
    }
    bool keep = true;
    if (!bad) {
      keep = write_answer(fd, fetched ? *fetched : forward(upstream, *r));
    } else {
      keep = misbehave(cfg, fd, *r, upstream, fetched);
    }
    if (!keep) break;
  }
  ::close(fd);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"hostile-server: a download-session server (the mock) that misbehaves on demand"};
  Config cfg;
  bool list = false;
  double session_timeout = 300;
  std::string fixtures;
  app.add_option("--mode", cfg.mode, "how to misbehave (--list-modes)")->capture_default_str();
  app.add_option("--route", cfg.route,
                 "requests to misbehave on: METHOD:PATH (exact path, any query) or 'any' "
                 "(logins and /mock/ are never touched)")
      ->capture_default_str();
  app.add_option("--when", cfg.when,
                 "only when the mock's own answer is a success (2xx) or an error; the request "
                 "then reaches the mock (its effect happens) before the answer is spoilt")
      ->check(CLI::IsMember({"any", "success", "error"}))
      ->capture_default_str();
  app.add_option("--nth", cfg.nth, "misbehave only on the Nth matching request (0 = on all)")
      ->capture_default_str();
  app.add_option("--port", cfg.port, "port on 127.0.0.1 (0 = ephemeral)")->capture_default_str();
  app.add_option("--session-timeout", session_timeout, "the mock's session timeout, seconds")
      ->capture_default_str();
  app.add_option("--fixtures", fixtures, "the mock's fixture file (default: built-in items)");
  app.add_flag("--list-modes", list, "print the modes and exit");
  CLI11_PARSE(app, argc, argv);
  if (list) {
    for (const auto& [name, what] : modes())
      std::cout << name << "  " << what << "\n";
    return 0;
  }
  if (!modes().count(cfg.mode)) {
    std::cerr << "hostile: unknown mode '" << cfg.mode << "' (--list-modes)\n";
    return 2;
  }
  if (cfg.route != "any" && cfg.route.find(':') == std::string::npos) {
    std::cerr << "hostile: --route is METHOD:PATH or 'any'\n";
    return 2;
  }
  std::signal(SIGPIPE, SIG_IGN);

  dsmock::Options mo;
  mo.session_timeout = std::chrono::milliseconds(static_cast<long>(session_timeout * 1000));
  if (!fixtures.empty()) mo.items = dsmock::load_fixtures(fixtures);
  dsmock::Server mock(mo);
  cfg.upstream_port = mock.start();

  int lfd = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(cfg.port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(lfd, 64) != 0) {
    std::cerr << "hostile: cannot listen on port " << cfg.port << ": " << std::strerror(errno)
              << "\n";
    return 1;
  }
  socklen_t alen = sizeof addr;
  ::getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &alen);
  cfg.port = ntohs(addr.sin_port);
  cfg.self = "http://127.0.0.1:" + std::to_string(cfg.port);
  std::cout << "hostile: listening on " << cfg.self << " (mode " << cfg.mode << ", route "
            << cfg.route << ", upstream " << mock.url() << ")" << std::endl;
  for (;;) {
    int fd = ::accept(lfd, nullptr, nullptr);
    if (fd < 0) {
      if (errno == EINTR) continue;
      std::cerr << "hostile: accept: " << std::strerror(errno) << "\n";
      return 1;
    }
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::thread([&cfg, fd] { serve(cfg, fd); }).detach();
  }
}
