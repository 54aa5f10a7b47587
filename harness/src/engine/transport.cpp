#include "conformance/engine/transport.hpp"

#include <httplib.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

namespace conformance::engine {

namespace {

std::string lower(std::string_view s) {
  std::string n(s);
  std::transform(n.begin(), n.end(), n.begin(), [](unsigned char c) { return std::tolower(c); });
  return n;
}

}  // namespace

SecretHeaders::SecretHeaders(const std::vector<std::string>& more,
                             std::vector<std::string> body_keys)
    : names_{"authorization", "proxy-authorization", "cookie", "set-cookie"},
      body_keys_(std::move(body_keys)) {
  for (const auto& name : more)
    names_.push_back(lower(name));
}

bool SecretHeaders::contains(std::string_view name) const {
  return std::find(names_.begin(), names_.end(), lower(name)) != names_.end();
}

namespace {

void redact_members(nlohmann::json& j, const std::vector<std::string>& keys) {
  if (j.is_object()) {
    for (auto& [k, v] : j.items()) {
      if (std::find(keys.begin(), keys.end(), k) != keys.end())
        v = "<redacted>";
      else
        redact_members(v, keys);
    }
  } else if (j.is_array()) {
    for (auto& v : j)
      redact_members(v, keys);
  }
}

}  // namespace

std::string redacted_body(const std::string& body, const SecretHeaders& secrets) {
  if (secrets.body_keys().empty()) return body;
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded()) return body;
  redact_members(j, secrets.body_keys());
  return j.dump();
}

HttpRequest redacted(const HttpRequest& r, const SecretHeaders& secrets) {
  HttpRequest out = r;
  for (auto& [k, v] : out.headers)
    if (secrets.contains(k)) v = "<redacted>";
  if (out.body) out.body = redacted_body(*out.body, secrets);
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

// The overall deadline of a request (see transport.hpp). One thread per Transport.
// It is not woken per request: deadlines only grow (each is "now + timeout"), so a
// thread asleep until an older deadline wakes in time and, finding a later one
// armed, sleeps on. Only a thread idle with nothing armed needs a notify, and it
// goes idle only after a deadline passed with nothing in flight, so in a busy run
// the cost of arming is one uncontended lock, not two context switches.
struct Transport::Watchdog {
  using Clock = std::chrono::steady_clock;
  explicit Watchdog(httplib::Client& c) : client(c), thread([this] { loop(); }) {}
  ~Watchdog() {
    {
      std::lock_guard<std::mutex> lk(m);
      quit = true;
    }
    cv.notify_all();
    thread.join();
  }
  void arm(Clock::time_point at) {
    bool wake;
    {
      std::lock_guard<std::mutex> lk(m);
      armed = true;
      fired = false;
      deadline = at;
      wake = idle;
    }
    if (wake) cv.notify_all();
  }
  // Returns whether the deadline cut the request.
  bool disarm() {
    std::lock_guard<std::mutex> lk(m);
    armed = false;
    return fired;
  }

 private:
  void loop() {
    std::unique_lock<std::mutex> lk(m);
    while (!quit) {
      if (!armed) {
        idle = true;
        cv.wait(lk);
        idle = false;
      } else if (Clock::now() < deadline) {
        cv.wait_until(lk, deadline);  // an arm() meanwhile only moves the deadline later
      } else {
        // Still armed: send() has not returned. stop() shuts the socket down (or,
        // if the request is between connect and send, closes it); repeated until
        // send() disarms, in case the first call came before the request was in
        // flight. Holding `m` keeps send() from arming the next request meanwhile.
        fired = true;
        client.stop();
        cv.wait_for(lk, std::chrono::milliseconds(50));
      }
    }
  }

  httplib::Client& client;
  std::mutex m;
  std::condition_variable cv;
  bool armed = false, fired = false, quit = false, idle = false;
  Clock::time_point deadline;
  std::thread thread;  // last: starts once the rest is initialised
};

namespace {

// httplib's names for its errors ("Read", "Connection") say little on their own.
std::string describe(httplib::Error err) {
  switch (err) {
    case httplib::Error::Connection:
      return "cannot connect (Connection)";
    case httplib::Error::Read:
      return "the connection closed, was reset or failed before a complete answer (Read)";
    case httplib::Error::Write:
      return "the connection closed or was reset while sending the request (Write)";
    case httplib::Error::ConnectionTimeout:
      return "timed out connecting (ConnectionTimeout)";
    default:
      return httplib::to_string(err);
  }
}

}  // namespace

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
  timeout_s_ = profile.request_timeout_s;
  watchdog_ = std::make_unique<Watchdog>(*client_);
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
  auto start = std::chrono::steady_clock::now();
  auto deadline = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                              std::chrono::duration<double>(timeout_s_));
  bool too_large = false;
  bool late = false;
  std::string body;
  // A declared length over the cap ends the request before any of the body is read.
  req.response_handler = [&](const httplib::Response& r) {
    auto it = r.headers.find("Content-Length");  // one case-insensitive lookup
    if (it == r.headers.end()) return true;
    const std::string& v = it->second;
    if (!v.empty() && v.find_first_not_of("0123456789") == std::string::npos &&
        (v.size() > 19 || std::stoull(v) > kMaxBody))
      too_large = true;
    return !too_large;
  };
  req.content_receiver = [&](const char* data, size_t len, uint64_t, uint64_t) {
    if (body.size() + len > kMaxBody) {
      too_large = true;
      return false;
    }
    // The watchdog would cut a dripped body too; checking here ends it at once.
    if (std::chrono::steady_clock::now() > deadline) {
      late = true;
      return false;
    }
    body.append(data, len);
    return true;
  };
  httplib::Response res;
  httplib::Error err = httplib::Error::Success;
  watchdog_->arm(deadline);
  bool ok = client_->send(req, res, err);
  late = watchdog_->disarm() || late;
  out.millis =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (too_large) {
    out.transport_error =
        "response body larger than " + std::to_string(kMaxBody) + " bytes (reading stopped there)";
    client_->stop();
    return out;
  }
  // httplib's per-recv timeout can trip at the same moment as the deadline: both
  // mean the answer did not arrive in time. (An answer that was complete just as the
  // deadline passed is kept.)
  if (!ok && (late || (err == httplib::Error::Read && out.millis >= timeout_s_ * 1000))) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "timed out: no complete answer within %g s (%s)", timeout_s_,
                  late ? "request deadline" : "read timeout");
    out.transport_error = buf;
    client_->stop();
    return out;
  }
  if (!ok) {
    out.transport_error = describe(err);
    return out;
  }
  out.status = res.status;
  out.content_type = res.get_header_value("Content-Type");
  out.body = std::move(body);
  return out;
}

}  // namespace conformance::engine
