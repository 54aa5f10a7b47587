// The typed form of a spec file (specs/README.md documents the JSON format).
// Everything the engine knows about a service comes from a Spec: no operation name
// appears in engine code.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace conformance::spec {

// Each enumeration of the format has one table of its values' texts (spec.cpp):
// to_string() prints with it and the loader parses with it.
template <class E>
using NameTable = std::span<const std::pair<E, std::string_view>>;

// The value whose text is `s`, if any.
template <class E>
std::optional<E> from_string(std::string_view s) {
  for (const auto& [value, text] : names(E{}))
    if (text == s) return value;
  return std::nullopt;
}

enum class Provenance { documented, inferred, open };
NameTable<Provenance> names(Provenance);
std::string to_string(Provenance p);

// A contract clause: the unit a check enforces and a report lists.
struct Clause {
  std::string id;  // stable, e.g. "cancel.requires_active"
  Provenance provenance = Provenance::documented;
  std::string reason;   // required for inferred and open
  std::string summary;  // one line, human readable
  std::string area;     // operation ("DownloadSession.cancel") or area ("binding", "lease")
  std::string pointer;  // JSON pointer of the clause in the spec file
};

// A type expression: string, long, boolean, date-time, uri, any, id<R>, key<R>,
// list<T>, or the name of a type declared under "types".
struct TypeRef {
  enum class Kind { String, Long, Boolean, DateTime, Uri, Any, Id, Key, List, Named };
  Kind kind = Kind::Any;
  std::string target;                // resource (Id, Key) or type name (Named)
  std::shared_ptr<TypeRef> element;  // List
  std::string text;                  // as written
};

struct Field {
  std::string name;
  TypeRef type;
  bool always = false;  // presence "always" (output): required in every answer
  std::optional<std::int64_t> min, max;
};

struct TypeDef {
  enum class Kind { Structure, Enum };
  std::string name;
  Kind kind = Kind::Structure;
  std::vector<Field> fields;        // Structure
  std::vector<std::string> values;  // Enum
  std::string doc;
  const Field* field(const std::string& name) const;
  bool has_value(const std::string& v) const;
};

struct StateMachine {
  std::string field;  // model field holding the state
  std::string type;   // enum type of the states
  std::string initial;
  std::vector<std::pair<std::string, std::string>> spontaneous;  // server-driven moves
  std::optional<Clause> spontaneous_clause;
};

struct Ownership {
  std::string owner;       // "creator"
  std::string others_see;  // error name another user gets
  Clause clause;
};

struct Lease {
  std::string field;  // the date-time field holding the expiry
  double timeout_seconds = 300;
  std::string on_expiry;  // "removed"
  Clause not_before, expires, initial;
};

struct Resource {
  enum class Kind { External, Managed, Child };
  std::string name;
  Kind kind = Kind::Managed;
  std::string model;                                   // type name
  std::string key;                                     // key field
  std::string parent;                                  // Child: parent resource
  std::string members_from, members_via_parent_field;  // Child: whose members these are
  std::optional<StateMachine> states;
  std::optional<Ownership> ownership;
  std::optional<Lease> lease;
  std::string doc;
};
NameTable<Resource::Kind> names(Resource::Kind);
std::string to_string(Resource::Kind k);

struct Param {
  std::string name;
  TypeRef type;
  bool required = false;
  std::string generate;  // generator hint: "", "token", "text"
  std::optional<std::int64_t> min, max;
};

struct Precondition {
  enum class Check { Present, Exists, StateIn, ChildExists, NotValue, InRange };
  Check check = Check::Exists;
  std::string param;  // dotted path: "create_spec.library_item_id"
  std::string resource;
  std::string parent_param;              // ChildExists
  std::vector<std::string> states;       // StateIn
  std::vector<std::string> values;       // NotValue
  std::string unless_privilege;          // NotValue
  std::optional<std::int64_t> min, max;  // InRange
  std::string error;                     // error catalogue name
  Clause clause;
};
NameTable<Precondition::Check> names(Precondition::Check);
std::string to_string(Precondition::Check c);

struct ValueExpr {
  enum class Kind { Param, Const, Stable };
  Kind kind = Kind::Const;
  std::string param;     // Param: dotted path
  std::string at;        // Param: the value lands at this sub-field of the field
  nlohmann::json value;  // Const
};

struct Effect {
  enum class Kind { Create, Set, SetState, RenewLease, Remove, AdvanceChild };
  Kind kind = Kind::Set;
  std::string resource;
  std::string param;                        // which instance (by parameter)
  std::string parent_param;                 // AdvanceChild
  std::string field;                        // Set
  std::optional<ValueExpr> value;           // Set
  std::string when_param_present;           // Set: only if this parameter was sent
  std::map<std::string, ValueExpr> fields;  // Create
  std::string to;                           // SetState
  std::vector<std::string> to_any_of;       // AdvanceChild
  // AdvanceChild: the states it eventually reaches (any one of them), and the profile deadline.
  std::vector<std::string> completes_to;
  std::string completes_within;
  Clause clause;
};
NameTable<Effect::Kind> names(Effect::Kind);
std::string to_string(Effect::Kind k);

struct Returns {
  enum class Kind { Void, NewId, Resource, IdList, Children, Child };
  Kind kind = Kind::Void;
  std::string resource, param, parent_param;
  std::optional<Clause> clause;
  // IdList
  std::string filter_field, filter_param;
  std::optional<Clause> filter_clause, owner_clause;
};
NameTable<Returns::Kind> names(Returns::Kind);
std::string to_string(Returns::Kind k);

struct Idempotency {
  std::string token_param;
  std::string scope;  // "caller"
  Clause clause, concurrent_clause, after_removal;
};

