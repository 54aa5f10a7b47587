// How a binding puts an operation on the wire, read from the spec: request
// encoding and answer decoding. No operation-specific code.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "conformance/engine/transport.hpp"
#include "conformance/spec/spec.hpp"

namespace conformance::engine {

// How a request is deliberately broken.
enum class Breakage { None, OmitParam, WrongType, MalformedBody };

// Encodes an operation call. `args` maps parameter names to concrete JSON values
// (absent = not sent). `token` empty = no session header.
HttpRequest encode(const spec::Binding& binding, const spec::Operation& op,
                   const nlohmann::json& args, const std::string& token,
                   Breakage breakage = Breakage::None, const std::string& broken_param = "");

// A decoded answer.
struct Decoded {
  enum class Kind { Success, Error, Transport };
  Kind kind = Kind::Transport;
  int status = 0;
  bool has_result = false;
  nlohmann::json result;                       // unwrapped result (Success)
  std::string error_name;                      // catalogue name (Error), "" if unreadable
  std::vector<std::string> envelope_problems;  // how the envelope departs from the binding
  std::string transport_error;
  // RPC bindings: the error came in the protocol's own error member (not as a service
  // error in the result); how the answer breaks the binding's encoding rules, each with
  // the clause it breaks.
  bool protocol_error = false;
  std::vector<std::pair<const spec::Clause*, std::string>> encoding_problems;
};

// `request`, when given, is the request the answer is to (an RPC binding checks that the
// answer names it).
Decoded decode(const spec::Spec& spec, const spec::Binding& binding, const spec::Operation& op,
               const HttpResponse& response, const HttpRequest* request = nullptr);

// A value of another JSON type than `v` (a deliberately wrongly typed argument).
nlohmann::json wrong_type_of(const nlohmann::json& v);

// The headers whose values a binding's requests must never show: the credentials and
// the binding's session header (an RPC binding: the body members holding the session
// token, the password and secrets).
SecretHeaders secret_headers(const spec::Binding& binding);

// Login (HTTP Basic auth, or the RPC binding's login operation); returns the session token or
// throws std::runtime_error (message without the password).
std::string login(Transport& transport, const spec::Binding& binding, const std::string& user,
                  const std::string& password);

}  // namespace conformance::engine
