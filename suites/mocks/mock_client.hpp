// Test helpers for the dsmock suite: an in-process mock, raw HTTP, and a binding-aware client.
#pragma once

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <regex>
#include <string>
#include <vector>

#include "dsmock/server.hpp"

namespace mt {

using json = nlohmann::json;

// Default fixture items (see dsmock::default_fixtures()).
inline const std::string kItemA = "6d4c2a1e-0b7f-4a53-9c1e-2f8a7b3c9d01";  // 3 files, version 2
inline const std::string kItemB = "a3b9e7f2-5c14-4d8e-b6a0-91c2d3e4f5a6";  // 1 file, version 1
inline const std::string kItemC = "0f1e2d3c-4b5a-4697-8877-665544332211";  // 2 files, version 7
inline const std::string kUnknownItem = "00000000-0000-0000-0000-000000000000";
inline const std::string kUnknownId =
    "11111111-1111-1111-1111-111111111111:22222222-2222-2222-2222-222222222222";

// A TCP connection to 127.0.0.1:port with TCP_NODELAY, for tests that send raw bytes.
// Fails the test when it cannot connect.
inline int connect_loopback(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  BOOST_REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  BOOST_REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  return fd;
}

enum class B { Api, Rest };
inline std::ostream& operator<<(std::ostream& os, B b) {
  return os << (b == B::Api ? "api" : "rest");
}
inline const std::vector<B> kBindings = {B::Api, B::Rest};

struct Resp {
  int status = 0;  // 0 = transport error
  std::string body;
  json j;  // parsed body (null if empty or not JSON)
  httplib::Headers headers;
  B binding = B::Api;

