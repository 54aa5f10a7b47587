#include "conformance/engine/symbols.hpp"

#include <cstdio>

namespace conformance::engine {

using nlohmann::json;
using spec::Resource;

std::string fresh_id(int index) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "00000000-0000-4000-8000-%012x", index + 1);
  return buf;
}

json resolve(const Call& c, const Memory& mem) {
  json args = json::object();
  for (const auto& [name, a] : c.args) {
    switch (a.kind) {
      case Arg::Kind::Absent:
        break;
      case Arg::Kind::Value:
        args[name] = a.value;
        break;
      case Arg::Kind::Instance:
        args[name] = a.index < static_cast<int>(mem.ids.size()) && !mem.ids[a.index].empty()
                         ? mem.ids[a.index]
                         : fresh_id(1000 + a.index);
        break;
      case Arg::Kind::Fresh:
        args[name] = fresh_id(a.index);
        break;
      case Arg::Kind::Token:
        args[name] = "conformance-token-" + mem.token_nonce + std::to_string(a.index);
        break;
    }
  }
  return args;
}

void remember(Memory& mem, Model& post, const Call& c, const Decoded& d) {
  const auto& ret = c.op->returns;
  if (d.kind != Decoded::Kind::Success || !d.has_result) return;
  const spec::Spec& spec = *post.spec;
  if (ret.kind == spec::Returns::Kind::Resource && d.result.is_object()) {
    int i = arg_instance(c, ret.param);
    if (i < 0) return;
    const Resource* r = spec.find_resource(post.instances[i].resource);
    for (const auto& field : spec::stable_fields(spec, r->name))
      if (d.result.contains(field) && !mem.stable[i].contains(field))
        mem.stable[i][field] = d.result[field];
    if (r->lease && d.result.contains(r->lease->field) && d.result[r->lease->field].is_string())
      if (auto ms = parse_datetime(d.result[r->lease->field].get<std::string>())) {
        mem.observed_expiry_ms[i] = *ms;
        // The model follows it too (regression_expiry_rounded_up_to_a_second).
        if (*ms - mem.clock_base_ms > post.instances[i].promised_ms)
          post.instances.mut(i).promised_ms = *ms - mem.clock_base_ms;
      }
  }
  auto note_child = [&](int i, const json& f) {
    for (const auto& [_, r] : spec.resources)
      if (r.kind == Resource::Kind::Child && r.states && f.is_object() && f.contains(r.key) &&
          f[r.key].is_string() && f.contains(r.states->field) && f[r.states->field].is_string())
        mem.child_state[{i, f[r.key].get<std::string>()}] = f[r.states->field].get<std::string>();
  };
  if (ret.kind == spec::Returns::Kind::Children && d.result.is_array()) {
    int i = arg_instance(c, ret.parent_param);
    if (i >= 0)
      for (const auto& f : d.result)
        note_child(i, f);
  }
  if (ret.kind == spec::Returns::Kind::Child) {
    int i = arg_instance(c, ret.parent_param);
    if (i >= 0) note_child(i, d.result);
  }
}

}  // namespace conformance::engine
