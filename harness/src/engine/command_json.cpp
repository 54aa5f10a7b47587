#include "conformance/engine/command_json.hpp"

#include <array>
#include <utility>

namespace conformance::engine {

using nlohmann::json;

namespace {

constexpr std::array<std::pair<Arg::Kind, const char*>, 5> kArgKinds = {{
    {Arg::Kind::Absent, "absent"},
    {Arg::Kind::Value, "value"},
    {Arg::Kind::Instance, "instance"},
    {Arg::Kind::Fresh, "fresh"},
    {Arg::Kind::Token, "token"},
}};

}  // namespace

const char* to_string(Arg::Kind k) {
  for (const auto& [kind, name] : kArgKinds)
    if (kind == k) return name;
  return "?";
}

json advance_to_json(std::int64_t ms) {
  return {{"advance_ms", ms}};
}

bool is_advance(const json& j) {
  return j.is_object() && j.contains("advance_ms");
}

std::int64_t advance_from_json(const json& j) {
  if (!j["advance_ms"].is_number_integer() || j["advance_ms"].get<std::int64_t>() < 0)
    throw std::invalid_argument("trace command: 'advance_ms' must be a non-negative integer");
  return j["advance_ms"].get<std::int64_t>();
}

json call_to_json(const Call& c) {
  json args = json::object();
  for (const auto& [name, a] : c.args) {
    if (a.kind == Arg::Kind::Absent) continue;
    json x = {{"kind", to_string(a.kind)}};
    if (a.kind == Arg::Kind::Value)
      x["value"] = a.value;
    else
      x["index"] = a.index;
    args[name] = x;
  }
  json j = {{"operation", c.op->full_name}, {"user", c.user}, {"args", args}};
  if (c.variant != Call::Variant::Normal) j["variant"] = to_string(c.variant);
  if (!c.variant_param.empty()) j["variant_param"] = c.variant_param;
  return j;
}

Call call_from_json(const spec::Spec& spec, const json& j) {
  auto bad = [](const std::string& why) { throw std::invalid_argument("trace command: " + why); };
  if (!j.is_object() || !j.contains("operation") || !j["operation"].is_string())
    bad("no 'operation'");
  Call c;
  c.op = spec.find_operation(j["operation"].get<std::string>());
  if (!c.op) bad("operation '" + j["operation"].get<std::string>() + "' is not in the spec");
  if (!j.contains("user") || !j["user"].is_number_integer() || j["user"].get<int>() < 0)
    bad("no valid 'user'");
  c.user = j["user"].get<int>();
  if (j.contains("args")) {
    if (!j["args"].is_object()) bad("'args' is not an object");
    for (const auto& [name, x] : j["args"].items()) {
      if (!c.op->param(name)) bad("'" + name + "' is not a parameter of " + c.op->full_name);
      if (!x.is_object() || !x.contains("kind") || !x["kind"].is_string())
        bad("argument '" + name + "' has no kind");
      std::string k = x["kind"].get<std::string>();
      Arg a;
      if (k == "value") {
        a.kind = Arg::Kind::Value;
        a.value = x.value("value", json());
      } else {
        a.kind = Arg::Kind::Absent;
        for (const auto& [kind, text] : kArgKinds)
          if (text == k && kind != Arg::Kind::Value) a.kind = kind;
        if (a.kind == Arg::Kind::Absent)
          bad("argument '" + name + "' has unknown kind '" + k + "'");
        if (!x.contains("index") || !x["index"].is_number_integer() || x["index"].get<int>() < 0)
          bad("argument '" + name + "' has no valid index");
        a.index = x["index"].get<int>();
      }
      c.args[name] = a;
    }
  }
  std::string v = j.value("variant", "normal");
  auto variant = variant_from_string(v);
  if (!variant) bad("unknown variant '" + v + "'");
  c.variant = *variant;
  c.variant_param = j.value("variant_param", "");
  return c;
}

}  // namespace conformance::engine
