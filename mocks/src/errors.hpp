// vAPI standard errors and their wire envelopes for the two REST bindings.
#pragma once

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "variants.hpp"

namespace dsmock::detail {

enum class Binding { Api, Rest };

enum class ErrorType {
  InvalidArgument,
  InvalidRequest,
  NotAllowedInCurrentState,
  Unauthenticated,
  Unauthorized,
  NotFound,
  OperationNotFound,
  InternalServerError,
};

// Thrown by the operation layer; the wire adapters turn it into an error response.
class ApiError : public std::runtime_error {
 public:
  ApiError(ErrorType type, std::string id, std::string default_message,
           std::vector<std::string> args = {}, int status_override = 0);
  ErrorType type() const { return type_; }
  int status() const;  // HTTP status of §3.3 unless overridden (413, 405)
  const std::string& id() const { return id_; }
  const std::vector<std::string>& args() const { return args_; }

 private:
  ErrorType type_;
  std::string id_;
  std::vector<std::string> args_;
  int status_override_;
};

const char* error_type_name(ErrorType t);       // e.g. NOT_FOUND
std::string rest_error_type_name(ErrorType t);  // e.g. com.vmware.vapi.std.errors.not_found
int http_status(ErrorType t);

// The binding's error body, as the error-messages, rest-error-type and extra-fields variants
// shape it.
nlohmann::json error_body(const ApiError& e, Binding b, const Variants& variants = {});

// JSON text for the wire; invalid UTF-8 coming from client input is replaced, never thrown.
std::string to_wire(const nlohmann::json& j);

// Common errors.
ApiError invalid_request(const std::string& what);
ApiError invalid_argument(const std::string& what);
ApiError route_not_found(const std::string& method, const std::string& path);
ApiError method_not_allowed(const std::string& method, const std::string& path);
ApiError unauthenticated();

}  // namespace dsmock::detail
