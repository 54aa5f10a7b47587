// The deprecated /rest binding: id:{id} path segments, ~action= dispatch, always 200,
// results wrapped in {"value": ...}, void results without a body.
#include "wire.hpp"

namespace dsmock::detail {

using nlohmann::json;

namespace {

const std::string kSessions = "/rest/com/vmware/content/library/item/download-session";
const std::string kFiles = "/rest/com/vmware/content/library/item/downloadsession/file";

Reply value(json j) {
  return Reply{200, json{{"value", std::move(j)}}};
}
Reply none(int status = 200) {
  return Reply{status, std::nullopt};
}

// The id of an "id:{id}" segment (split at the first "id:" only; ids may contain colons), or
// of a bare "{id}" segment when bare ids are accepted (rest-bare-id).
std::optional<std::string> instance_id(const std::string& path, const std::string& base,
                                       bool bare_ok) {
  std::string id;
  if (starts_with(path, base + "/id:"))
    id = path.substr(base.size() + 4);
  else if (bare_ok && starts_with(path, base + "/"))
    id = path.substr(base.size() + 1);
  if (id.empty() || id.find('/') != std::string::npos) return std::nullopt;
  return id;
}

}  // namespace

std::optional<Route> match_rest(Ctx& ctx) {
  Store& st = ctx.store;
  const auto& req = ctx.req;
  const std::string& path = req.path;
  const std::string& m = ctx.method;
  const auto action = query(req, "~action");

  if (path == "/rest/com/vmware/cis/session") {
    if (m == "POST" && !action)
      return Route{false, [&](const std::string&) {
                     auto [user, password] = basic_credentials(req);
                     return value(st.login(user, password));
                   }};
    if (m == "POST" && action == "get")
      return Route{false,
                   [&](const std::string&) { return value(st.login_info(session_token(req))); }};
    if (m == "POST") return std::nullopt;
    if (m == "DELETE")
      return Route{false, [&](const std::string&) {
                     st.logout(session_token(req));
                     return none();
                   }};
    not_allowed(ctx, "POST, DELETE");
  }

  if (path == kSessions) {
    if (m == "GET")
      return Route{true, [&](const std::string& user) {
                     return value(st.list(user, query(req, "library_item_id")));
                   }};
    if (m == "POST") {
      if (action) return std::nullopt;
      return Route{true, [&](const std::string& user) {
                     json body = body_object(req);
                     auto token = opt_string(body, "client_token");
                     auto spec = body.find("create_spec");
                     if (spec == body.end() || !spec->is_object())
                       throw invalid_argument("create_spec must be a DownloadSessionModel object");
                     return value(st.create(user, token, *spec));
                   }};
    }
    not_allowed(ctx, "GET, POST");
  }

  const bool bare_ok = st.variants().rest_bare_id;
  if (auto id = instance_id(path, kSessions, bare_ok))
    return session_instance_route(ctx, *id, action, {value, 200, 200, 204});

  if (path == kFiles) {
    if (m != "GET") not_allowed(ctx, "GET");
    return Route{true, [&](const std::string& u) {
                   auto id = query(req, "download_session_id");
                   if (!id)
                     throw invalid_request("the query parameter 'download_session_id' is missing");
                   return value(st.file_list(u, *id, ctx.base_url));
                 }};
  }

  if (auto id_opt = instance_id(path, kFiles, bare_ok)) {
    const std::string id = *id_opt;
    if (m != "POST") not_allowed(ctx, "POST");
    if (action == "get")
      return Route{true, [&, id](const std::string& u) {
                     if (st.variants().session_first) st.require_session(u, id);
                     json body = body_object(req);
                     return value(st.file_get(u, id, req_string(body, "file_name"), ctx.base_url));
                   }};
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