struct Operation {
  std::string service, name;
  std::string full_name;  // "Service.name"
  std::string doc;
  std::vector<Param> params;
  Returns returns;
  std::vector<Precondition> preconditions;
  std::vector<Effect> effects;
  std::optional<Idempotency> idempotency;
  std::string pointer;
  const Param* param(const std::string& name) const;
};

struct Service {
  std::string name, vapi_id, resource;
  std::vector<Operation> operations;
};

struct ErrorDef {
  std::string name, rest_type;
  int http_status = 500;
};

struct ParamLocation {
  enum class In { Path, Query, Header, Body };
  In in = In::Body;
  std::string name;                         // wire name (defaults to the parameter name)
  bool whole = false;                       // Body: the parameter is the whole body
  std::vector<ParamLocation> alternatives;  // other accepted transports (recorded)
  std::optional<Clause> clause;
};
NameTable<ParamLocation::In> names(ParamLocation::In);
std::string to_string(ParamLocation::In in);

struct OperationBinding {
  std::string operation;                                   // full name
  std::string rpc_service, rpc_operation;                  // protocol "jsonrpc": the ids
  std::string method, path;                                // path template with {param}
  std::vector<std::pair<std::string, std::string>> query;  // fixed dispatch query
  int success_status = 200;
  std::map<std::string, ParamLocation> params;
};

struct Endpoint {
  std::string method, path;
  int success_status = 200;
  std::string token;   // login: "body" (bare JSON string) or the wrapper key
  std::string scheme;  // login: how the credentials travel ("basic": HTTP Basic)
};

// A deliberately broken envelope of an RPC binding ("negatives"): the patches applied to a
// well-formed request, and the refusal it must get.
struct EnvelopeNegative {
  std::string name;
  std::vector<std::pair<std::string, nlohmann::json>> set;  // JSON pointer -> value
  std::vector<std::string> remove;                          // JSON pointers
  std::string unwrap;  // JSON pointer of a tagged value {TAG: {NAME: X}} that becomes X
  std::vector<std::string> errors;  // catalogue names, any of them
  std::string via;                  // "protocol" (the JSON-RPC error member), "result", "any"
  Clause clause;
};

// A JSON-RPC protocol error code and the catalogue error it stands for.
struct ProtocolError {
  int code = 0;
  std::string message, error;
};

// The data of a binding whose protocol is "jsonrpc" (specs/README.md, "RPC bindings"): one
// endpoint, a JSON-RPC 2.0 envelope naming service and operation, tagged values.
struct RpcBinding {
  // envelope
  std::string version, method, service_key, operation_key, input_key, context_key, app_context_key,
      op_id_key, security_key, output_key, error_key;
  // the session token in the security context
  std::string scheme_key, session_scheme, token_key;
  // login and logout
  std::string login_service, login_operation, login_scheme, user_key, password_key;
  std::string logout_service, logout_operation;
  // value encoding: tags, the operation input's structure name, type name -> wire name
  std::string structure_tag, optional_tag, secret_tag, error_tag, input_structure;
  std::map<std::string, std::string> structures;
  // Structures whose every field is an optional at the wire's type level, whatever its
  // presence in answers (a vAPI "model" structure).
  std::set<std::string> all_optional;
  // A copy of the spec's types (the loader fills it), so that the wire layer can encode
  // and decode values with the binding alone.
  std::map<std::string, TypeDef> types;
  int error_http_status = 200;  // the HTTP status every answer, vAPI errors included, has
  std::vector<ProtocolError> protocol_errors;
  std::vector<EnvelopeNegative> negatives;
  Clause envelope, id_echoed, void_output, optional_wrapping, structure_wrapping, datetime_form,
      error_status;
  const EnvelopeNegative* negative(const std::string& name) const;
  const ProtocolError* protocol_error(int code) const;
};

struct Binding {
  std::string name, doc, session_header;
  std::string protocol = "http";  // "http" (REST) or "jsonrpc"
  std::optional<RpcBinding> rpc;  // protocol "jsonrpc"
  Endpoint login, logout;
  std::string result_style, result_key;                      // "bare" | "wrapped" + key
  std::string error_style, error_type_key, error_value_key;  // "bare" | "typed" + keys
  // In the error structure: the key of the error's catalogue name, and of its messages list.
  std::string error_name_key, error_messages_key;
  std::map<std::string, OperationBinding> operations;  // by operation full name
};

struct Checks {
  Clause auth_required;
  std::string auth_error;
  Clause success_status, error_envelope, error_status, response_shape, datetime_format,
      malformed_request;
  std::vector<std::string> malformed_errors;
};

struct Spec {
  std::string file;    // as given to the loader
  std::string sha256;  // of the file's bytes
  int format_version = 1;
  std::string service_name, title, reference;
  std::map<std::string, ErrorDef> errors;
  std::map<std::string, TypeDef> types;
  std::map<std::string, Resource> resources;
  Checks checks;
  std::vector<Service> services;
  std::map<std::string, Binding> bindings;

  std::vector<const Operation*> operations() const;
  const Operation* find_operation(const std::string& full_name) const;
  const TypeDef* find_type(const std::string& name) const;
  const Resource* find_resource(const std::string& name) const;
  // Every clause, in file order, each once.
  std::vector<const Clause*> clauses() const;
  const Clause* find_clause(const std::string& id) const;
};

// The states reachable from `states` by spontaneous moves alone, `states` included.
std::set<std::string> spontaneous_closure(const StateMachine& sm, std::set<std::string> states);

// The model fields of `resource` that the server chooses once and keeps: those its
// creating effects set to {"stable": true}.
std::vector<std::string> stable_fields(const Spec& spec, const std::string& resource);

}  // namespace conformance::spec
