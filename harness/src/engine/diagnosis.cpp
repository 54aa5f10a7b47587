// Blame the first divergence: a failure's minimal sequence replayed with read-backs.
#include "conformance/engine/diagnosis.hpp"

#include <algorithm>
#include <set>

#include "conformance/engine/cleanup.hpp"
#include "conformance/engine/command_json.hpp"
#include "conformance/engine/replay.hpp"
#include "conformance/engine/trace.hpp"

namespace conformance::engine {

using nlohmann::json;

namespace {

class Diagnoser {
 public:
  Diagnoser(const RunConfig& config, Sut& sut, Recorder& rec)
      : config_(config), sut_(sut), rec_(rec), roles_(cleanup_roles(*config.spec)) {
    if (roles_.getter)
      for (const auto& p : roles_.getter->preconditions)
        if (p.check == spec::Precondition::Check::Exists) not_found_ = p.error;
  }

  bool can_read_back() const { return roles_.getter != nullptr; }

  // Reads back every instance of the getter's resource (as its owner), then each owner's
  // list, through the checked path. Throws SequenceFailed at the first divergence.
  void read_back() {
    std::set<int> owners;
    for (std::size_t i = 0; i < sut_.model.instances.size() && i < sut_.mem.ids.size(); ++i) {
      const InstanceModel& inst = sut_.model.instances[i];
      if (inst.placeholder || inst.resource != roles_.getter->returns.resource ||
          sut_.mem.ids[i].empty())
        continue;
      owners.insert(inst.owner);
      send(*roles_.getter, inst.owner, static_cast<int>(i));
    }
    if (roles_.lister)
      for (int u : owners)
        send(*roles_.lister, u, -1);
  }

  // The divergence the last step showed, `how` it was found.
  Diagnosis blame(int step, const std::string& how) {
    Diagnosis d;
    d.step = step;
    d.violation = rec_.last->violation;
    const RawStep& last = sut_.trace.back();
    if (last.call) d.detail = how + ": " + show_call(*last.call, config_.profile);
    d.detail += ": expected " + d.violation.expected + "; got " + d.violation.actual;
    if (!last.call || !not_found(last)) return d;
    // Not found: an instance it names, gone before the expiration the target stated?
    for (const auto& [_, a] : last.call->args)
      if (a.kind == Arg::Kind::Instance) gone_early(a.index, last.call->op == roles_.getter, d);
    return d;
  }

 private:
  void send(const spec::Operation& op, int user, int instance) {
    Call c;
    c.op = &op;
    c.user = user;
    if (instance >= 0) c.args[op.returns.param] = Arg{Arg::Kind::Instance, json(), instance};
    Model generated = sut_.model;
    CallCommand(std::move(c)).run(generated, sut_);
  }

  bool not_found(const RawStep& s) const {
    return !not_found_.empty() && s.outcome.rfind(not_found_, 0) == 0;
  }

  // Blames the lease when instance i is gone (`confirmed`, or a read-back says so) while
  // the target last said it expires later.
  void gone_early(int i, bool confirmed, Diagnosis& d) {
    if (i < 0 || i >= static_cast<int>(sut_.model.instances.size())) return;
    const spec::Resource* r = config_.spec->find_resource(sut_.model.instances[i].resource);
    auto seen = sut_.mem.observed_expiry_ms.find(i);
    if (!r || !r->lease || seen == sut_.mem.observed_expiry_ms.end()) return;
    std::int64_t now = config_.profile.virtual_clock() ? sut_.mem.clock_base_ms + sut_.model.now_ms
                                                       : epoch_ms_now();
    if (now >= seen->second - sut_.model.tolerance_ms()) return;
    // The model has it gone (deleted): a NOT_FOUND is what it expected, whatever else the
    // answer broke (on the wall clock the check below cannot tell).
    const InstanceModel& inst = sut_.model.instances[i];
    if (sut_.model.life(inst) == Model::Life::Gone) return;
    // Removed by the effect that just moved it (nothing has read it since): that effect's
    // clause, not the lease (regression_documented_variants_pass_and_blame_their_clause).
    if (inst.unobserved && inst.moved_by && inst.moved_ms == sut_.model.now_ms) return;
    if (!confirmed) {
      try {
        send(*roles_.getter, sut_.model.instances[i].owner, i);
        return;  // it is there: the call's own clause stands
      } catch (const SequenceFailed&) {
        if (!not_found(sut_.trace.back())) return;
      }
    }
    const spec::Clause& lease = r->lease->not_before;
    d.detail += "; " + sut_.mem.ids[i] + " is gone at " + format_datetime(now) + ", before the " +
                r->lease->field + " " + format_datetime(seen->second) + " the target stated";
    d.violation = {lease.id, "",
                   "'" + sut_.mem.ids[i] + "' there until its " + r->lease->field + " " +
                       format_datetime(seen->second),
                   "gone at " + format_datetime(now)};
  }

