// The /api binding (vSphere 7.0 U2+): ?action= dispatch, bare bodies, 201/204/200.
#include "wire.hpp"

namespace dsmock::detail {

using nlohmann::json;

namespace {

const std::string kSessions = "/api/content/library/item/download-session";

Reply value(json j) {
  return Reply{200, std::move(j)};
}
Reply created(json j) {
  return Reply{201, std::move(j)};
}
Reply none(int status = 204) {
  return Reply{status, std::nullopt};
}

// Client-Token header, then client_token header, then client_token query parameter; or only
// one of them (client-token-transport).
std::optional<std::string> client_token(const httplib::Request& req,
                                        Variants::TokenTransport transport) {
  switch (transport) {
    case Variants::TokenTransport::Header:
      return header(req, "Client-Token");
    case Variants::TokenTransport::Query:
      return query(req, "client_token");
    case Variants::TokenTransport::All:
      break;
  }
  if (auto t = header(req, "Client-Token")) return t;
  if (auto t = header(req, "client_token")) return t;
  return query(req, "client_token");
}

std::optional<Route> session_route(Ctx& ctx) {
  Store& st = ctx.store;
  const auto& req = ctx.req;
  if (ctx.method == "POST")
    return Route{false, [&](const std::string&) {
                   auto [user, password] = basic_credentials(req);
                   return created(st.login(user, password));
                 }};
  if (ctx.method == "GET")
    return Route{false,
                 [&](const std::string&) { return value(st.login_info(session_token(req))); }};
  if (ctx.method == "DELETE")
    return Route{false, [&](const std::string&) {
                   st.logout(session_token(req));
                   return none();
                 }};
  not_allowed(ctx, "GET, POST, DELETE");
}

}  // namespace

std::optional<Route> match_api(Ctx& ctx) {
  Store& st = ctx.store;
  const auto& req = ctx.req;
  const std::string& path = req.path;
  const std::string& m = ctx.method;

  if (path == "/api/session") return session_route(ctx);

  if (path == kSessions) {
    if (m == "GET")
      return Route{true, [&](const std::string& user) {
                     return value(st.list(user, query(req, "library_item_id")));
                   }};
    if (m == "POST") {
      if (req.has_param("action")) return std::nullopt;
      return Route{true, [&](const std::string& user) {
                     auto token = client_token(req, st.variants().token_transport);
                     return created(st.create(user, token, body_object(req)));
                   }};
    }
    not_allowed(ctx, "GET, POST");
  }

  if (!starts_with(path, kSessions + "/")) return std::nullopt;
  const std::string rest = path.substr(kSessions.size() + 1);
  const auto slash = rest.find('/');
  const std::string id = rest.substr(0, slash);
  const std::string tail = slash == std::string::npos ? "" : rest.substr(slash + 1);
  if (id.empty()) return std::nullopt;
  const auto action = query(req, "action");

  if (slash == std::string::npos)
    return session_instance_route(ctx, id, action, {value, 204, 204, 200});

  if (tail == "file") {
    if (m == "GET") {
      if (req.has_param("file_name"))
        return Route{
            true, [&, id](const std::string& u) {
              return value(st.file_get(u, id, req.get_param_value("file_name"), ctx.base_url));
            }};
      return Route{
          true, [&, id](const std::string& u) { return value(st.file_list(u, id, ctx.base_url)); }};
    }
    if (m != "POST") not_allowed(ctx, "GET, POST");
    if (action == "prepare")
      return Route{true, [&, id](const std::string& u) {
                     if (st.variants().session_first) st.require_session(u, id);
                     json body = body_object(req);
                     std::string name = req_string(body, "file_name");
                     auto type = opt_string(body, "endpoint_type");
                     return value(st.file_prepare(u, id, name, type, ctx.base_url));
                   }};
    return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace dsmock::detail
