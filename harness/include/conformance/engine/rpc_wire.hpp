// The wire of a binding whose protocol is "jsonrpc" (specs/README.md, "RPC bindings"):
// one endpoint, a JSON-RPC 2.0 envelope naming the service and the operation, values
// in tagged form (structures, optionals, secrets, errors). Everything protocol- and
// service-specific (keys, tags, ids, codes) comes from spec::RpcBinding. wire.cpp hands
// the calls of such a binding to these functions.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "conformance/engine/wire.hpp"

namespace conformance::engine {

HttpRequest rpc_encode(const spec::Binding& binding, const spec::Operation& op,
                       const nlohmann::json& args, const std::string& token, Breakage breakage,
                       const std::string& broken_param);

// An answer that arrived (decode() has handled transport failures).
Decoded rpc_decode(const spec::Spec& spec, const spec::Binding& binding, const spec::Operation& op,
                   const HttpResponse& response, const HttpRequest* request);

std::string rpc_login(Transport& transport, const spec::Binding& binding, const std::string& user,
                      const std::string& password);

// A plain JSON value (as the REST bindings carry it) in the binding's tagged form, and back.
// `optional`: the value is of an optional type (wrapped; null = unset).
nlohmann::json to_rpc_value(const spec::RpcBinding& rpc, const nlohmann::json& plain,
                            const spec::TypeRef& type, bool optional);
// Decoding records how the value departs from the encoding rules, as (clause, problem).
nlohmann::json from_rpc_value(const spec::RpcBinding& rpc, const nlohmann::json& value,
                              const spec::TypeRef& type, const std::string& path,
                              std::vector<std::pair<const spec::Clause*, std::string>>& problems);

// A fresh random UUID (version 4), as request and op ids.
std::string random_uuid();

}  // namespace conformance::engine