  const RunConfig& config_;
  Sut& sut_;
  Recorder& rec_;
  CleanupRoles roles_;
  std::string not_found_;
};

}  // namespace

std::optional<Diagnosis> diagnose(const RunConfig& given, const Failure& failure) {
  if (failure.trace.empty()) return std::nullopt;
  RunConfig config = given;
  config.events = nullptr;
  config.on_exchange = nullptr;
  Target target = open_target(config);
  Recorder rec;
  Sut sut = begin_sequence(target, config, rec);
  Model m = initial_model(*config.spec, config.profile, config.strictness);
  Diagnoser diag(config, sut, rec);
  std::optional<Diagnosis> out;
  int step = 0;
  for (const auto& ts : failure.trace) {
    ++step;
    CmdSP cmd;
    try {
      cmd = command_from_json(config, m, ts.command);
    } catch (const std::exception&) {
      break;  // not a command of a sequence (e.g. the pre-existing check's)
    }
    const auto* call = dynamic_cast<const CallCommand*>(cmd.get());
    bool changes = !call || !call->call.op->effects.empty();
    try {
      cmd->run(m, sut);
    } catch (const SequenceFailed&) {
      out = diag.blame(step, "at step " + std::to_string(step));
      break;
    }
    cmd->apply(m);
    if (!changes || !diag.can_read_back()) continue;
    try {
      diag.read_back();
    } catch (const SequenceFailed&) {
      out = diag.blame(step, "read back after step " + std::to_string(step));
      break;
    }
  }
  // Tolerated violations seen first on the instances the failing call acted on (a list's,
  // which shows every instance, would tie unrelated failures together).
  if (out && !sut.trace.empty()) {
    auto instances = [](const RawStep& s) {
      std::set<int> is;
      if (s.call)
        for (const auto& [_, a] : s.call->args)
          if (a.kind == Arg::Kind::Instance) is.insert(a.index);
      return is;
    };
    const std::set<int> failing = instances(sut.trace.back());
    for (const auto& s : sut.trace) {
      const std::set<int> here = instances(s);
      bool shared = std::any_of(here.begin(), here.end(), [&](int i) { return failing.count(i); });
      for (const auto& v : s.violations)
        if (shared && config.tolerated.count(v.clause) && v.clause != out->violation.clause &&
            std::find(out->earlier.begin(), out->earlier.end(), v.clause) == out->earlier.end())
          out->earlier.push_back(v.clause);
    }
  }
  if (!rec.aborted) target.sweep();
  return out;
}

void diagnose_failure(const RunConfig& config, Failure& failure) {
  if (failure.violation.clause == "harness.internal") return;
  // No complete answer: read-backs say nothing about it (and a hostile target's answers
  // are not fetched again).
  // Nor with --on-transport-error abort (nothing more is to be sent to such a target).
  if (config.on_transport_error == OnTransportError::abort) return;
  for (const auto& step : failure.trace)
    if (step.outcome.rfind("transport", 0) == 0) return;
  std::optional<Diagnosis> d;
  try {
    d = diagnose(config, failure);
  } catch (const std::exception&) {
    return;  // the target is gone (or the trace cannot be replayed): the failure stands
  }
  if (!d) return;
  for (const auto& c : d->earlier)
    if (c != failure.violation.clause &&
        std::find(failure.after.begin(), failure.after.end(), c) == failure.after.end())
      failure.after.push_back(c);
  bool same = d->violation.clause == failure.violation.clause &&
              d->step == static_cast<int>(failure.trace.size());
  if (same) return;
  failure.symptom = failure.violation;
  failure.violation = d->violation;
  failure.diagnosed_step = d->step;
  failure.diagnosis = d->detail;
}

}  // namespace conformance::engine
