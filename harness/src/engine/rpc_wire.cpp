#include "conformance/engine/rpc_wire.hpp"

#include <random>
#include <regex>
#include <stdexcept>

#include "conformance/engine/checker.hpp"

namespace conformance::engine {

using nlohmann::json;
using spec::Clause;
using spec::RpcBinding;
using spec::TypeRef;
using Problems = std::vector<std::pair<const Clause*, std::string>>;

std::string random_uuid() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uint64_t a = rng(), b = rng();
  a = (a & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  b = (b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // variant 10
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xffff),
                static_cast<unsigned>(b >> 48),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

namespace {

const spec::TypeDef* named(const RpcBinding& rpc, const TypeRef& t) {
  if (t.kind != TypeRef::Kind::Named) return nullptr;
  auto it = rpc.types.find(t.target);
  return it == rpc.types.end() ? nullptr : &it->second;
}

std::string wire_name(const RpcBinding& rpc, const std::string& type) {
  auto it = rpc.structures.find(type);
  return it == rpc.structures.end() ? type : it->second;
}

// {tag: inner} with exactly that one key.
const json* tagged(const json& v, const std::string& tag) {
  if (!v.is_object() || v.size() != 1 || !v.contains(tag)) return nullptr;
  return &v[tag];
}

// The one canonical date-time form of the binding: YYYY-MM-DDThh:mm:ss.sssZ.
bool canonical_datetime(const std::string& s) {
  static const std::regex re(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$)");
  return std::regex_match(s, re);
}

json envelope(const RpcBinding& r, const std::string& service, const std::string& operation,
              json input, json security) {
  json ctx = {{r.app_context_key, {{r.op_id_key, random_uuid()}}}};
  if (!security.is_null()) ctx[r.security_key] = std::move(security);
  // The JSON-RPC 2.0 members (jsonrpc, method, id, params) are the protocol's own.
  return {{"jsonrpc", r.version},
          {"method", r.method},
          {"id", random_uuid()},
          {"params",
           {{r.service_key, service},
            {r.operation_key, operation},
            {r.input_key, std::move(input)},
            {r.context_key, std::move(ctx)}}}};
}

void apply_negative(json& env, const spec::EnvelopeNegative& neg, const RpcBinding& r) {
  for (const auto& [ptr, v] : neg.set)
    env[json::json_pointer(ptr)] = v;
  for (const auto& ptr : neg.remove) {
    json::json_pointer p(ptr);
    if (env.contains(p)) env[p.parent_pointer()].erase(p.back());
  }
  if (!neg.unwrap.empty()) {
    json::json_pointer p(neg.unwrap);
    if (!env.contains(p)) return;
    const json* inner = tagged(env[p], r.structure_tag);
    if (inner && inner->is_object() && inner->size() == 1) env[p] = json(inner->begin().value());
  }
}

}  // namespace

json to_rpc_value(const RpcBinding& rpc, const json& plain, const TypeRef& type, bool optional) {
  if (optional)
    return {{rpc.optional_tag, plain.is_null() ? json() : to_rpc_value(rpc, plain, type, false)}};
  if (type.kind == TypeRef::Kind::List && plain.is_array()) {
    json out = json::array();
    for (const auto& e : plain)
      out.push_back(to_rpc_value(rpc, e, *type.element, false));
    return out;
  }
  const spec::TypeDef* td = named(rpc, type);
  if (!td || td->kind != spec::TypeDef::Kind::Structure || !plain.is_object()) return plain;
  json fields = json::object();
  const bool all_optional = rpc.all_optional.count(td->name) > 0;
  for (const auto& f : td->fields) {
    if (plain.contains(f.name))
      fields[f.name] = to_rpc_value(rpc, plain[f.name], f.type, all_optional || !f.always);
    else if (all_optional || !f.always)
      fields[f.name] = {{rpc.optional_tag, nullptr}};
  }
  return {{rpc.structure_tag, {{wire_name(rpc, td->name), std::move(fields)}}}};
}

json from_rpc_value(const RpcBinding& rpc, const json& v, const TypeRef& type,
                    const std::string& path, Problems& problems) {
  switch (type.kind) {
    case TypeRef::Kind::List: {
      if (!v.is_array()) return v;  // the shape check names it
      json out = json::array();
      for (std::size_t i = 0; i < v.size(); ++i)
        out.push_back(
            from_rpc_value(rpc, v[i], *type.element, path + "/" + std::to_string(i), problems));
      return out;
    }
    case TypeRef::Kind::DateTime:
      if (v.is_string() && parse_datetime(v.get<std::string>()) &&
          !canonical_datetime(v.get<std::string>()))
        problems.emplace_back(&rpc.datetime_form, (path.empty() ? "/" : path) + ": '" +
                                                      v.get<std::string>() +
                                                      "' is not YYYY-MM-DDThh:mm:ss.sssZ");
      return v;
    case TypeRef::Kind::Named:
      break;
    default:
      return v;
  }
  const spec::TypeDef* td = named(rpc, type);
  if (!td || td->kind != spec::TypeDef::Kind::Structure) return v;
  const std::string where = path.empty() ? "/" : path;
  const json* fields = nullptr;
  if (const json* inner = tagged(v, rpc.structure_tag)) {
    if (inner->is_object() && inner->size() == 1) {
      const std::string want = wire_name(rpc, td->name);
      if (inner->begin().key() != want)
        problems.emplace_back(
            &rpc.structure_wrapping,
            where + ": structure '" + inner->begin().key() + "', expected '" + want + "'");
      fields = &inner->begin().value();
    } else {
      problems.emplace_back(&rpc.structure_wrapping, where + ": " + rpc.structure_tag +
                                                         " does not hold one named structure");
    }
  } else if (v.is_object()) {
    problems.emplace_back(&rpc.structure_wrapping,
                          where + ": a " + td->name + " not wrapped in {\"" + rpc.structure_tag +
                              "\": {\"" + wire_name(rpc, td->name) + "\": ...}}");
    fields = &v;
  }
  if (!fields || !fields->is_object()) return v;  // the shape check names it
  json out = json::object();
  const bool all_optional = rpc.all_optional.count(td->name) > 0;
  for (const auto& [key, fv] : fields->items()) {
    const spec::Field* f = td->field(key);
    if (!f) {
      out[key] = fv;  // unknown fields are the shape check's business
      continue;
    }
    const std::string fpath = path + "/" + key;
    const json* inner = tagged(fv, rpc.optional_tag);
    if (f->always && !all_optional) {
      if (inner) {
        problems.emplace_back(&rpc.optional_wrapping,
                              fpath + ": a required field wrapped in " + rpc.optional_tag);
        out[key] = from_rpc_value(rpc, *inner, f->type, fpath, problems);
      } else {
        out[key] = from_rpc_value(rpc, fv, f->type, fpath, problems);
      }
      continue;
    }
    if (fv.is_null()) continue;  // unset (accepted by the SDK client, §7a)
    if (!inner) {
      problems.emplace_back(&rpc.optional_wrapping,
                            fpath + ": an optional value not wrapped in {\"" + rpc.optional_tag +
                                "\": ...}: " + fv.dump().substr(0, 80));
      out[key] = from_rpc_value(rpc, fv, f->type, fpath, problems);
    } else if (!inner->is_null()) {
      out[key] = from_rpc_value(rpc, *inner, f->type, fpath, problems);
    }
  }
  return out;
}

HttpRequest rpc_encode(const spec::Binding& binding, const spec::Operation& op, const json& args,
                       const std::string& token, Breakage breakage,
                       const std::string& broken_param) {
  const RpcBinding& r = *binding.rpc;
  const auto& ob = binding.operations.at(op.full_name);
  json fields = json::object();
  for (const auto& p : op.params) {
    if (breakage == Breakage::OmitParam && p.name == broken_param) continue;
    if (!args.contains(p.name) || args[p.name].is_null()) {
      // Optionals always travel, unset ones as {"OPTIONAL": null} (§7a).
      if (!p.required) fields[p.name] = {{r.optional_tag, nullptr}};
      continue;
    }
    if (breakage == Breakage::WrongType && p.name == broken_param) {
      json w = wrong_type_of(args[p.name]);
      fields[p.name] = p.required ? w : json{{r.optional_tag, w}};
      continue;
    }
    fields[p.name] = to_rpc_value(r, args[p.name], p.type, !p.required);
  }
  json security;
  if (!token.empty()) security = {{r.scheme_key, r.session_scheme}, {r.token_key, token}};
  json env =
      envelope(r, ob.rpc_service, ob.rpc_operation,
               {{r.structure_tag, {{r.input_structure, std::move(fields)}}}}, std::move(security));
  HttpRequest req;
  req.method = ob.method;
  req.path = ob.path;
  if (breakage == Breakage::MalformedBody) {
    const spec::EnvelopeNegative* neg = r.negative(broken_param);
    if (!neg) {
      req.body = "{\"truncated\": [1, 2,";
      return req;
    }
    apply_negative(env, *neg, r);
  }
  req.body = env.dump();
  return req;
}

namespace {

// The answer's JSON-RPC envelope: its result, or its error member. Records what departs
// from JSON-RPC 2.0 and returns nullptr when there is nothing to read.
const json* read_envelope(const RpcBinding& r, const json& b, const HttpRequest* request,
                          Decoded& d) {
  auto problem = [&](const Clause& c, const std::string& what) {
    d.encoding_problems.emplace_back(&c, what);
  };
  if (!b.is_object()) {
    problem(r.envelope, "the answer is not a JSON object");
    return nullptr;
  }
  if (!b.contains("jsonrpc") || b["jsonrpc"] != r.version)
    problem(r.envelope, "\"jsonrpc\" is " +
                            (b.contains("jsonrpc") ? b["jsonrpc"].dump() : "absent") + ", not \"" +
                            r.version + "\"");
  if (request && request->body) {
    json q = json::parse(*request->body, nullptr, false);
    if (q.is_object() && q.contains("id") && (q["id"].is_string() || q["id"].is_number()) &&
        (!b.contains("id") || b["id"] != q["id"]))
      problem(r.id_echoed, "id " + (b.contains("id") ? b["id"].dump() : "absent") +
                               " answers the request with id " + q["id"].dump());
  }
  bool has_result = b.contains("result"), has_error = b.contains("error");
  if (has_result == has_error) {
    problem(r.envelope,
            has_result ? "both \"result\" and \"error\"" : "neither \"result\" nor \"error\"");
    if (!has_result) return nullptr;
  }
  if (has_error && !has_result) {
    d.kind = Decoded::Kind::Error;
    d.protocol_error = true;
    const json& e = b["error"];
    if (!e.is_object() || !e.contains("code") || !e["code"].is_number_integer()) {
      problem(r.envelope, "the error member has no integer \"code\"");
      return nullptr;
    }
    if (!e.contains("message") || !e["message"].is_string())
      problem(r.envelope, "the error member has no string \"message\"");
    int code = e["code"].get<int>();
    if (const spec::ProtocolError* pe = r.protocol_error(code))
      d.error_name = pe->error;
    else
      problem(r.envelope, "JSON-RPC error code " + std::to_string(code) + " is not a known code");
    return nullptr;
  }
  const json& res = b["result"];
  if (!res.is_object() || res.contains(r.output_key) == res.contains(r.error_key)) {
    problem(r.envelope,
            "\"result\" holds " +
                std::string(res.is_object() && res.contains(r.output_key)
                                ? "both \"" + r.output_key + "\" and \"" + r.error_key + "\""
                                : "neither \"" + r.output_key + "\" nor \"" + r.error_key + "\"") +
                ": " + res.dump().substr(0, 120));
    return nullptr;
  }
  return &res;
}

void read_error(const spec::Spec& spec, const spec::Binding& binding, const json& err, Decoded& d) {
  const RpcBinding& r = *binding.rpc;
  d.kind = Decoded::Kind::Error;
  const json* by_name = tagged(err, r.error_tag);
  if (!by_name || !by_name->is_object() || by_name->size() != 1) {
    d.envelope_problems.push_back(
        "the error is not {\"" + r.error_tag +
        "\": {\"<std error name>\": {...}}}: " + err.dump().substr(0, 120));
    return;
  }
  const std::string std_name = by_name->begin().key();
  for (const auto& [name, def] : spec.errors)
    if (def.rest_type == std_name) d.error_name = name;
  if (d.error_name.empty())
    d.envelope_problems.push_back("error '" + std_name + "' is not in the catalogue");
  const json& value = by_name->begin().value();
  if (!value.is_object()) {
    d.envelope_problems.push_back("the error value is not an object");
    return;
  }
  if (!value.contains(binding.error_messages_key) || !value[binding.error_messages_key].is_array())
    d.envelope_problems.push_back("the error has no '" + binding.error_messages_key + "' list");
  if (value.contains(binding.error_name_key)) {
    const json& n = value[binding.error_name_key];
    const json* inner = tagged(n, r.optional_tag);
    if (!inner && !n.is_null())
      d.encoding_problems.emplace_back(
          &r.optional_wrapping, "/" + binding.error_name_key +
                                    ": an optional value not wrapped in {\"" + r.optional_tag +
                                    "\": ...}");
    const json& name = inner ? *inner : n;
    if (name.is_string() && !d.error_name.empty() && name.get<std::string>() != d.error_name)
      d.envelope_problems.push_back(binding.error_name_key + " '" + name.get<std::string>() +
                                    "' contradicts '" + std_name + "'");
  }
}

}  // namespace

Decoded rpc_decode(const spec::Spec& spec, const spec::Binding& binding, const spec::Operation& op,
                   const HttpResponse& response, const HttpRequest* request) {
  const RpcBinding& r = *binding.rpc;
  Decoded d;
  d.status = response.status;
  const bool ok_status = response.status >= 200 && response.status < 300;
  d.kind = ok_status ? Decoded::Kind::Success : Decoded::Kind::Error;
  if (response.content_type.find("application/json") == std::string::npos)
    d.encoding_problems.emplace_back(
        &r.envelope, "Content-Type is '" + response.content_type + "', not application/json");
  json b = json::parse(response.body, nullptr, false);
  if (b.is_discarded()) {
    d.encoding_problems.emplace_back(
        &r.envelope, "HTTP " + std::to_string(response.status) + " without a JSON-RPC answer" +
                         (response.body.empty() ? " (empty body)" : ": the body is not JSON"));
    return d;
  }
  const json* res = read_envelope(r, b, request, d);
  if (!res) return d;
  if (res->contains(r.error_key)) {
    read_error(spec, binding, (*res)[r.error_key], d);
    return d;
  }
  if (!ok_status) {
    // An output with an error status: not an answer the model can settle on.
    d.encoding_problems.emplace_back(
        &r.envelope, "HTTP " + std::to_string(response.status) + " with a result output");
    return d;
  }
  d.kind = Decoded::Kind::Success;
  const json& out = (*res)[r.output_key];
  if (op.returns.kind == spec::Returns::Kind::Void) {
    if (!out.is_null())
      d.encoding_problems.emplace_back(&r.void_output, "a void result answers \"" + r.output_key +
                                                           "\": " + out.dump().substr(0, 120));
    return d;
  }
  d.result = from_rpc_value(r, out, result_type(spec, op), "", d.encoding_problems);
  d.has_result = true;
  return d;
}

std::string rpc_login(Transport& transport, const spec::Binding& binding, const std::string& user,
                      const std::string& password) {
  const RpcBinding& r = *binding.rpc;
  json security = {{r.scheme_key, r.login_scheme}, {r.user_key, user}, {r.password_key, password}};
  json env =
      envelope(r, r.login_service, r.login_operation,
               {{r.structure_tag, {{r.input_structure, json::object()}}}}, std::move(security));
  HttpRequest req;
  req.method = binding.login.method;
  req.path = binding.login.path;
  req.body = env.dump();
  HttpResponse res = transport.send(req);
  const std::string who = "login of user '" + user + "' failed: ";
  if (!res.transport_error.empty()) throw std::runtime_error(who + res.transport_error);
  if (res.status != binding.login.success_status)
    throw std::runtime_error(who + "HTTP " + std::to_string(res.status) + " (expected " +
                             std::to_string(binding.login.success_status) + ")");
  json b = json::parse(res.body, nullptr, false);
  const json* result = b.is_object() && b.contains("result") ? &b["result"] : nullptr;
  if (result && result->is_object() && result->contains(r.error_key)) {
    const json& e = (*result)[r.error_key];
    const json* named = tagged(e, r.error_tag);
    throw std::runtime_error(who + (named && named->is_object() && !named->empty()
                                        ? named->begin().key()
                                        : std::string("a service error")));
  }
  if (b.is_object() && b.contains("error"))
    throw std::runtime_error(who + "JSON-RPC error " + b["error"].dump().substr(0, 120));
  const json* out = result && result->is_object() && result->contains(r.output_key)
                        ? &(*result)[r.output_key]
                        : nullptr;
  const json* token = out ? tagged(*out, r.secret_tag) : nullptr;
  if (!token || !token->is_string() || token->get<std::string>().empty())
    throw std::runtime_error(who + "the answer carries no {\"" + r.secret_tag +
                             "\": token} output");
  return token->get<std::string>();
}

}  // namespace conformance::engine
