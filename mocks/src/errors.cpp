#include "errors.hpp"

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

nlohmann::json error_body(const ApiError& e, Binding b) {
  nlohmann::json msg = {{"id", e.id()}, {"default_message", e.what()}, {"args", e.args()}};
  nlohmann::json value = {{"error_type", error_type_name(e.type())},
                          {"messages", nlohmann::json::array({msg})}};
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
