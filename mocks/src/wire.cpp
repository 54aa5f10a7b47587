#include "wire.hpp"

#include <limits>

namespace dsmock::detail {

using nlohmann::json;

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

json body_object(const httplib::Request& req) {
  if (req.body.find_first_not_of(" \t\r\n") == std::string::npos) return json::object();
  json j = json::parse(req.body, nullptr, false);
  if (j.is_discarded()) throw invalid_request("the request body is not valid JSON");
  if (!j.is_object()) throw invalid_request("the request body must be a JSON object");
  return j;
}

std::optional<std::string> opt_string(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) throw invalid_request(std::string("'") + key + "' must be a string");
  return it->get<std::string>();
}

std::string req_string(const json& obj, const char* key) {
  auto v = opt_string(obj, key);
  if (!v) throw invalid_request(std::string("the required field '") + key + "' is missing");
  return *v;
}

std::optional<std::int64_t> opt_progress(const json& obj, bool null_is_invalid) {
  auto it = obj.find("progress");
  if (it == obj.end()) return std::nullopt;
  if (it->is_null()) {
    if (null_is_invalid) throw invalid_request("'progress' must be an integer, not null");
    return std::nullopt;
  }
  if (it->is_number_unsigned()) {
    auto u = it->get<std::uint64_t>();
    return static_cast<std::int64_t>(
        std::min<std::uint64_t>(u, std::numeric_limits<std::int64_t>::max()));
  }
  if (it->is_number_integer()) return it->get<std::int64_t>();
  throw invalid_request("'progress' must be an integer");
}

std::optional<std::string> header(const httplib::Request& req, const char* name) {
  if (!req.has_header(name)) return std::nullopt;
  return req.get_header_value(name);
}

std::optional<std::string> query(const httplib::Request& req, const char* name) {
  if (!req.has_param(name)) return std::nullopt;
  return req.get_param_value(name);
}

std::optional<std::string> session_token(const httplib::Request& req) {
  return header(req, "vmware-api-session-id");
}

namespace {
bool base64_decode(const std::string& in, std::string& out) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  out.clear();
  unsigned buf = 0;
  int bits = 0;
  std::size_t i = 0;
  for (; i < in.size() && in[i] != '='; ++i) {
    int v = val(in[i]);
    if (v < 0) return false;
    buf = (buf << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buf >> bits) & 0xff));
    }
  }
  for (; i < in.size(); ++i)
    if (in[i] != '=') return false;
  return true;
}
}  // namespace

std::pair<std::string, std::string> basic_credentials(const httplib::Request& req) {
  auto h = header(req, "Authorization");
  if (!h || h->size() < 6) throw unauthenticated();
  std::string scheme = h->substr(0, 6);
  for (char& c : scheme)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme != "basic ") throw unauthenticated();
  std::string enc = h->substr(6);
  while (!enc.empty() && enc.front() == ' ')
    enc.erase(enc.begin());
  while (!enc.empty() && enc.back() == ' ')
    enc.pop_back();
  std::string dec;
  if (!base64_decode(enc, dec)) throw unauthenticated();
  auto colon = dec.find(':');
  if (colon == std::string::npos) throw unauthenticated();
  return {dec.substr(0, colon), dec.substr(colon + 1)};
}

void not_allowed(Ctx& ctx, const char* allow) {
  ctx.res.set_header("Allow", allow);
  throw method_not_allowed(ctx.req.method, ctx.req.path);
}

std::optional<Route> session_instance_route(Ctx& ctx, const std::string& id,
                                            const std::optional<std::string>& action,
                                            const Replies& r) {
  Store& st = ctx.store;
  const auto& req = ctx.req;
  const std::string& m = ctx.method;
  if (m == "GET")
    return Route{true, [&st, id, r](const std::string& u) { return r.value(st.get(u, id)); }};
  if (m == "DELETE")
    return Route{true, [&st, id, r](const std::string& u) {
                   st.remove(u, id);
                   return Reply{
                       st.faults().has(Fault::WrongSuccessStatus) ? r.deleted_wrong : r.deleted,
                       std::nullopt};
                 }};
  if (m != "POST") not_allowed(ctx, "GET, POST, DELETE");
  // body-check-order=session-first: the session is looked up before the body is read.
  auto session_first = [&st, id](const std::string& u) {
    if (st.variants().session_first) st.require_session(u, id);
  };
  if (action == "keep-alive")
    return Route{true, [&st, &req, id, r, session_first](const std::string& u) {
                   session_first(u);
                   json body = body_object(req);
                   st.keep_alive(u, id, opt_progress(body, st.variants().null_progress_rejected));
                   return Reply{r.empty, std::nullopt};
                 }};
  if (action == "cancel")
    return Route{true, [&st, &req, id, r, session_first](const std::string& u) {
                   session_first(u);
                   body_object(req);
                   st.cancel(u, id);
                   return Reply{r.empty, std::nullopt};
                 }};
  if (action == "fail")
    return Route{true, [&st, &req, id, r, session_first](const std::string& u) {
                   session_first(u);
                   json body = body_object(req);
                   // fail-missing-message=accept: a missing (or null) message is empty.
                   st.fail(u, id,
                           st.variants().fail_message_optional
                               ? opt_string(body, "client_error_message").value_or("")
                               : req_string(body, "client_error_message"));
                   return Reply{r.empty, std::nullopt};
                 }};
  return std::nullopt;
}

}  // namespace dsmock::detail
