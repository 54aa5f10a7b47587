#include "conn.hpp"

#include <chrono>

namespace load {

namespace {
const std::string kApiSessions = "/api/content/library/item/download-session";
const std::string kRestSessions = "/rest/com/vmware/content/library/item/download-session";
const std::string kRestFiles = "/rest/com/vmware/content/library/item/downloadsession/file";
}  // namespace

std::string pct(const std::string& s) {
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

const json& Answer::value() const {
  static const json null;
  if (binding == Binding::Rest) return j.is_object() && j.contains("value") ? j["value"] : null;
  return j;
}

std::string Answer::error_type() const {
  const json* e = &j;
  if (j.is_object() && j.contains("type") && j.contains("value")) e = &j["value"];
  if (e->is_object() && e->contains("error_type") && (*e)["error_type"].is_string())
    return (*e)["error_type"].get<std::string>();
  return "";
}

std::string Answer::brief() const {
  std::string b = body.size() > 240 ? body.substr(0, 240) + "..." : body;
  return (status ? std::to_string(status) : std::string("transport error")) + " " + b;
}

Conn::Conn(const std::string& base, Binding b, bool keep_alive, Stats* stats)
    : cli_(std::make_unique<httplib::Client>(base)), b_(b), stats_(stats) {
  cli_->set_keep_alive(keep_alive);
  cli_->set_tcp_nodelay(true);
  cli_->set_connection_timeout(10, 0);
  cli_->set_read_timeout(60, 0);
  cli_->set_write_timeout(60, 0);
}

std::string Conn::sessions() const {
  return b_ == Binding::Api ? kApiSessions : kRestSessions;
}
std::string Conn::instance(const std::string& id) const {
  return sessions() + (b_ == Binding::Api ? "/" : "/id:") + pct(id);
}
std::string Conn::action(const std::string& a) const {
  return (b_ == Binding::Api ? "?action=" : "?~action=") + a;
}

Answer Conn::send(const char* op, const std::string& method, const std::string& path,
                  const std::string& body, httplib::Headers h) {
  if (!token_.empty()) h.emplace("vmware-api-session-id", token_);
  const auto t0 = std::chrono::steady_clock::now();
  httplib::Result r{nullptr, httplib::Error::Unknown};
  if (method == "GET") {
    r = cli_->Get(path.c_str(), h);
  } else if (method == "POST") {
    r = cli_->Post(path.c_str(), h, body, "application/json");
  } else {
    r = cli_->Delete(path.c_str(), h, body, "application/json");
  }
  const auto ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  Answer a;
  a.binding = b_;
  a.request = method + " " + path;
  if (!r) {
    a.body = httplib::to_string(r.error());
  } else {
    a.status = r->status;
    a.body = std::move(r->body);
    if (!a.body.empty()) {
      a.j = json::parse(a.body, nullptr, false);
      if (a.j.is_discarded()) a.j = nullptr;
    }
  }
  if (stats_) {
    ++stats_->calls;
    ++stats_->ops[op];
    stats_->latency.add(static_cast<std::uint64_t>(ns < 0 ? 0 : ns));
    if (a.status >= 500) ++stats_->status_5xx;
    if (a.status == 0) ++stats_->transport_errors;
  }
  return a;
}

Answer Conn::login(const User& u) {
  httplib::Headers h = {httplib::make_basic_authentication_header(u.name, u.password)};
  const std::string path = b_ == Binding::Api ? "/api/session" : "/rest/com/vmware/cis/session";
  auto r = cli_->Post(path.c_str(), h, "", "application/json");
  Answer a;
  a.binding = b_;
  a.request = "POST " + path;
  if (!r) {
    a.body = httplib::to_string(r.error());
    return a;
  }
  a.status = r->status;
  a.body = r->body;
  a.j = json::parse(a.body, nullptr, false);
  if (a.j.is_discarded()) a.j = nullptr;
  if (a.status == (b_ == Binding::Api ? 201 : 200) && a.value().is_string())
    token_ = a.value().get<std::string>();
  return a;
}

Answer Conn::logout() {
  return send("logout", "DELETE",
              b_ == Binding::Api ? "/api/session" : "/rest/com/vmware/cis/session", "");
}

Answer Conn::create(const std::string& item, const std::optional<std::string>& client_token) {
  json spec = {{"library_item_id", item}};
  if (b_ == Binding::Api) {
    httplib::Headers h;
    if (client_token) h.emplace("Client-Token", *client_token);
    return send("create", "POST", sessions(), spec.dump(), std::move(h));
  }
  json body = {{"create_spec", spec}};
  if (client_token) body["client_token"] = *client_token;
  return send("create", "POST", sessions(), body.dump());
}

Answer Conn::get(const std::string& id) {
  return send("get", "GET", instance(id), "");
}

Answer Conn::list(const std::optional<std::string>& item) {
  return send("list", "GET", sessions() + (item ? "?library_item_id=" + pct(*item) : ""), "");
}

Answer Conn::keep_alive(const std::string& id, std::optional<std::int64_t> progress) {
  return send("keep_alive", "POST", instance(id) + action("keep-alive"),
              progress ? json{{"progress", *progress}}.dump() : std::string());
}

Answer Conn::cancel(const std::string& id) {
  return send("cancel", "POST", instance(id) + action("cancel"), "");
}

Answer Conn::fail(const std::string& id, const std::string& message) {
  return send("fail", "POST", instance(id) + action("fail"),
              json{{"client_error_message", message}}.dump());
}

Answer Conn::del(const std::string& id) {
  return send("delete", "DELETE", instance(id), "");
}

Answer Conn::file_list(const std::string& id) {
  if (b_ == Binding::Api) return send("file_list", "GET", instance(id) + "/file", "");
  return send("file_list", "GET", kRestFiles + "?download_session_id=" + pct(id), "");
}

Answer Conn::file_get(const std::string& id, const std::string& name) {
  if (b_ == Binding::Api)
    return send("file_get", "GET", instance(id) + "/file?file_name=" + pct(name), "");
  return send("file_get", "POST", kRestFiles + "/id:" + pct(id) + "?~action=get",
              json{{"file_name", name}}.dump());
}

Answer Conn::file_prepare(const std::string& id, const std::string& name) {
  const std::string body = json{{"file_name", name}}.dump();
  if (b_ == Binding::Api)
    return send("file_prepare", "POST", instance(id) + "/file?action=prepare", body);
  return send("file_prepare", "POST", kRestFiles + "/id:" + pct(id) + "?~action=prepare", body);
}

}  // namespace load
