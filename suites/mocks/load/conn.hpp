// mock-load: one HTTP connection (keep-alive, TCP_NODELAY) speaking either REST binding.
#pragma once

#include <httplib.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "load.hpp"

namespace load {

struct Answer {
  int status = 0;       // 0 = transport error
  std::string request;  // "METHOD path" (never headers: they carry the login token)
  std::string body;
  json j;  // parsed body, null when empty or not JSON
  Binding binding = Binding::Api;

  bool transport_error() const { return status == 0; }
  // The result, unwrapped from {"value": ...} on /rest.
  const json& value() const;
  // error_type of the binding's error envelope ("" if none).
  std::string error_type() const;
  std::string brief() const;  // "status body-excerpt"
};

class Conn {
 public:
  // base: "http://host:port". stats may be null (calls are then not counted).
  Conn(const std::string& base, Binding b, bool keep_alive, Stats* stats);
  Binding binding() const { return b_; }
  void set_token(std::string token) { token_ = std::move(token); }
  const std::string& token() const { return token_; }

  int ok_create() const { return b_ == Binding::Api ? 201 : 200; }
  int ok_void() const { return b_ == Binding::Api ? 204 : 200; }

  Answer login(const User& u);  // sets the token on success
  Answer logout();
  Answer create(const std::string& item, const std::optional<std::string>& client_token);
  Answer get(const std::string& id);
  Answer list(const std::optional<std::string>& item = std::nullopt);
  Answer keep_alive(const std::string& id, std::optional<std::int64_t> progress);
  Answer cancel(const std::string& id);
  Answer fail(const std::string& id, const std::string& message);
  Answer del(const std::string& id);
  Answer file_list(const std::string& id);
  Answer file_get(const std::string& id, const std::string& name);
  Answer file_prepare(const std::string& id, const std::string& name);

 private:
  std::string sessions() const;
  std::string instance(const std::string& id) const;
  std::string action(const std::string& a) const;
  Answer send(const char* op, const std::string& method, const std::string& path,
              const std::string& body, httplib::Headers extra = {});

  std::unique_ptr<httplib::Client> cli_;
  Binding b_;
  Stats* stats_;
  std::string token_;
};

std::string pct(const std::string& s);  // percent-encodes all but RFC 3986 unreserved and ':'

}  // namespace load
