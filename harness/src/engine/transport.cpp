#include "conformance/engine/transport.hpp"

#include <httplib.h>

#include <algorithm>
#include <cctype>
#include <cmath>

namespace conformance::engine {

bool is_secret_header(const std::string& name) {
  std::string n = name;
  std::transform(n.begin(), n.end(), n.begin(), [](unsigned char c) { return std::tolower(c); });
  return n == "authorization" || n == "vmware-api-session-id" || n == "cookie" || n == "set-cookie";
}

HttpRequest redacted(const HttpRequest& r) {
  HttpRequest out = r;
  for (auto& [k, v] : out.headers)
    if (is_secret_header(k)) v = "<redacted>";
  return out;
}

std::string percent_encode(const std::string& s, bool keep_colon) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' ||
        (keep_colon && c == ':')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

Transport::Transport(const Profile& profile) {
  // The base URL may carry a path prefix (https://host/prefix): keep it apart.
  std::string url = profile.url;
  auto scheme_end = url.find("://");
  auto path_start = url.find('/', scheme_end == std::string::npos ? 0 : scheme_end + 3);
  std::string host = path_start == std::string::npos ? url : url.substr(0, path_start);
  base_path_ = path_start == std::string::npos ? "" : url.substr(path_start);
  while (!base_path_.empty() && base_path_.back() == '/')
    base_path_.pop_back();
  client_ = std::make_unique<httplib::Client>(host);
  if (!client_->is_valid())
    throw ProfileError("target URL '" + profile.url + "' is not a valid http(s) URL");
  auto secs = static_cast<time_t>(profile.request_timeout_s);
  auto usecs = static_cast<time_t>(std::fmod(profile.request_timeout_s, 1.0) * 1e6);
  client_->set_connection_timeout(secs, usecs);
  client_->set_read_timeout(secs, usecs);
  client_->set_write_timeout(secs, usecs);
  client_->set_keep_alive(true);
  client_->set_tcp_nodelay(true);
  client_->set_follow_location(false);
  client_->set_url_encode(false);
  client_->set_compress(false);
  client_->enable_server_certificate_verification(profile.tls_verify);
  if (!profile.ca_file.empty()) client_->set_ca_cert_path(profile.ca_file);
}

Transport::~Transport() = default;

HttpResponse Transport::send(const HttpRequest& request) {
  HttpResponse out;
  httplib::Request req;
  req.method = request.method;
  req.path = base_path_ + request.target();
  for (const auto& [k, v] : request.headers)
    req.headers.emplace(k, v);
  if (request.body) {
    req.body = *request.body;
    req.headers.emplace("Content-Type", "application/json");
  }
  req.headers.emplace("Accept", "application/json");
  bool too_large = false;
  std::string body;
  req.content_receiver = [&](const char* data, size_t len, uint64_t, uint64_t) {
    if (body.size() + len > kMaxBody) {
      too_large = true;
      return false;
    }
    body.append(data, len);
    return true;
  };
  httplib::Response res;
  httplib::Error err = httplib::Error::Success;
  auto start = std::chrono::steady_clock::now();
  bool ok = client_->send(req, res, err);
  out.millis =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (too_large) {
    out.transport_error = "response body larger than " + std::to_string(kMaxBody) + " bytes";
    client_->stop();
    return out;
  }
  if (!ok) {
    out.transport_error = httplib::to_string(err);
    return out;
  }
  out.status = res.status;
  out.content_type = res.get_header_value("Content-Type");
  out.body = std::move(body);
  return out;
}

}  // namespace conformance::engine
