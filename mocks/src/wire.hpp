// Shared plumbing of the wire adapters (routes_api.cpp, routes_rest.cpp, routes_jsonrpc.cpp).
#pragma once

#include <httplib.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "errors.hpp"
#include "store.hpp"

namespace dsmock::detail {

// An answer before it is put on the wire.
struct Reply {
  int status = 200;
  std::optional<nlohmann::json> body;  // none = empty body
};

struct Ctx {
  const httplib::Request& req;
  httplib::Response& res;
  Store& store;
  std::string method;    // HEAD is folded into GET
  std::string base_url;  // scheme://host:port, for download URIs
};

// A matched route: whether it needs a session token, and what to run with the caller's user.
struct Route {
  bool auth = true;
  std::function<Reply(const std::string& user)> run;
};

// Return std::nullopt when no route matches; throw a 405 ApiError (after setting Allow) when
// the path is known but the method is not.
std::optional<Route> match_api(Ctx& ctx);
std::optional<Route> match_rest(Ctx& ctx);
// POST /api: the vAPI JSON-RPC binding; answers every request itself (errors included).
Reply serve_jsonrpc(Ctx& ctx);

// How a binding answers a success; the routes of one session are laid out alike on
// both bindings, and only these differ.
struct Replies {
  Reply (*value)(nlohmann::json);  // a result, as the binding wraps it
  int empty;                       // status of a success without a result
  int deleted, deleted_wrong;      // status of a delete; under the wrong-success-status fault
};

// GET, DELETE and POST with action keep-alive | cancel | fail on the session `id`;
// std::nullopt for another action; a 405 for another method.
std::optional<Route> session_instance_route(Ctx& ctx, const std::string& id,
                                            const std::optional<std::string>& action,
                                            const Replies& replies);

// --- request helpers (every malformed input is INVALID_REQUEST) ---------------------------
// The body as a JSON object; an empty body is {}.
nlohmann::json body_object(const httplib::Request& req);
std::optional<std::string> opt_string(const nlohmann::json& obj, const char* key);
std::string req_string(const nlohmann::json& obj, const char* key);
// `progress`; a null one counts as absent unless null_is_invalid (then INVALID_REQUEST).
std::optional<std::int64_t> opt_progress(const nlohmann::json& obj, bool null_is_invalid = false);
std::optional<std::string> header(const httplib::Request& req, const char* name);
std::optional<std::string> query(const httplib::Request& req, const char* name);
std::optional<std::string> session_token(const httplib::Request& req);
// HTTP Basic credentials, or throws UNAUTHENTICATED.
std::pair<std::string, std::string> basic_credentials(const httplib::Request& req);
[[noreturn]] void not_allowed(Ctx& ctx, const char* allow);
bool starts_with(const std::string& s, const std::string& prefix);

}  // namespace dsmock::detail
