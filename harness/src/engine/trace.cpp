#include "conformance/engine/trace.hpp"

#include <cstdio>
#include <sstream>

#include "conformance/engine/command_json.hpp"
#include "conformance/engine/wire.hpp"

namespace conformance::engine {

std::string show_call(const Call& c, const Profile& p) {
  std::ostringstream os;
  os << p.users[c.user].name << " " << c.op->full_name << "(";
  bool first = true;
  for (const auto& param : c.op->params) {
    auto it = c.args.find(param.name);
    if (it == c.args.end() || it->second.kind == Arg::Kind::Absent) continue;
    os << (first ? "" : ", ") << param.name << "=";
    first = false;
    switch (it->second.kind) {
      case Arg::Kind::Instance:
        os << "#" << it->second.index;
        break;
      case Arg::Kind::Fresh:
        os << "<never-existing id " << it->second.index << ">";
        break;
      case Arg::Kind::Token:
        os << "<token " << it->second.index << ">";
        break;
      default:
        os << it->second.value.dump();
        break;
    }
  }
  os << ")";
  if (c.variant != Call::Variant::Normal)
    os << " [" << to_string(c.variant) << (c.variant_param.empty() ? "" : " " + c.variant_param)
       << "]";
  return os.str();
}

TraceStep render(const RawStep& r, const spec::Spec& spec, const Profile& profile) {
  TraceStep step;
  if (!r.call) {
    step.is_call = false;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f", r.advance_ms / 1000.0);
    step.description = std::string("time passes: ") + buf + " s";
    step.command = advance_to_json(r.advance_ms);
    return step;
  }
  step.description = show_call(*r.call, profile);
  step.exchange = {redacted(r.request, secret_headers(spec.bindings.at(profile.binding))),
                   r.response};
  if (step.exchange.response.body.size() > 4096) step.exchange.response.body.resize(4096);
  step.expected = expected_text(r.expected, spec);
  step.outcome = r.outcome;
  step.violations = r.violations;
  step.command = call_to_json(*r.call);
  return step;
}

std::vector<TraceStep> render(const std::vector<RawStep>& raw, const spec::Spec& spec,
                              const Profile& profile) {
  std::vector<TraceStep> out;
  out.reserve(raw.size());
  for (const auto& r : raw)
    out.push_back(render(r, spec, profile));
  return out;
}

}  // namespace conformance::engine
