// State between sequences without reset: pre-existing instances, the checked cleanup.
#include "conformance/engine/cleanup.hpp"

#include <algorithm>

#include "conformance/engine/trace.hpp"
#include "conformance/engine/wire.hpp"

namespace conformance::engine {

using nlohmann::json;
using spec::Operation;

CleanupRoles cleanup_roles(const spec::Spec& spec) {
  CleanupRoles r;
  for (const Operation* op : spec.operations()) {
    bool no_required = std::none_of(op->params.begin(), op->params.end(),
                                    [](const spec::Param& p) { return p.required; });
    if (op->returns.kind == spec::Returns::Kind::IdList && no_required) r.lister = op;
    if (op->returns.kind == spec::Returns::Kind::Resource && !op->returns.param.empty())
      r.getter = op;
    for (const auto& e : op->effects)
      if (e.kind == spec::Effect::Kind::Remove) r.remover = op;
  }
  // The getter and the remover must be about the lister's resource.
  if (r.lister && r.getter && r.getter->returns.resource != r.lister->returns.resource)
    r.getter = nullptr;
  if (r.lister && r.remover && r.remover->effects.front().resource != r.lister->returns.resource)
    r.remover = nullptr;
  return r;
}

namespace {

const std::string& id_param(const Operation& op) {
  if (op.returns.kind == spec::Returns::Kind::Resource) return op.returns.param;
  for (const auto& e : op.effects)
    if (e.kind == spec::Effect::Kind::Remove) return e.param;
  return op.returns.param;
}

// The calls of the pre-existing check, sent and kept as raw trace steps.
class Probe {
 public:
  Probe(Target& target, const RunConfig& config) : target_(target), config_(config) {}

  // Sends `op` as `user` (with the id, if any) and records the step; `expect_success`
  // says what the harness expects (shown in the trace).
  Decoded call(const Operation& op, int user, const std::string& id, bool expect_success) {
    auto c = std::make_shared<Call>();
    c->op = &op;
    c->user = user;
    json args = json::object();
    if (!id.empty()) {
      args[id_param(op)] = id;
      c->args[id_param(op)] = Arg{Arg::Kind::Value, id, -1};
    }
    RawStep step;
    step.call = c;
    step.request = encode(target_.binding(), op, args, target_.token(user));
    step.response = target_.send(step.request);
    Outcome o;
    o.success = expect_success;
    if (!expect_success) o.errors = {"NOT_FOUND"};
    step.expected.acceptable = {o};
    Decoded d = decode(*config_.spec, target_.binding(), op, step.response);
    step.outcome = d.kind == Decoded::Kind::Success ? "success"
                   : d.kind == Decoded::Kind::Error ? d.error_name
                                                    : "transport";
    if (d.status) step.outcome += " (HTTP " + std::to_string(d.status) + ")";
    steps_.push_back(std::move(step));
    return d;
  }

  void violate(const spec::Clause* clause, const Operation& op, const std::string& expected,
               const std::string& actual) {
    // A clause already found (a campaign's later rounds) is not found again here.
    if (found_ || !clause || config_.tolerated.count(clause->id)) return;
    Violation v{clause->id, op.full_name, expected, actual};
    steps_.back().violations.push_back(v);
    Failure f;
    f.violation = v;
    f.seed = config_.seed;
    f.preexisting = true;
    found_ = std::move(f);
  }

  std::optional<Failure> result() {
    if (found_) found_->trace = render(steps_, *config_.spec, config_.profile);
    return found_;
  }
  bool found() const { return found_.has_value(); }

