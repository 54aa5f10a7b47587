#include "errors.hpp"

#include <cctype>
#include <map>
#include <utility>

namespace dsmock::detail {

ApiError::ApiError(ErrorType type, std::string id, std::string default_message,
                   std::vector<std::string> args, int status_override)
    : std::runtime_error(std::move(default_message)),
      type_(type),
      id_(std::move(id)),
      args_(std::move(args)),
      status_override_(status_override) {}

int ApiError::status() const {
  return status_override_ ? status_override_ : http_status(type_);
}

const char* error_type_name(ErrorType t) {
  switch (t) {
    case ErrorType::InvalidArgument:
      return "INVALID_ARGUMENT";
    case ErrorType::InvalidRequest:
      return "INVALID_REQUEST";
    case ErrorType::NotAllowedInCurrentState:
      return "NOT_ALLOWED_IN_CURRENT_STATE";
    case ErrorType::Unauthenticated:
      return "UNAUTHENTICATED";
    case ErrorType::Unauthorized:
      return "UNAUTHORIZED";
    case ErrorType::NotFound:
      return "NOT_FOUND";
    case ErrorType::OperationNotFound:
      return "OPERATION_NOT_FOUND";
    case ErrorType::InternalServerError:
      return "INTERNAL_SERVER_ERROR";
  }
  return "ERROR";
}

std::string rest_error_type_name(ErrorType t) {
  std::string s = error_type_name(t);
  for (char& c : s)
    c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return "com.vmware.vapi.std.errors." + s;
}

int http_status(ErrorType t) {
  switch (t) {
    case ErrorType::InvalidArgument:
    case ErrorType::InvalidRequest:
    case ErrorType::NotAllowedInCurrentState:
      return 400;
    case ErrorType::Unauthenticated:
      return 401;
    case ErrorType::Unauthorized:
      return 403;
    case ErrorType::NotFound:
    case ErrorType::OperationNotFound:
      return 404;
    case ErrorType::InternalServerError:
      return 500;
  }
  return 500;
}

namespace {

// error-messages=vcenter: (id, text template with {0}, {1}... for the args).
std::pair<std::string, std::string> vcenter_message(const ApiError& e) {
  static const std::map<std::string, std::pair<std::string, std::string>> known = {
      {"com.vmware.content.library.item.downloadsession.not_found",
       {"com.vmware.vdcs.cls-main.download_session_not_found",
        "Download session with identifier {0} could not be found."}},
      {"com.vmware.content.library.item.not_found",
       {"com.vmware.vdcs.cls-main.library_item_not_found",
        "Library item with identifier {0} could not be found."}},
      {"com.vmware.content.library.item.downloadsession.invalid_state",
       {"com.vmware.vdcs.cls-main.download_session_invalid_state",
        "Cannot perform {2} on download session {0}: the session is in state {1}."}},
      {"com.vmware.vapi.endpoint.method.authentication.required",
       {"vapi.method.authentication.required", "This method requires authentication."}},
  };
  auto it = known.find(e.id());
  if (it == known.end())
    return {"com.vmware.vdcs.cls-main." + e.id().substr(e.id().rfind('.') + 1), e.what()};
  std::string text;
  const std::string& tpl = it->second.second;
  for (std::size_t i = 0; i < tpl.size(); ++i) {
    if (tpl[i] == '{' && i + 2 < tpl.size() && tpl[i + 2] == '}' &&
        std::isdigit(static_cast<unsigned char>(tpl[i + 1]))) {
      const std::size_t k = static_cast<std::size_t>(tpl[i + 1] - '0');
      if (k < e.args().size()) text += e.args()[k];
      i += 2;
    } else {
      text += tpl[i];
    }
  }
  return {it->second.first, text};
}

const char* generic_text(ErrorType t) {
  switch (t) {
    case ErrorType::InvalidArgument:
      return "A specified parameter was not correct.";
    case ErrorType::InvalidRequest:
      return "The request is not valid.";
    case ErrorType::NotAllowedInCurrentState:
      return "The operation is not allowed in the current state.";
    case ErrorType::Unauthenticated:
      return "Authentication required.";
    case ErrorType::Unauthorized:
      return "Permission denied.";
    case ErrorType::NotFound:
      return "The object was not found.";
    case ErrorType::OperationNotFound:
      return "The operation was not found.";
    case ErrorType::InternalServerError:
      return "An internal error occurred.";
  }
  return "Error.";
}

}  // namespace

nlohmann::json error_body(const ApiError& e, Binding b, const Variants& v) {
  using nlohmann::json;
  json msg;
  switch (v.error_messages) {
    case Variants::ErrorMessages::Mock:
      msg = {{"id", e.id()}, {"default_message", e.what()}, {"args", e.args()}};
      break;
    case Variants::ErrorMessages::Vcenter: {
      auto [id, text] = vcenter_message(e);
      msg = {{"id", id}, {"default_message", text}, {"args", e.args()}, {"localized", text}};
      if (!e.args().empty()) {  // a map: an object on /api, a key/value list on /rest (§3.1)
        json params = b == Binding::Api ? json::object() : json::array();
        for (std::size_t i = 0; i < e.args().size(); ++i) {
          json param = {{"s", e.args()[i]}};
          if (b == Binding::Api)
            params[std::to_string(i)] = param;
          else
            params.push_back({{"key", std::to_string(i)}, {"value", param}});
        }
        msg["params"] = params;
      }
      break;
    }
    case Variants::ErrorMessages::Bare:
      msg = {{"id", e.id()}, {"default_message", generic_text(e.type())}, {"args", json::array()}};
      break;
  }
  if (v.extra_fields) msg["severity"] = "ERROR";
  json value = {{"messages", json::array({msg})}};
  if (b == Binding::Api || v.rest_error_type) value["error_type"] = error_type_name(e.type());
  if (v.extra_fields) value["request_id"] = "dsmock-0";
  if (b == Binding::Api) return value;
  return {{"type", rest_error_type_name(e.type())}, {"value", value}};
}

std::string to_wire(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

ApiError invalid_request(const std::string& what) {
  return ApiError(ErrorType::InvalidRequest, "com.vmware.vapi.rest.badRequest",
                  "Invalid request: " + what, {what});
}

ApiError invalid_argument(const std::string& what) {
  return ApiError(ErrorType::InvalidArgument, "com.vmware.vapi.std.errors.invalid_argument",
                  "Invalid argument: " + what, {what});
}

ApiError route_not_found(const std::string& method, const std::string& path) {
  return ApiError(ErrorType::NotFound, "com.vmware.vapi.rest.httpNotFound",
                  "No operation for " + method + " " + path + ".", {method, path});
}

ApiError method_not_allowed(const std::string& method, const std::string& path) {
  return ApiError(ErrorType::OperationNotFound, "com.vmware.vapi.rest.httpMethodNotAllowed",
                  "Method " + method + " is not allowed on " + path + ".", {method, path}, 405);
}

ApiError unauthenticated() {
  return ApiError(ErrorType::Unauthenticated,
                  "com.vmware.vapi.endpoint.method.authentication.required",
                  "This method requires authentication.");
}

}  // namespace dsmock::detail
