// HTTP to the target: one keep-alive connection per Transport, bounded time and
// size, secrets redacted from everything that is recorded.
//
// Bounds of one request (Transport::send):
// - Time: profile.request_timeout_s is the deadline of the whole request, from
//   connecting to the answer's last byte. cpp-httplib's own timeouts (set to the same
//   value) are per connect/recv/send call, so a server that drips one byte every
//   fraction of a second (in its headers or its body) would never trip them. A
//   watchdog thread per Transport therefore calls httplib::Client::stop() once the
//   deadline has passed (and again every 50 ms until send() returns): stop() shuts
//   the socket down, which wakes the blocked recv. The answer is then a transport
//   error "no complete answer within N s". A connect in progress holds httplib's
//   socket lock, so stop() waits for it; the connect is itself bounded by the same
//   timeout, so a request ends within about twice request_timeout_s at worst, and
//   usually within request_timeout_s + 50 ms. Not covered: name resolution
//   (getaddrinfo cannot be interrupted) and a TLS handshake that is dripped.
// - Size: a body larger than kMaxBody is a transport error ("response body larger
//   than ..."): when its Content-Length says so, before any of it is read; otherwise
//   (chunked, or read until close) as soon as that many bytes arrived. At most
//   kMaxBody bytes are held; the connection is closed.
// - Redirects are never followed: a 3xx is an answer like any other, judged by the
//   checker (it is neither the success status nor the error envelope).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "conformance/engine/profile.hpp"

namespace httplib {
class Client;
}

namespace conformance::engine {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method;
  std::string path;   // already percent-encoded
  std::string query;  // already encoded, without '?'
  Headers headers;
  std::optional<std::string> body;  // JSON text (or deliberately malformed text)
  std::string target() const { return query.empty() ? path : path + "?" + query; }
};

struct HttpResponse {
  int status = 0;
  std::string content_type;
  std::string body;
  std::string transport_error;  // set: no HTTP answer (refused, reset, timeout, too large)
  double millis = 0;
};

// One recorded round trip. Header values that carry secrets are redacted.
struct Exchange {
  HttpRequest request;
  HttpResponse response;
};

class Transport {
 public:
  static constexpr std::size_t kMaxBody = 8 * 1024 * 1024;
  explicit Transport(const Profile& profile);
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  // Never throws for what the target does; every failure to get a complete answer
  // in time is an HttpResponse with transport_error set.
  HttpResponse send(const HttpRequest& request);

 private:
  struct Watchdog;
  std::unique_ptr<httplib::Client> client_;
  std::unique_ptr<Watchdog> watchdog_;  // declared after client_: stopped before it goes
  std::string base_path_;
  double timeout_s_ = 10;
};

// Header names whose values never leave the process, compared without regard to
// case: the standard credentials (authorization, proxy-authorization, cookie,
// set-cookie) and those a spec's binding adds (its session header: wire.hpp,
// secret_headers()). The transport itself names no service's header.
// A binding may also name JSON body members whose values are secret (an RPC binding's
// session token and password): redacted() blanks them wherever they occur in a JSON body.
class SecretHeaders {
 public:
  SecretHeaders() : SecretHeaders(std::vector<std::string>{}) {}
  explicit SecretHeaders(const std::vector<std::string>& more,
                         std::vector<std::string> body_keys = {});
  bool contains(std::string_view name) const;
  const std::vector<std::string>& body_keys() const { return body_keys_; }

 private:
  std::vector<std::string> names_;  // lower case
  std::vector<std::string> body_keys_;
};
HttpRequest redacted(const HttpRequest& r, const SecretHeaders& secrets);
// `body` with the values of the secret body members blanked (unchanged if not JSON).
std::string redacted_body(const std::string& body, const SecretHeaders& secrets);
std::string percent_encode(const std::string& s, bool keep_colon);

}  // namespace conformance::engine