 private:
  Target& target_;
  const RunConfig& config_;
  std::vector<RawStep> steps_;
  std::optional<Failure> found_;
};

bool lists(const Decoded& d, const std::string& id) {
  return d.kind == Decoded::Kind::Success && d.result.is_array() &&
         std::find(d.result.begin(), d.result.end(), json(id)) != d.result.end();
}

}  // namespace

std::optional<Failure> check_preexisting(Target& target, const RunConfig& config) {
  if (target.resets()) return std::nullopt;
  target.survey();
  const spec::Spec& spec = *config.spec;
  CleanupRoles roles = cleanup_roles(spec);
  if (!roles.lister || !roles.getter) return std::nullopt;
  const spec::Resource* res = spec.find_resource(roles.getter->returns.resource);
  const auto& ret = roles.lister->returns;
  const spec::Clause* owner_only = ret.owner_clause ? &*ret.owner_clause
                                   : ret.clause     ? &*ret.clause
                                                    : nullptr;
  const spec::Clause* others = res && res->ownership ? &res->ownership->clause : owner_only;
  spec::TypeRef type;
  type.kind = spec::TypeRef::Kind::Named;
  type.target = res ? res->model : "";
  Probe probe(target, config);
  for (const auto& [id, listers] : target.preexisting_listers()) {
    std::vector<int> owners;
    for (int u : listers) {
      const std::string& name = config.profile.users.at(u).name;
      Decoded got = probe.call(*roles.getter, u, id, true);
      if (got.kind == Decoded::Kind::Success) {
        owners.push_back(u);
        std::vector<std::string> problems, dt;
        validate_shape(spec, got.result, type, "", problems, dt);
        for (const auto& p : problems)
          probe.violate(&spec.checks.response_shape, *roles.getter, "a " + type.target, p);
        for (const auto& p : dt)
          probe.violate(&spec.checks.datetime_format, *roles.getter, "RFC 3339 date-times", p);
      } else if (got.kind == Decoded::Kind::Error) {
        // Gone since (it may have expired), or never the caller's: list again.
        Decoded again = probe.call(*roles.lister, u, "", true);
        if (lists(again, id))
          probe.violate(owner_only, *roles.lister, "only the caller's " + ret.resource + " ids",
                        "'" + id + "', which " + roles.getter->full_name + " as " + name +
                            " answers " + got.error_name + " (not " + name + "'s)");
      }
      if (probe.found()) break;
    }
    if (owners.size() > 1)
      probe.violate(others, *roles.getter, "one owner for pre-existing '" + id + "'",
                    "readable by " + config.profile.users[owners[0]].name + " and " +
                        config.profile.users[owners[1]].name);
    if (probe.found()) break;
    if (config.delete_preexisting && owners.size() == 1 && roles.remover) {
      Decoded del = probe.call(*roles.remover, owners[0], id, true);
      const spec::Clause* removes = &roles.remover->effects.front().clause;
      if (del.kind == Decoded::Kind::Success &&
          probe.call(*roles.getter, owners[0], id, false).kind == Decoded::Kind::Success)
        probe.violate(removes, *roles.remover, "'" + id + "' gone after the delete", "found");
      if (probe.found()) break;
    }
  }
  return probe.result();
}

void clean_up_sequence(Sut& sut) {
  if (sut.target->resets()) return;
  CleanupRoles roles = cleanup_roles(*sut.config->spec);
  if (!roles.remover) return;
  const std::string& resource = roles.remover->effects.front().resource;
  std::vector<int> alive;
  for (std::size_t i = 0; i < sut.model.instances.size() && i < sut.mem.ids.size(); ++i) {
    const InstanceModel& inst = sut.model.instances[i];
    if (inst.placeholder || inst.resource != resource || sut.mem.ids[i].empty() ||
        sut.model.life(inst) == Model::Life::Gone)
      continue;
    alive.push_back(static_cast<int>(i));
  }
  for (int i : alive) {
    int owner = sut.model.instances[i].owner;
    for (const Operation* op : {roles.remover, roles.getter}) {
      if (!op) continue;
      Call c;
      c.op = op;
      c.user = owner;
      c.args[id_param(*op)] = Arg{Arg::Kind::Instance, json(), i};
      Model generated = sut.model;
      CallCommand(std::move(c)).run(generated, sut);
    }
    // The read-back found nothing (or there is none and the model is sure it is gone).
    bool gone = roles.getter ? sut.trace.back().outcome.rfind("success", 0) != 0
                             : sut.model.life(sut.model.instances[i]) == Model::Life::Gone;
    if (gone) sut.target->removed(sut.mem.ids[i]);
  }
}

}  // namespace conformance::engine
