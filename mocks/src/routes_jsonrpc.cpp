// The vAPI JSON-RPC 2.0 binding at POST /api (what the language SDKs speak; reference §7,
// and §7a for what a real SDK client sends and demands). Every answer is HTTP 200: service
// errors in result.error, protocol errors in the JSON-RPC error member. Operations run on
// the same Store as the REST bindings, so every fault and variant applies here too.
#include <algorithm>
#include <ctime>
#include <regex>
#include <set>

#include "wire.hpp"

namespace dsmock::detail {

using nlohmann::json;

namespace {

const std::string kSession = "com.vmware.cis.session";
const std::string kDownloadSession = "com.vmware.content.library.item.download_session";
const std::string kFile = "com.vmware.content.library.item.downloadsession.file";
const std::string kSessionScheme = "com.vmware.vapi.std.security.session_id";
const std::string kUserPassScheme = "com.vmware.vapi.std.security.user_pass";
const std::string kModel = "com.vmware.content.library.item.download_session_model";

// JSON-RPC 2.0 protocol errors.
struct RpcError {
  int code;
  std::string message;
};
RpcError parse_error() {
  return {-32700, "Parse error"};
}
RpcError invalid_rpc_request(const std::string& why) {
  return {-32600, "Invalid Request: " + why};
}
RpcError invalid_params(const std::string& why) {
  return {-32602, "Invalid params: " + why};
}

// Thrown for an unknown service under rpc-unknown-service-protocol-error.
struct ProtocolFailure {
  RpcError error;
};

// ---- output encoding: the vAPI types of the answers ---------------------------------------

struct StructType;
struct FieldType {
  const char* name;
  bool optional;
  const StructType* structure = nullptr;  // a structure (else a scalar, list or date-time)
  bool datetime = false;
};
struct StructType {
  const char* wire;
  std::vector<FieldType> fields;
};

const StructType kMessage{"com.vmware.vapi.std.localizable_message",
                          {{"id", false},
                           {"default_message", false},
                           {"args", false},
                           {"params", true},
                           {"localized", true}}};
const StructType kSessionModel{kModel.c_str(),
                               {{"id", true},
                                {"library_item_id", true},
                                {"library_item_content_version", true},
                                {"error_message", true, &kMessage},
                                {"client_progress", true},
                                {"state", true},
                                {"expiration_time", true, nullptr, true}}};
const StructType kEndpoint{
    "com.vmware.content.library.item.transfer_endpoint",
    {{"uri", false}, {"ssl_certificate_thumbprint", true}, {"ssl_certificate", true}}};
const StructType kChecksum{"com.vmware.content.library.item.file.checksum_info",
                           {{"algorithm", true}, {"checksum", false}}};
const StructType kFileInfo{"com.vmware.content.library.item.downloadsession.file.info",
                           {{"name", false},
                            {"size", true},
                            {"bytes_transferred", false},
                            {"status", false},
                            {"download_endpoint", true, &kEndpoint},
                            {"checksum_info", true, &kChecksum},
                            {"error_message", true, &kMessage}}};

// How answers are encoded: the serializer's rules, or the rpc-* faults that break one.
struct Enc {
  bool bare_optional = false;        // rpc-bare-optional
  bool unwrapped_structure = false;  // rpc-unwrapped-structure
  bool datetime_offset = false;      // rpc-datetime-offset
  explicit Enc(const Faults& f)
      : bare_optional(f.has(Fault::RpcBareOptional)),
        unwrapped_structure(f.has(Fault::RpcUnwrappedStructure)),
        datetime_offset(f.has(Fault::RpcDatetimeOffset)) {}
  json optional(json v) const { return bare_optional ? v : json{{"OPTIONAL", std::move(v)}}; }
  json structure(const std::string& name, json fields) const {
    return unwrapped_structure ? fields : json{{"STRUCTURE", {{name, std::move(fields)}}}};
  }
};

// The serializer's date-time form, YYYY-MM-DDThh:mm:ss.sssZ, of any RFC 3339 string; a string
// that is not one (the bad-datetime fault) goes out as it is.
std::string canonical_datetime(const std::string& s, bool offset = false) {
  static const std::regex re(
      R"(^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.(\d+))?(Z|([+-])(\d{2}):(\d{2}))$)");
  std::smatch m;
  if (!std::regex_match(s, m, re)) return s;
  std::tm tm{};
  tm.tm_year = std::stoi(m[1]) - 1900;
  tm.tm_mon = std::stoi(m[2]) - 1;
  tm.tm_mday = std::stoi(m[3]);
  tm.tm_hour = std::stoi(m[4]);
  tm.tm_min = std::stoi(m[5]);
  tm.tm_sec = std::stoi(m[6]);
  long long secs = static_cast<long long>(timegm(&tm));
  if (m[10].matched) {
    long long off = (std::stoll(m[11]) * 60 + std::stoll(m[12])) * 60;
    secs += m[10] == "+" ? -off : off;
  }
  std::string frac = m[8].matched ? m[8].str().substr(0, 3) : "";
  while (frac.size() < 3)
    frac += '0';
  std::time_t t = static_cast<std::time_t>(secs);
  std::tm out{};
  gmtime_r(&t, &out);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%s%s", out.tm_year + 1900,
                out.tm_mon + 1, out.tm_mday, out.tm_hour, out.tm_min, out.tm_sec, frac.c_str(),
                offset ? "+00:00" : "Z");
  return buf;
}

json encode_struct(const Enc& enc, const StructType& t, const json& plain);

json encode_field(const Enc& enc, const FieldType& f, const json& v) {
  json value = v;
  if (f.structure && v.is_object()) value = encode_struct(enc, *f.structure, v);
  if (f.datetime && v.is_string())
    value = canonical_datetime(v.get<std::string>(), enc.datetime_offset);
  return value;
}

// A map (LocalizableMessage.params, an object on /api) as the list of map-entry structures.
json encode_map(const Enc& enc, const json& obj) {
  json out = json::array();
  for (const auto& [k, v] : obj.items()) {
    json value = v;
    if (v.is_object()) {
      json fields = json::object();
      for (const auto& [pk, pv] : v.items())
        fields[pk] = enc.optional(pv);
      value = enc.structure("com.vmware.vapi.std.localization_param", fields);
    }
    out.push_back(enc.structure("map-entry", {{"key", k}, {"value", value}}));
  }
  return out;
}

json encode_struct(const Enc& enc, const StructType& t, const json& plain) {
  json fields = json::object();
  for (const auto& f : t.fields) {
    auto it = plain.find(f.name);
    const bool set = it != plain.end() && !it->is_null();
    json v = set ? encode_field(enc, f, *it) : json();
    if (set && &t == &kMessage && std::string(f.name) == "params" && it->is_object())
      v = encode_map(enc, *it);
    fields[f.name] = f.optional ? enc.optional(v) : v;
  }
  for (const auto& [k, v] : plain.items())  // extra fields (extra-fields): scalars, as they are
    if (!fields.contains(k)) fields[k] = v;
  return enc.structure(t.wire, fields);
}

// The std error structure of a vAPI error.
json encode_error(const Enc& enc, const ApiError& e, const Variants& variants) {
  json body = error_body(e, Binding::Api, variants);  // {"messages": [...], "error_type": ...}
  json fields = json::object();
  json messages = json::array();
  for (const auto& m : body.value("messages", json::array()))
    messages.push_back(encode_struct(enc, kMessage, m));
  fields["messages"] = messages;
  fields["data"] = enc.optional(nullptr);
  fields["error_type"] = enc.optional(error_type_name(e.type()));
  for (const auto& [k, v] : body.items())
    if (!fields.contains(k)) fields[k] = v;
  return {{"ERROR", {{rest_error_type_name(e.type()), fields}}}};
}

// ---- input decoding --------------------------------------------------------------------------

// The operation input's fields, read as an SDK client sends them (§7a): required values bare,
// optionals as {"OPTIONAL": value-or-null} (a bare null or an absent optional is unset too).
// A value in another form is refused with INVALID_ARGUMENT, as a validating server does.
class Input {
 public:
  explicit Input(json fields) : fields_(std::move(fields)) {}