  // The result value (unwrapped from {"value": ...} on /rest).
  const json& v() const {
    static const json null;
    if (binding == B::Rest) return j.is_object() && j.contains("value") ? j["value"] : null;
    return j;
  }
  // error_type from the binding's error envelope ("" if none).
  std::string error_type() const {
    const json* e = &j;
    if (j.is_object() && j.contains("type") && j.contains("value")) e = &j["value"];
    if (e->is_object() && e->contains("error_type") && (*e)["error_type"].is_string())
      return (*e)["error_type"].get<std::string>();
    return "";
  }
};

inline std::ostream& operator<<(std::ostream& os, const Resp& r) {
  return os << r.status << " " << r.body.substr(0, 300);
}

inline std::string lower(std::string s) {
  for (char& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

inline std::string enc(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == ':') {
      out.push_back(static_cast<char>(c));
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

// Raw HTTP against 127.0.0.1:port. Connection: close (no keep-alive), TCP_NODELAY.
class Http {
 public:
  explicit Http(int port, std::string host = "127.0.0.1") : port_(port), host_(std::move(host)) {}

  Resp send(const std::string& method, const std::string& path, const std::string& body = "",
            httplib::Headers headers = {}, B binding = B::Api) const {
    httplib::Client cli(host_, port_);
    cli.set_tcp_nodelay(true);
    cli.set_connection_timeout(5, 0);
    cli.set_read_timeout(15, 0);
    cli.set_write_timeout(15, 0);
    httplib::Result r{nullptr, httplib::Error::Unknown};
    const std::string ct = "application/json";
    if (method == "GET") {
      r = cli.Get(path.c_str(), headers);
    } else if (method == "POST") {
      r = cli.Post(path.c_str(), headers, body, ct.c_str());
    } else if (method == "PUT") {
      r = cli.Put(path.c_str(), headers, body, ct.c_str());
    } else if (method == "PATCH") {
      r = cli.Patch(path.c_str(), headers, body, ct.c_str());
    } else if (method == "DELETE") {
      r = cli.Delete(path.c_str(), headers, body, ct.c_str());
    } else if (method == "OPTIONS") {
      r = cli.Options(path.c_str(), headers);
    } else if (method == "HEAD") {
      r = cli.Head(path.c_str(), headers);
    }
    Resp out;
    out.binding = binding;
    if (!r) {
      out.body = "transport error " + std::to_string(static_cast<int>(r.error()));
      return out;
    }
    out.status = r->status;
    out.body = r->body;
    out.headers = r->headers;
    out.j = json::parse(out.body, nullptr, false);
    if (out.j.is_discarded()) out.j = nullptr;
    return out;
  }
  Resp get(const std::string& p, httplib::Headers h = {}, B b = B::Api) const {
    return send("GET", p, "", std::move(h), b);
  }
  Resp post(const std::string& p, const std::string& body = "", httplib::Headers h = {},
            B b = B::Api) const {
    return send("POST", p, body, std::move(h), b);
  }
  Resp del(const std::string& p, httplib::Headers h = {}, B b = B::Api) const {
    return send("DELETE", p, "", std::move(h), b);
  }
  int port() const { return port_; }

 private:
  int port_;
  std::string host_;
};

inline httplib::Headers auth(const std::string& token) {
  return {{"vmware-api-session-id", token}};
}

inline httplib::Headers basic(const std::string& user, const std::string& pass) {
  return {httplib::make_basic_authentication_header(user, pass)};
}

// Logs in through the given binding and returns the session token.
inline std::string login(int port, const std::string& user, const std::string& pass, B b = B::Api) {
  Http h(port);
  Resp r = b == B::Api ? h.post("/api/session", "", basic(user, pass))
                       : h.post("/rest/com/vmware/cis/session", "", basic(user, pass), B::Rest);
  BOOST_REQUIRE_MESSAGE(r.status == (b == B::Api ? 201 : 200), "login failed: " << r);
  BOOST_REQUIRE(r.v().is_string());
  return r.v().get<std::string>();
}

// An in-process mock on an ephemeral port.
struct Mock {
  explicit Mock(dsmock::Options o = virtual_opts()) : server(std::move(o)) {
    port = server.start();
  }
  static dsmock::Options virtual_opts() {
    dsmock::Options o;
    o.virtual_clock = true;
    return o;
  }
  Http http() const { return Http(port); }
  Resp advance(long long ms) const {
    return http().post("/mock/v1/clock/advance", json{{"milliseconds", ms}}.dump());
  }
  void reset() const { BOOST_REQUIRE_EQUAL(http().post("/mock/v1/reset").status, 204); }
  std::string now() const { return http().get("/mock/v1/clock").j.value("now", ""); }

  dsmock::Server server;
  int port = 0;
};

// A binding-aware client for one user's token.
class Ds {
 public:
  Ds(int port, B b, std::string token) : http_(port), b_(b), token_(std::move(token)) {}
  B binding() const { return b_; }
  const std::string& token() const { return token_; }

  static std::string sessions(B b) {
    return b == B::Api ? "/api/content/library/item/download-session"
                       : "/rest/com/vmware/content/library/item/download-session";
  }
  std::string instance(const std::string& id) const {
    return sessions(b_) + (b_ == B::Api ? "/" : "/id:") + id;
  }
  std::string files(const std::string& id) const {
    return b_ == B::Api ? instance(id) + "/file"
                        : "/rest/com/vmware/content/library/item/downloadsession/file";
  }
  std::string act(const std::string& a) const {
    return b_ == B::Api ? "action=" + a : "~action=" + a;
  }

  Resp create(const std::string& item, std::optional<std::string> client_token = {}) const {
    json spec = {{"library_item_id", item}};
    if (b_ == B::Api) {
      httplib::Headers h = auth(token_);
      if (client_token) h.emplace("Client-Token", *client_token);
      return post(sessions(b_), spec.dump(), h);
    }
    json body = {{"create_spec", spec}};
    if (client_token) body["client_token"] = *client_token;
    return post(sessions(b_), body.dump());
  }
  // A create body as the binding expects it (the spec itself on /api, wrapped on /rest).
  Resp create_raw(const std::string& body, httplib::Headers extra = {},
                  const std::string& query = "") const {
    httplib::Headers h = auth(token_);
    h.insert(extra.begin(), extra.end());
    return post(sessions(b_) + (query.empty() ? "" : "?" + query), body, h);
  }
  // Creates a session and returns its id (requires success).
  std::string make(const std::string& item = kItemA) const {
    Resp r = create(item);
    BOOST_REQUIRE_MESSAGE(r.status == ok_create(), "create failed: " << r);
    BOOST_REQUIRE(r.v().is_string());
    return r.v().get<std::string>();
  }
  Resp get(const std::string& id) const { return send("GET", instance(id)); }
  Resp list(std::optional<std::string> item = {}) const {
    return send("GET", sessions(b_) + (item ? "?library_item_id=" + enc(*item) : ""));
  }
  Resp keep_alive(const std::string& id, std::optional<json> body = {}) const {
    return post(instance(id) + "?" + act("keep-alive"), body ? body->dump() : "");
  }
  Resp keep_alive_raw(const std::string& id, const std::string& body) const {
    return post(instance(id) + "?" + act("keep-alive"), body);
  }
  Resp cancel(const std::string& id) const { return post(instance(id) + "?" + act("cancel"), ""); }
  Resp fail(const std::string& id, const std::string& msg) const {
    return post(instance(id) + "?" + act("fail"), json{{"client_error_message", msg}}.dump());
  }
  Resp fail_raw(const std::string& id, const std::string& body) const {
    return post(instance(id) + "?" + act("fail"), body);
  }
  Resp del(const std::string& id) const { return send("DELETE", instance(id)); }
  Resp file_list(const std::string& id) const {
    return send("GET", b_ == B::Api ? files(id) : files(id) + "?download_session_id=" + enc(id));
  }
  Resp file_get(const std::string& id, const std::string& name) const {
    if (b_ == B::Api) return send("GET", files(id) + "?file_name=" + enc(name));
    return post(files(id) + "/id:" + id + "?~action=get", json{{"file_name", name}}.dump());
  }
  Resp file_prepare_raw(const std::string& id, const std::string& body) const {
    if (b_ == B::Api) return post(files(id) + "?action=prepare", body);
    return post(files(id) + "/id:" + id + "?~action=prepare", body);
  }
  Resp file_prepare(const std::string& id, const std::string& name,
                    std::optional<std::string> endpoint_type = {}) const {
    json body = {{"file_name", name}};
    if (endpoint_type) body["endpoint_type"] = *endpoint_type;
    return file_prepare_raw(id, body.dump());
  }

  int ok_create() const { return b_ == B::Api ? 201 : 200; }
  int ok_void() const { return b_ == B::Api ? 204 : 200; }

  Resp send(const std::string& method, const std::string& path, const std::string& body = "",
            httplib::Headers h = {}) const {
    if (h.empty()) h = auth(token_);
    return http_.send(method, path, body, h, b_);
  }
  Resp post(const std::string& path, const std::string& body, httplib::Headers h = {}) const {
    return send("POST", path, body, std::move(h));
  }

 private:
  Http http_;
  B b_;
  std::string token_;
};

// Checks status, error_type and the binding's error envelope.
inline void check_error(const Resp& r, B b, int status, const std::string& error_type) {
  BOOST_TEST_CONTEXT("response " << r) {
    BOOST_TEST(r.status == status);
    BOOST_TEST(r.error_type() == error_type);
    const json* value = &r.j;
    if (b == B::Rest) {
      BOOST_TEST_REQUIRE(r.j.is_object());
      BOOST_TEST(r.j.value("type", "") == "com.vmware.vapi.std.errors." + lower(error_type));
      BOOST_TEST_REQUIRE(r.j.contains("value"));
      value = &r.j["value"];
    } else {
      BOOST_TEST(!r.j.contains("type"));
    }
    BOOST_TEST_REQUIRE(value->is_object());
    BOOST_TEST_REQUIRE((value->contains("messages") && (*value)["messages"].is_array()));
    BOOST_TEST_REQUIRE(!(*value)["messages"].empty());
    for (const auto& m : (*value)["messages"]) {
      BOOST_TEST(m["id"].is_string());
      BOOST_TEST(m["default_message"].is_string());
      BOOST_TEST(m["args"].is_array());
    }
  }
}

inline bool is_datetime(const json& j) {
  static const std::regex re(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$)");
  return j.is_string() && std::regex_match(j.get<std::string>(), re);
}

inline bool is_session_id(const json& j) {
  static const std::regex re(
      R"(^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$)");
  return j.is_string() && std::regex_match(j.get<std::string>(), re);
}

inline bool contains(const json& arr, const std::string& s) {
  if (!arr.is_array()) return false;
  for (const auto& e : arr)
    if (e == s) return true;
  return false;
}

// The path part of a download URI (http://host:port/path -> /path).
inline std::string uri_path(const std::string& uri) {
  auto p = uri.find("://");
  if (p == std::string::npos) return uri;
  auto slash = uri.find('/', p + 3);
  return slash == std::string::npos ? "/" : uri.substr(slash);
}

// The documented download content: byte i = (i * 31 + fnv1a32(name)) & 0xff.
inline std::string expected_content(const std::string& name, std::int64_t size) {
  std::uint32_t h = 2166136261u;
  for (unsigned char c : name) {
    h ^= c;
    h *= 16777619u;
  }
  std::string s(static_cast<std::size_t>(size), '\0');
  for (std::int64_t i = 0; i < size; ++i)
    s[static_cast<std::size_t>(i)] =
        static_cast<char>((static_cast<std::uint64_t>(i) * 31u + h) & 0xffu);
  return s;
}

// A mock with alice and bob logged in on /api.
struct MockFx {
  explicit MockFx(dsmock::Options o = Mock::virtual_opts())
      : mock(std::move(o)),
        alice(login(mock.port, "alice", "alice-pass")),
        bob(login(mock.port, "bob", "bob-pass")) {}
  Ds as_alice(B b) const { return Ds(mock.port, b, alice); }
  Ds as_bob(B b) const { return Ds(mock.port, b, bob); }
  Http http() const { return mock.http(); }

  Mock mock;
  std::string alice, bob;
};

}  // namespace mt
