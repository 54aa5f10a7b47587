// HTTP to the target: one keep-alive connection per Transport, bounded time and
// size, secrets redacted from everything that is recorded.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
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

  HttpResponse send(const HttpRequest& request);

 private:
  std::unique_ptr<httplib::Client> client_;
  std::string base_path_;
};

// Header names whose values never leave the process.
bool is_secret_header(const std::string& name);
HttpRequest redacted(const HttpRequest& r);
std::string percent_encode(const std::string& s, bool keep_colon);

}  // namespace conformance::engine