  std::string req_string(const char* name) {
    const json* v = take(name);
    if (!v) throw invalid_argument(std::string("the required parameter '") + name + "' is missing");
    if (v->is_object() && v->contains("OPTIONAL"))
      throw invalid_argument(std::string("'") + name + "' is required: it is not an OPTIONAL");
    if (!v->is_string()) throw invalid_argument(std::string("'") + name + "' must be a string");
    return v->get<std::string>();
  }
  // Absent or null (only where a variant allows a missing required value).
  std::optional<std::string> lenient_string(const char* name) {
    const json* v = find(name);
    if (!v || v->is_null()) {
      take(name);
      return std::nullopt;
    }
    return req_string(name);
  }
  std::optional<std::string> opt_string(const char* name) {
    const json* v = optional(name);
    if (!v) return std::nullopt;
    if (!v->is_string()) throw invalid_argument(std::string("'") + name + "' must be a string");
    return v->get<std::string>();
  }
  std::optional<std::int64_t> opt_long(const char* name) {
    const json* v = optional(name);
    if (!v) return std::nullopt;
    if (v->is_number_unsigned() && v->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX))
      return INT64_MAX;
    if (!v->is_number_integer())
      throw invalid_argument(std::string("'") + name + "' must be an integer");
    return v->get<std::int64_t>();
  }
  // A required structure of type `wire`, as plain JSON (optionals unwrapped, unset ones left
  // out); its fields must be those of `type`.
  json req_struct(const char* name, const StructType& type) {
    const json* v = take(name);
    if (!v) throw invalid_argument(std::string("the required parameter '") + name + "' is missing");
    auto bad = [&](const std::string& why) {
      return invalid_argument(std::string("'") + name + "' " + why);
    };
    if (!v->is_object() || v->size() != 1 || !v->contains("STRUCTURE"))
      throw bad("must be {\"STRUCTURE\": {\"" + std::string(type.wire) + "\": {...}}}");
    const json& named = (*v)["STRUCTURE"];
    if (!named.is_object() || named.size() != 1 || !named.contains(type.wire))
      throw bad("must be a " + std::string(type.wire) + " structure");
    const json& fields = named[type.wire];
    if (!fields.is_object()) throw bad("has no fields object");
    json plain = json::object();
    for (const auto& [k, fv] : fields.items()) {
      const std::string& key = k;  // (clang 14 cannot capture a structured binding)
      auto f = std::find_if(type.fields.begin(), type.fields.end(),
                            [&](const FieldType& ft) { return key == ft.name; });
      if (f == type.fields.end()) throw bad("has an unknown field '" + k + "'");
      if (fv.is_null()) continue;
      if (!f->optional) {
        plain[k] = fv;
        continue;
      }
      if (!fv.is_object() || fv.size() != 1 || !fv.contains("OPTIONAL"))
        throw bad("field '" + k + "' is optional: its value must be {\"OPTIONAL\": ...}");
      if (!fv["OPTIONAL"].is_null()) plain[k] = unwrap(fv["OPTIONAL"]);
    }
    return plain;
  }
  // Every field was read: none is unknown to the operation.
  void finish() const {
    for (const auto& [k, _] : fields_.items())
      if (!read_.count(k)) throw invalid_argument("unknown parameter '" + k + "'");
  }

