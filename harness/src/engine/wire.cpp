#include "conformance/engine/wire.hpp"

#include <stdexcept>

#include "conformance/engine/rpc_wire.hpp"

namespace conformance::engine {

using nlohmann::json;
using spec::ParamLocation;

namespace {

std::string query_value(const json& v) {
  return v.is_string() ? v.get<std::string>() : v.dump();
}

std::string base64(const std::string& in) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    unsigned n =
        (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8 | (unsigned char)in[i + 2];
    out += {t[n >> 18], t[(n >> 12) & 63], t[(n >> 6) & 63], t[n & 63]};
  }
  if (i + 1 == in.size()) {
    unsigned n = (unsigned char)in[i] << 16;
    out += {t[n >> 18], t[(n >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    unsigned n = (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8;
    out += {t[n >> 18], t[(n >> 12) & 63], t[(n >> 6) & 63], '='};
  }
  return out;
}

}  // namespace

json wrong_type_of(const json& v) {
  if (v.is_string()) return json(12345);
  if (v.is_number()) return json("not-a-number");
  if (v.is_object()) return json("not-an-object");
  return json::array({1});
}

HttpRequest encode(const spec::Binding& binding, const spec::Operation& op, const json& args,
                   const std::string& token, Breakage breakage, const std::string& broken_param) {
  if (binding.rpc) return rpc_encode(binding, op, args, token, breakage, broken_param);
  const auto& ob = binding.operations.at(op.full_name);
  HttpRequest r;
  r.method = ob.method;
  r.path = ob.path;
  std::string query;
  for (const auto& [k, v] : ob.query)
    query += (query.empty() ? "" : "&") + percent_encode(k, false) + "=" + percent_encode(v, false);
  json body = json::object();
  bool has_body = false;
  std::optional<json> whole;
  for (const auto& p : op.params) {
    auto loc_it = ob.params.find(p.name);
    if (loc_it == ob.params.end()) continue;
    const ParamLocation& loc = loc_it->second;
    if (breakage == Breakage::OmitParam && p.name == broken_param) continue;
    if (!args.contains(p.name)) {
      if (loc.in == ParamLocation::In::Path) {
        // A path parameter cannot be left out; send an empty segment.
        auto ph = "{" + loc.name + "}";
        r.path.replace(r.path.find(ph), ph.size(), "");
      }
      continue;
    }
    json v = args[p.name];
    if (breakage == Breakage::WrongType && p.name == broken_param) v = wrong_type_of(v);
    switch (loc.in) {
      case ParamLocation::In::Path: {
        auto ph = "{" + loc.name + "}";
        r.path.replace(r.path.find(ph), ph.size(), percent_encode(query_value(v), true));
        break;
      }
      case ParamLocation::In::Query:
        query += (query.empty() ? "" : "&") + percent_encode(loc.name, false) + "=" +
                 percent_encode(query_value(v), false);
        break;
      case ParamLocation::In::Header:
        r.headers.emplace_back(loc.name, query_value(v));
        break;
      case ParamLocation::In::Body:
        has_body = true;
        if (loc.whole)
          whole = v;
        else
          body[loc.name] = v;
        break;
    }
  }
  // Remaining path placeholders (omitted parameters) become empty segments.
  for (auto pos = r.path.find('{'); pos != std::string::npos; pos = r.path.find('{')) {
    auto end = r.path.find('}', pos);
    r.path.erase(pos, end - pos + 1);
  }
  bool op_has_body = false;
  for (const auto& [_, loc] : ob.params)
    op_has_body = op_has_body || loc.in == ParamLocation::In::Body;
  if (breakage == Breakage::MalformedBody) {
    r.body = "{\"truncated\": [1, 2,";
  } else if (whole) {
    r.body = whole->dump();
  } else if (has_body || (op_has_body && ob.method != "GET" && ob.method != "DELETE")) {
    if (has_body || ob.method == "POST") r.body = body.dump();
  }
  r.query = query;
  if (!token.empty()) r.headers.emplace_back(binding.session_header, token);
  return r;
}

Decoded decode(const spec::Spec& spec, const spec::Binding& binding, const spec::Operation& op,
               const HttpResponse& response, const HttpRequest* request) {
  Decoded d;
  if (!response.transport_error.empty()) {
    d.kind = Decoded::Kind::Transport;
    d.transport_error = response.transport_error;
    return d;
  }
  if (binding.rpc) return rpc_decode(spec, binding, op, response, request);
  d.status = response.status;
  bool json_type = response.content_type.find("application/json") != std::string::npos;
  if (response.status >= 200 && response.status < 300) {
    d.kind = Decoded::Kind::Success;
    if (op.returns.kind == spec::Returns::Kind::Void) {
      if (!response.body.empty()) {
        // A void result has no body; tolerate an empty JSON value.
        json b = json::parse(response.body, nullptr, false);
        if (!(b.is_null() && !b.is_discarded()) && !(b.is_object() && b.empty()))
          d.envelope_problems.push_back("a void result has a body: " +
                                        response.body.substr(0, 200));
      }
      return d;
    }
    if (!json_type)
      d.envelope_problems.push_back("Content-Type is '" + response.content_type +
                                    "', not application/json");
    json b = json::parse(response.body, nullptr, false);
    if (b.is_discarded()) {
      d.envelope_problems.push_back("the body is not valid JSON");
      return d;
    }
    if (binding.result_style == "wrapped") {
      if (!b.is_object() || !b.contains(binding.result_key)) {
        d.envelope_problems.push_back("the result is not wrapped as {\"" + binding.result_key +
                                      "\": ...}");
        return d;
      }
      d.result = std::move(b[binding.result_key]);
    } else {
      d.result = std::move(b);
    }
    d.has_result = true;
    return d;
  }
  d.kind = Decoded::Kind::Error;
  if (!json_type)
    d.envelope_problems.push_back("Content-Type is '" + response.content_type +
                                  "', not application/json");
  json b = json::parse(response.body, nullptr, false);
  if (b.is_discarded() || !b.is_object()) {
    d.envelope_problems.push_back("the error body is not a JSON object");
    return d;
  }
  const json* value = &b;
  const std::string& name_key = binding.error_name_key;
  if (binding.error_style == "typed") {
    if (!b.contains(binding.error_type_key) || !b[binding.error_type_key].is_string()) {
      d.envelope_problems.push_back("the error has no string '" + binding.error_type_key + "'");
    } else {
      std::string type = b[binding.error_type_key].get<std::string>();
      for (const auto& [name, def] : spec.errors)
        if (def.rest_type == type) d.error_name = name;
      if (d.error_name.empty())
        d.envelope_problems.push_back("error type '" + type + "' is not in the catalogue");
    }
    if (!b.contains(binding.error_value_key) || !b[binding.error_value_key].is_object()) {
      d.envelope_problems.push_back("the error has no object '" + binding.error_value_key + "'");
      return d;
    }
    value = &b[binding.error_value_key];
    if (value->contains(name_key) && (*value)[name_key].is_string() && !d.error_name.empty() &&
        (*value)[name_key].get<std::string>() != d.error_name)
      d.envelope_problems.push_back(name_key + " '" + (*value)[name_key].get<std::string>() +
                                    "' contradicts " + binding.error_type_key + " '" +
                                    b[binding.error_type_key].get<std::string>() + "'");
  } else {
    if (!b.contains(name_key) || !b[name_key].is_string()) {
      d.envelope_problems.push_back("the error has no string '" + name_key + "'");
    } else {
      d.error_name = b[name_key].get<std::string>();
      if (!spec.errors.count(d.error_name))
        d.envelope_problems.push_back(name_key + " '" + d.error_name + "' is not in the catalogue");
    }
  }
  const std::string& messages_key = binding.error_messages_key;
  if (!value->contains(messages_key) || !(*value)[messages_key].is_array())
    d.envelope_problems.push_back("the error has no '" + messages_key + "' list");
  return d;
}

SecretHeaders secret_headers(const spec::Binding& binding) {
  if (binding.rpc)  // no session header: the token and the password travel in the body
    return SecretHeaders(
        {}, {binding.rpc->token_key, binding.rpc->password_key, binding.rpc->secret_tag});
  return SecretHeaders({binding.session_header});
}

std::string login(Transport& transport, const spec::Binding& binding, const std::string& user,
                  const std::string& password) {
  if (binding.rpc) return rpc_login(transport, binding, user, password);
  HttpRequest r;
  r.method = binding.login.method;
  r.path = binding.login.path;
  // The only scheme the format has: "basic".
  if (binding.login.scheme == "basic")
    r.headers.emplace_back("Authorization", "Basic " + base64(user + ":" + password));
  HttpResponse res = transport.send(r);
  if (!res.transport_error.empty())
    throw std::runtime_error("login of user '" + user + "' failed: " + res.transport_error);
  if (res.status != binding.login.success_status)
    throw std::runtime_error("login of user '" + user + "' failed: HTTP " +
                             std::to_string(res.status) + " (expected " +
                             std::to_string(binding.login.success_status) + ")");
  json b = json::parse(res.body, nullptr, false);
  if (binding.login.token != "body")
    b = b.is_object() && b.contains(binding.login.token) ? b[binding.login.token] : json();
  if (!b.is_string() || b.get<std::string>().empty())
    throw std::runtime_error("login of user '" + user +
                             "' failed: the answer carries no session token");
  return b.get<std::string>();
}

}  // namespace conformance::engine