 private:
  const json* find(const char* name) const {
    auto it = fields_.find(name);
    return it == fields_.end() ? nullptr : &*it;
  }
  const json* take(const char* name) {
    read_.insert(name);
    return find(name);
  }
  const json* optional(const char* name) {
    const json* v = take(name);
    if (!v || v->is_null()) return nullptr;
    if (!v->is_object() || v->size() != 1 || !v->contains("OPTIONAL"))
      throw invalid_argument(std::string("'") + name +
                             "' is optional: its value must be {\"OPTIONAL\": ...}");
    const json& inner = (*v)["OPTIONAL"];
    return inner.is_null() ? nullptr : &inner;
  }
  // A value with its tags taken off (OPTIONAL, STRUCTURE), for the plain store.
  static json unwrap(const json& v) {
    if (v.is_object() && v.size() == 1 && v.contains("OPTIONAL")) return unwrap(v["OPTIONAL"]);
    if (v.is_object() && v.size() == 1 && v.contains("STRUCTURE") && v["STRUCTURE"].is_object() &&
        v["STRUCTURE"].size() == 1)
      return unwrap(v["STRUCTURE"].begin().value());
    if (v.is_object()) {
      json out = json::object();
      for (const auto& [k, x] : v.items())
        if (!x.is_null()) out[k] = unwrap(x);
      return out;
    }
    return v;
  }

  json fields_;
  std::set<std::string> read_;
};

// ---- dispatch ---------------------------------------------------------------------------------

struct Call {
  std::string service, operation;
  json input;     // the operation-input fields
  json security;  // ctx.securityCtx, or null
};

// The reply of one call: the output value (json; null for void) or a status override.
struct Output {
  json value;
  int status = 200;
  bool body = true;
};

std::optional<std::string> session_id_of(const json& security) {
  if (!security.is_object()) return std::nullopt;
  auto scheme = security.find("schemeId");
  auto token = security.find("sessionId");
  if (scheme == security.end() || *scheme != kSessionScheme || token == security.end() ||
      !token->is_string())
    return std::nullopt;
  return token->get<std::string>();
}

Output run(Ctx& ctx, const Call& c) {
  Store& st = ctx.store;
  const Enc enc(st.faults());
  // A void result: null (rpc-void-empty-object: {}).
  const json none = st.faults().has(Fault::RpcVoidEmptyObject) ? json::object() : json();
  Input in(c.input);
  if (c.service == kSession) {
    if (c.operation == "create") {
      const json& s = c.security;
      if (!s.is_object() || s.value("schemeId", "") != kUserPassScheme ||
          !s.value("userName", json()).is_string() || !s.value("password", json()).is_string())
        throw unauthenticated();
      in.finish();
      return {json{{"SECRET", st.login(s["userName"], s["password"])}}};  // never faulted
    }
    if (c.operation == "delete") {
      in.finish();
      st.logout(session_id_of(c.security));
      return {none};
    }
    if (c.operation == "get") {
      in.finish();
      json info = st.login_info(session_id_of(c.security));
      json fields = json::object();
      for (const auto& [k, v] : info.items())
        fields[k] = v.is_string() && k != "user" ? json(canonical_datetime(v)) : v;
      return {enc.structure("com.vmware.cis.session.info", fields)};
    }
    throw ApiError(ErrorType::OperationNotFound, "vapi.method.input.invalid.method",
                   "Operation '" + c.operation + "' of service '" + c.service + "' was not found.",
                   {c.service, c.operation});
  }
  if (c.service != kDownloadSession && c.service != kFile &&
      (st.faults().has(Fault::RpcUnknownServiceProtocolError) ||
       st.variants().rpc_unknown_method_not_found))
    throw ProtocolFailure{{-32601, "Method not found: " + c.service}};
  if (c.service != kDownloadSession && c.service != kFile)
    throw ApiError(ErrorType::OperationNotFound, "vapi.method.input.invalid.interface",
                   "Service '" + c.service + "' was not found.", {c.service});
  auto unknown_op = [&] {
    return ApiError(ErrorType::OperationNotFound, "vapi.method.input.invalid.method",
                    "Operation '" + c.operation + "' of service '" + c.service + "' was not found.",
                    {c.service, c.operation});
  };
  const std::string& op = c.operation;
  const bool known = c.service == kDownloadSession
                         ? (op == "create" || op == "get" || op == "list" || op == "keep_alive" ||
                            op == "cancel" || op == "fail" || op == "delete")
                         : (op == "list" || op == "get" || op == "prepare");
  if (!known && st.variants().rpc_unknown_method_not_found)  // rpc-unknown-operation
    throw ProtocolFailure{{-32601, "Method not found: " + c.service + "." + op}};
  if (!known) throw unknown_op();
  const std::string user = st.authenticate(session_id_of(c.security));
  // body-check-order=session-first: the session is looked up before the other parameters.
  auto session = [&]() {
    std::string id = in.req_string("download_session_id");
    if (st.variants().session_first) st.require_session(user, id);
    return id;
  };
  if (c.service == kDownloadSession) {
    if (op == "create") {
      auto token = in.opt_string("client_token");
      json spec = in.req_struct("create_spec", kSessionModel);
      in.finish();
      return {json(st.create(user, token, spec))};
    }
    if (op == "get") {
      std::string id = in.req_string("download_session_id");
      in.finish();
      return {encode_struct(enc, kSessionModel, st.get(user, id))};
    }
    if (op == "list") {
      auto item = in.opt_string("library_item_id");
      in.finish();
      return {json(st.list(user, item))};
    }
    if (op == "keep_alive") {
      std::string id = session();
      auto progress = in.opt_long("progress");
      in.finish();
      st.keep_alive(user, id, progress);
      return {none};
    }
    if (op == "cancel") {
      std::string id = session();
      in.finish();
      st.cancel(user, id);
      return {none};
    }
    if (op == "fail") {
      std::string id = session();
      // fail-missing-message=accept: a missing (or null) message is empty.
      std::string message = st.variants().fail_message_optional
                                ? in.lenient_string("client_error_message").value_or("")
                                : in.req_string("client_error_message");
      in.finish();
      st.fail(user, id, message);
      return {none};
    }
    std::string id = in.req_string("download_session_id");  // delete
    in.finish();
    st.remove(user, id);
    // wrong-success-status: HTTP 204 without a JSON-RPC answer.
    if (st.faults().has(Fault::WrongSuccessStatus)) return {json(), 204, false};
    return {none};
  }
  if (op == "list") {
    std::string id = in.req_string("download_session_id");
    in.finish();
    json out = json::array();
    for (const auto& f : st.file_list(user, id, ctx.base_url))
      out.push_back(encode_struct(enc, kFileInfo, f));
    return {out};
  }
  if (op == "get") {
    std::string id = in.req_string("download_session_id");
    std::string name = in.req_string("file_name");
    in.finish();
    return {encode_struct(enc, kFileInfo, st.file_get(user, id, name, ctx.base_url))};
  }
  std::string id = session();  // prepare
  std::string name = in.req_string("file_name");
  auto type = in.opt_string("endpoint_type");
  in.finish();
  return {encode_struct(enc, kFileInfo, st.file_prepare(user, id, name, type, ctx.base_url))};
}

}  // namespace

Reply serve_jsonrpc(Ctx& ctx) {
  const Faults& faults = ctx.store.faults();
  json id = nullptr;
  auto answer = [&](const char* member, json value) {
    json a = {{"jsonrpc", "2.0"}, {"id", id}, {member, std::move(value)}};
    if (faults.has(Fault::RpcNoVersion)) a.erase("jsonrpc");
    if (faults.has(Fault::RpcIdNotEchoed)) a["id"] = "0";
    return a;
  };
  auto protocol = [&](const RpcError& e) {
    return Reply{200, answer("error", {{"code", e.code}, {"message", e.message}})};
  };
  json req = json::parse(ctx.req.body, nullptr, false);
  if (req.is_discarded()) return protocol(parse_error());
  if (!req.is_object()) return protocol(invalid_rpc_request("the request is not a JSON object"));
  if (req.contains("id")) {
    if (!req["id"].is_string() && !req["id"].is_number_integer() && !req["id"].is_null())
      return protocol(invalid_rpc_request("\"id\" must be a string or an integer"));
    id = req["id"];
  }
  if ((!req.contains("jsonrpc") || req["jsonrpc"] != "2.0") && !faults.has(Fault::RpcAnyVersion))
    return protocol(invalid_rpc_request("\"jsonrpc\" must be \"2.0\""));
  if (!req.contains("method") || !req["method"].is_string())
    return protocol(invalid_rpc_request("\"method\" must be a string"));
  if (!req.contains("id") || id.is_null())
    return protocol(
        invalid_rpc_request("a request needs an \"id\" (notifications are not served)"));
  if (req["method"] != "invoke")
    return protocol({-32601, "Method not found: " + req["method"].get<std::string>()});
  const json& params = req.contains("params") ? req["params"] : json();
  if (!req.contains("params") && ctx.store.variants().rpc_missing_params_result)
    return Reply{200,
                 answer("result", {{"error", encode_error(Enc(faults), invalid_request("no params"),
                                                          ctx.store.variants())}})};
  if (!params.is_object()) return protocol(invalid_params("\"params\" must be an object"));
  Call call;
  for (const char* key : {"serviceId", "operationId"})
    if (!params.contains(key) || !params[key].is_string())
      return protocol(invalid_params(std::string("\"") + key + "\" must be a string"));
  call.service = params["serviceId"];
  call.operation = params["operationId"];
  if (!params.contains("input")) return protocol(invalid_params("\"input\" is missing"));
  if (params.contains("ctx")) {
    const json& c = params["ctx"];
    if (!c.is_object()) return protocol(invalid_params("\"ctx\" must be an object"));
    if (c.contains("securityCtx")) {
      if (!c["securityCtx"].is_object() && !c["securityCtx"].is_null())
        return protocol(invalid_params("\"ctx.securityCtx\" must be an object"));
      call.security = c["securityCtx"];
    }
    if (c.contains("appCtx") && !c["appCtx"].is_object() && !c["appCtx"].is_null())
      return protocol(invalid_params("\"ctx.appCtx\" must be an object"));
  }
  try {
    const json& input = params["input"];
    // rpc-input-encoding=lenient: a bare object is the operation input.
    if (ctx.store.variants().rpc_lenient_input && input.is_object() && !input.contains("STRUCTURE"))
      call.input = input;
    else if (!input.is_object() || input.size() != 1 || !input.contains("STRUCTURE") ||
             !input["STRUCTURE"].is_object() || input["STRUCTURE"].size() != 1 ||
             !input["STRUCTURE"].contains("operation-input") ||
             !input["STRUCTURE"]["operation-input"].is_object())
      throw invalid_argument(
          "the input must be {\"STRUCTURE\": {\"operation-input\": {parameters}}}");
    else
      call.input = input["STRUCTURE"]["operation-input"];
    Output out = run(ctx, call);
    if (!out.body) return Reply{out.status, std::nullopt};
    return Reply{out.status, answer("result", {{"output", std::move(out.value)}})};
  } catch (const ProtocolFailure& f) {
    return protocol(f.error);
  } catch (const ApiError& e) {
    // rpc-error-http-status: the error's REST status instead of 200.
    return Reply{faults.has(Fault::RpcErrorHttpStatus) ? e.status() : 200,
                 answer("result", {{"error", encode_error(Enc(faults), e, ctx.store.variants())}})};
  }
}

}  // namespace dsmock::detail
