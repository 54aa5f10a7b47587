// The model's semantics: preconditions decide the expected answer, effects move the
// state. Everything operation-specific comes from the spec.
#include "conformance/engine/model.hpp"

#include <algorithm>
#include <cmath>

namespace conformance::engine {

using nlohmann::json;
using spec::Clause;
using spec::Effect;
using spec::Precondition;
using spec::Resource;

namespace {

// The one text of each variant (traces, reports, coverage keys).
constexpr std::pair<Call::Variant, const char*> kVariants[] = {
    {Call::Variant::Normal, "normal"},
    {Call::Variant::NoAuth, "no-auth"},
    {Call::Variant::OmitRequired, "omit-required"},
    {Call::Variant::WrongType, "wrong-type"},
    {Call::Variant::MalformedBody, "malformed-body"},
    {Call::Variant::ConcurrentReplay, "concurrent-replay"},
};

}  // namespace

std::string to_string(Call::Variant v) {
  for (const auto& [variant, text] : kVariants)
    if (variant == v) return text;
  return "?";
}

std::optional<Call::Variant> variant_from_string(std::string_view s) {
  for (const auto& [variant, text] : kVariants)
    if (text == s) return variant;
  return std::nullopt;
}

std::int64_t Model::timeout_ms() const {
  if (profile->session_timeout_s) return std::llround(*profile->session_timeout_s * 1000);
  // The spec's lease timeout (the longest, should several resources have a lease).
  double seconds = 0;
  for (const auto& [_, r] : spec->resources)
    if (r.lease) seconds = std::max(seconds, r.lease->timeout_seconds);
  return std::llround(seconds * 1000);
}
std::int64_t Model::grace_ms() const {
  return std::llround(profile->cleanup_grace_s * 1000);
}
std::int64_t Model::tolerance_ms() const {
  return std::llround(profile->clock_tolerance_s * 1000);
}

bool Model::lenient(const Clause& c) const {
  return c.provenance == spec::Provenance::open ||
         (strictness == Strictness::documented && c.provenance == spec::Provenance::inferred);
}

Model::Life Model::life(const InstanceModel& i) const {
  if (i.removed) return Life::Gone;
  // Its id may name another instance's session too, renewed through that one: its
  // lease says nothing (regression_opaque_twins_renewed_through_one_outlive_the_other).
  if (i.opaque) return Life::Maybe;
  const Resource* r = spec->find_resource(i.resource);
  if (r && r->lease) {
    // Alive for sure before the earliest possible expiry; gone for sure after the
    // latest one plus the cleanup grace. "Not before expiration_time" makes the
    // instant itself uncertain.
    // The clock tolerance widens the window both ways: a target whose clock runs behind, or
    // that keeps time to the second, may expire up to that much later.
    if (now_ms >
        std::max(i.renewed_max_ms + timeout_ms() + tolerance_ms(), i.promised_ms) + grace_ms())
      return Life::Gone;
    if (now_ms >= i.renewed_min_ms + timeout_ms() - tolerance_ms()) return Life::Maybe;
  }
  return i.maybe_gone ? Life::Maybe : Life::Alive;
}

Model initial_model(const spec::Spec& spec, const Profile& profile, Strictness strictness) {
  Model m;
  m.spec = &spec;
  m.profile = &profile;
  m.strictness = strictness;
  return m;
}

bool Expectation::certain() const {
  return acceptable.size() == 1 && !open;
}

const Outcome* Expectation::success() const {
  for (const auto& o : acceptable)
    if (o.success) return &o;
  return nullptr;
}

std::string expected_text(const Expectation& e, const spec::Spec& spec) {
  if (e.open) return "any well-formed answer (" + e.open->id + " is open)";
  std::string out;
  for (const auto& o : e.acceptable) {
    std::string s = "success";
    if (!o.success) {
      s.clear();
      for (const auto& err : o.errors)
        s += (s.empty() ? "" : "/") + std::to_string(spec.errors.at(err).http_status) + " " + err;
    }
    out += (out.empty() ? "" : " or ") + s;
  }
  return out;
}

int token_instance(const Model& m, const Call& c) {
  if (!c.op->idempotency) return -1;
  auto tok = c.args.find(c.op->idempotency->token_param);
  if (tok == c.args.end() || tok->second.kind != Arg::Kind::Token) return -1;
  auto bound = m.token_of.find({c.user, tok->second.index});
  return bound == m.token_of.end() ? -1 : bound->second;
}

bool consistent_replay(const Model& m, const Call& c) {
  int bound = token_instance(m, c);
  if (bound < 0) return true;
  for (const auto& [name, v] : m.instances[bound].create_args.items()) {
    auto a = c.args.find(name);
    if (a == c.args.end() || a->second.kind != Arg::Kind::Value || a->second.value != v)
      return false;
  }
  return true;
}

const json* arg_value(const Call& c, const std::string& path) {
  auto dot = path.find('.');
  auto it = c.args.find(path.substr(0, dot));
  if (it == c.args.end() || it->second.kind == Arg::Kind::Absent) return nullptr;
  if (it->second.kind != Arg::Kind::Value)
    return dot == std::string::npos ? &it->second.value : nullptr;
  const json* v = &it->second.value;
  while (dot != std::string::npos) {
    auto next = path.find('.', dot + 1);
    std::string seg =
        path.substr(dot + 1, next == std::string::npos ? std::string::npos : next - dot - 1);
    if (!v->is_object() || !v->contains(seg)) return nullptr;
    v = &(*v)[seg];
    dot = next;
  }
  return v->is_null() ? nullptr : v;
}

int arg_instance(const Call& c, const std::string& param) {
  auto it = c.args.find(param);
  if (it == c.args.end() || it->second.kind != Arg::Kind::Instance) return -1;
  return it->second.index;
}

namespace {

bool has_arg(const Call& c, const std::string& path) {
  auto it = c.args.find(path.substr(0, path.find('.')));
  if (it == c.args.end() || it->second.kind == Arg::Kind::Absent) return false;
  if (it->second.kind != Arg::Kind::Value) return path.find('.') == std::string::npos;
  return arg_value(c, path) != nullptr;
}

enum class Eval { Pass, Fail, Maybe };

struct PreResult {
  Eval eval = Eval::Pass;
  const Clause* if_success = nullptr;  // clause a success answer would break
  const std::string* error = nullptr;  // the error to expect, if not the precondition's
};

PreResult evaluate(const Model& m, const Call& c, const Precondition& p) {
  using C = Precondition::Check;
  PreResult r;
  r.if_success = &p.clause;
  switch (p.check) {
    case C::Present:
      r.eval = has_arg(c, p.param) ? Eval::Pass : Eval::Fail;
      break;
    case C::Exists: {
      const Resource* res = m.spec->find_resource(p.resource);
      auto it = c.args.find(p.param.substr(0, p.param.find('.')));
      if (!has_arg(c, p.param)) break;  // optional and absent: nothing to check
      if (res->kind == Resource::Kind::External) {
        const json* v = arg_value(c, p.param);
        r.eval = v && v->is_string() && m.profile->find_instance(res->name, v->get<std::string>())
                     ? Eval::Pass
                     : Eval::Fail;
        break;
      }
      if (it->second.kind != Arg::Kind::Instance) {
        r.eval = Eval::Fail;
        break;
      }
      const InstanceModel& inst = m.instances.at(it->second.index);
      if (inst.placeholder) {  // no instance: its id is one the target never made
        r.eval = Eval::Fail;
        break;
      }
      if (res->ownership && inst.owner != c.user) {
        r.eval = Eval::Fail;
        r.if_success = &res->ownership->clause;
        r.error = &res->ownership->others_see;
        break;
      }
      switch (m.life(inst)) {
        case Model::Life::Alive:
          r.eval = Eval::Pass;
          break;
        case Model::Life::Maybe:
          r.eval = Eval::Maybe;
          break;
        case Model::Life::Gone:
          r.eval = Eval::Fail;
          if (inst.removed_by)
            r.if_success = inst.removed_by;
          else if (res->lease)
            r.if_success = &res->lease->expires;
          break;
      }
      break;
    }
    case C::StateIn: {
      int i = arg_instance(c, p.param);
      if (i < 0) break;
      const auto& states = m.instances[i].states;
      bool all = std::all_of(states.begin(), states.end(), [&](const std::string& s) {
        return std::find(p.states.begin(), p.states.end(), s) != p.states.end();
      });
      bool none = std::none_of(states.begin(), states.end(), [&](const std::string& s) {
        return std::find(p.states.begin(), p.states.end(), s) != p.states.end();
      });
      r.eval = all ? Eval::Pass : none ? Eval::Fail : Eval::Maybe;
      break;
    }
    case C::ChildExists: {
      int i = arg_instance(c, p.parent_param);
      const json* key = arg_value(c, p.param);
      if (i < 0) break;
      r.eval = key && key->is_string() && m.instances[i].children.count(key->get<std::string>())
                   ? Eval::Pass
                   : Eval::Fail;
      break;
    }
    case C::NotValue: {
      const json* v = arg_value(c, p.param);
      if (!v || !v->is_string()) break;
      bool listed =
          std::find(p.values.begin(), p.values.end(), v->get<std::string>()) != p.values.end();
      if (!listed) break;
      if (p.unless_privilege.empty()) {
        r.eval = Eval::Fail;
        break;
      }
      // Privileges the profile does not declare are unknown: either answer may be right
      // (regression_direct_without_declared_privileges).
      const auto& privs = m.profile->users.at(c.user).privileges;
      if (!privs) {
        r.eval = Eval::Maybe;
        break;
      }
      bool privileged = std::find(privs->begin(), privs->end(), p.unless_privilege) != privs->end();
      r.eval = privileged ? Eval::Pass : Eval::Fail;
      break;
    }
    case C::InRange: {
      const json* v = arg_value(c, p.param);
      if (!v || !v->is_number_integer()) break;
      auto n = v->get<std::int64_t>();
      r.eval = (p.min && n < *p.min) || (p.max && n > *p.max) ? Eval::Fail : Eval::Pass;
      break;
    }
  }
  return r;
}

int target_of(const Call& c) {
  for (const auto& p : c.op->params)
    if (p.type.kind == spec::TypeRef::Kind::Id) {
      int i = arg_instance(c, p.name);
      if (i >= 0) return i;
    }
  return -1;
}

std::string states_label(const std::set<std::string>& s) {
  std::string out;
  for (const auto& x : s)
    out += (out.empty() ? "" : "|") + x;
  return out;
}

// The instance an idempotent replay names, if the call replays a live token.
int replayed(const Model& m, const Call& c, bool* after_removal) {
  *after_removal = false;
  int bound = token_instance(m, c);
  if (bound < 0) return -1;
  *after_removal = m.life(m.instances[bound]) != Model::Life::Alive;
  return bound;
}

}  // namespace

Expectation expect(const Model& m, const Call& c) {
  Expectation e;
  e.target = target_of(c);
  if (e.target >= 0) {
    const auto& inst = m.instances[e.target];
    auto life = m.life(inst);
    e.pre_state = inst.owner != c.user ? "other-user"
                  : life == Model::Life::Gone
                      ? "gone"
                      : states_label(inst.states) + (life == Model::Life::Maybe ? "?" : "");
  } else {
    bool fresh = std::any_of(c.args.begin(), c.args.end(),
                             [](const auto& kv) { return kv.second.kind == Arg::Kind::Fresh; });
    e.pre_state = fresh ? "unknown-id" : "none";
  }
  const auto& checks = m.spec->checks;

  if (c.variant == Call::Variant::NoAuth) {
    e.acceptable.push_back(
        {false, {checks.auth_error}, &checks.auth_required, &checks.auth_required});
    e.tested.push_back(&checks.auth_required);
    return e;
  }
  if (c.variant == Call::Variant::OmitRequired || c.variant == Call::Variant::WrongType ||
      c.variant == Call::Variant::MalformedBody) {
    Outcome o{false, checks.malformed_errors, &checks.malformed_request, &checks.malformed_request};
    // A broken envelope of an RPC binding names its own refusal.
    auto b = m.spec->bindings.find(m.profile->binding);
    if (c.variant == Call::Variant::MalformedBody && b != m.spec->bindings.end() && b->second.rpc)
      if (const auto* neg = b->second.rpc->negative(c.variant_param))
        o = Outcome{false, neg->errors, &neg->clause, &neg->clause};
    // A `present` precondition on the omitted parameter names its own error.
    for (const auto& p : c.op->preconditions)
      if (p.check == Precondition::Check::Present && c.variant == Call::Variant::OmitRequired &&
          (p.param == c.variant_param || p.param.rfind(c.variant_param + ".", 0) == 0)) {
        if (std::find(o.errors.begin(), o.errors.end(), p.error) == o.errors.end())
          o.errors.push_back(p.error);
        o.clause = o.if_success = &p.clause;
      }
    e.acceptable.push_back(o);
    e.tested.push_back(o.clause);
    if (m.lenient(*o.clause)) e.open = o.clause;
    return e;
  }

  if (e.target >= 0 && m.instances[e.target].opaque) {
    e.open = m.instances[e.target].opaque;
    e.tested.push_back(e.open);
    return e;
  }
  std::vector<Outcome> alternatives;
  for (const auto& p : c.op->preconditions) {
    PreResult r = evaluate(m, c, p);
    if (r.eval == Eval::Pass) continue;
    bool lenient = m.lenient(p.clause) || (r.if_success && m.lenient(*r.if_success));
    if (r.eval == Eval::Fail) {
      e.tested.push_back(r.if_success);
      if (r.if_success != &p.clause) e.tested.push_back(&p.clause);
      if (lenient) {
        e.open = m.lenient(p.clause) ? &p.clause : r.if_success;
        return e;
      }
      e.acceptable.push_back({false, {r.error ? *r.error : p.error}, &p.clause, r.if_success});
      for (auto& a : alternatives)
        e.acceptable.push_back(a);
      return e;
    }
    alternatives.push_back(
        {false, {r.error ? *r.error : p.error}, &p.clause, r.if_success});  // Maybe
  }

  bool after_removal = false;
  int replay = replayed(m, c, &after_removal);
  if (after_removal) {
    e.open = &c.op->idempotency->after_removal;
    e.tested.push_back(e.open);
    return e;
  }
  if (replay >= 0) {
    const Clause* idem = c.variant == Call::Variant::ConcurrentReplay
                             ? &c.op->idempotency->concurrent_clause
                             : &c.op->idempotency->clause;
    // Not enforced: the answer may name a new session, or the old one
    // (regression_concurrent_replay_respects_leniency).
    if (m.lenient(*idem)) {
      e.open = idem;
      e.tested.push_back(idem);
      return e;
    }
  }
  Outcome success{true, {}, nullptr, nullptr};
  e.acceptable.push_back(success);
  for (auto& a : alternatives)
    e.acceptable.push_back(a);
  if (replay >= 0) {
    e.replay_of = replay;
    e.tested.push_back(c.variant == Call::Variant::ConcurrentReplay
                           ? &c.op->idempotency->concurrent_clause
                           : &c.op->idempotency->clause);
  } else {
    e.creates = std::any_of(c.op->effects.begin(), c.op->effects.end(),
                            [](const Effect& ef) { return ef.kind == Effect::Kind::Create; });
    if (c.variant == Call::Variant::ConcurrentReplay)
      e.tested.push_back(&c.op->idempotency->concurrent_clause);
  }
  return e;
}

namespace {

json resolve_value(const Call& c, const spec::ValueExpr& v) {
  switch (v.kind) {
    case spec::ValueExpr::Kind::Param: {
      const json* x = arg_value(c, v.param);
      return x ? *x : json();
    }
    case spec::ValueExpr::Kind::Const:
      return v.value;
    case spec::ValueExpr::Kind::Stable:
      return json();
  }
  return json();
}

void create_instance(Model& m, const Call& c, const Effect& ef, bool certain, const Clause* open) {
  const Resource* r = m.spec->find_resource(ef.resource);
  InstanceModel inst;
  inst.resource = ef.resource;
  inst.owner = c.user;
  inst.maybe_gone = !certain;
  for (const auto& [field, v] : ef.fields) {
    if (v.kind == spec::ValueExpr::Kind::Stable) continue;
    json val = resolve_value(c, v);
    if (r->states && field == r->states->field) {
      if (val.is_string()) inst.states = {val.get<std::string>()};
      continue;
    }
    if (val.is_null()) continue;
    inst.fields[field] = val;
    inst.set_by[field] = &ef.clause;
    if (!v.at.empty()) inst.at[field] = v.at;
  }
  if (r->states && inst.states.empty()) inst.states = {r->states->initial};
  if (r->states) inst.set_by[r->states->field] = &ef.clause;
  if (r->lease) {
    inst.renewed_min_ms = inst.renewed_max_ms = m.now_ms;
    inst.renewed_by = &r->lease->initial;
  }
  // Children: the members of the external instance the new instance refers to.
  for (const auto& [cname, child] : m.spec->resources) {
    if (child.kind != Resource::Kind::Child || child.parent != ef.resource) continue;
    auto via = inst.fields.find(child.members_via_parent_field);
    if (via == inst.fields.end() || !via->is_string()) continue;
    const ExternalInstance* from =
        m.profile->find_instance(child.members_from, via->get<std::string>());
    if (!from) continue;
    for (const auto& f : from->members) {
      ChildModel cm;
      if (child.states) cm.states = {child.states->initial};
      inst.children[f] = cm;
    }
  }
  json args = json::object();
  for (const auto& [name, a] : c.args)
    if (a.kind == Arg::Kind::Value) args[name] = a.value;
  inst.create_args = args;
  auto make_opaque = [&](InstanceModel& i) {
    i.opaque = open;
    i.fields = json::object();
    i.children.clear();
    const spec::TypeDef* st = r->states ? m.spec->find_type(r->states->type) : nullptr;
    if (st) i.states = std::set<std::string>(st->values.begin(), st->values.end());
    i.renewed_min_ms = 0;
  };
  const auto* idem = c.op->idempotency ? &*c.op->idempotency : nullptr;
  if (open && idem &&
      (open == &idem->after_removal || open == &idem->clause || open == &idem->concurrent_clause)) {
    // The answer may name the old session: know nothing of it. Nor of the old
    // session: if the target still had it (at the instant of its expiry, say), the
    // two are one, and what is done to the new one is done to the old.
    make_opaque(inst);
    if (int old = token_instance(m, c); old >= 0) make_opaque(m.instances.mut(old));
  }
  int index = static_cast<int>(m.instances.size());
  m.instances.push_back(std::move(inst));
  if (c.op->idempotency) {
    auto it = c.args.find(c.op->idempotency->token_param);
    if (it != c.args.end() && it->second.kind == Arg::Kind::Token)
      m.token_of[{c.user, it->second.index}] = index;
  }
}

// Applies one effect; `certain` false widens the model instead of moving it.
void apply_effect(Model& m, const Call& c, const Effect& ef, bool certain, const Clause* open) {
  if (ef.kind == Effect::Kind::Create) {
    create_instance(m, c, ef, certain, open);
    return;
  }
  int i = arg_instance(c, ef.kind == Effect::Kind::AdvanceChild ? ef.parent_param : ef.param);
  if (i < 0) return;
  InstanceModel& inst = m.instances.mut(i);
  const Resource* r = m.spec->find_resource(inst.resource);
  inst.unobserved = true;
  switch (ef.kind) {
    case Effect::Kind::Create:
      break;
    case Effect::Kind::Set: {
      if (!ef.when_param_present.empty() && !arg_value(c, ef.when_param_present)) return;
      json v = resolve_value(c, *ef.value);
      if (certain && !v.is_null()) {
        inst.fields[ef.field] = v;
        inst.set_by[ef.field] = &ef.clause;
        if (!ef.value->at.empty()) inst.at[ef.field] = ef.value->at;
      } else {
        inst.fields.erase(ef.field);
      }
      break;
    }
    case Effect::Kind::SetState: {
      // A state effect whose clause is not enforced says nothing of what the call did: the
      // target may have moved it elsewhere, or removed it
      // (regression_documented_variants_pass_and_blame_their_clause).
      bool lenient = m.lenient(ef.clause);
      if (certain && !lenient)
        inst.states = {ef.to};
      else
        inst.states.insert(ef.to);
      if (lenient) inst.maybe_gone = true;
      inst.set_by[r->states->field] = &ef.clause;
      inst.moved_by = &ef.clause;
      inst.moved_ms = m.now_ms;
      break;
    }
    case Effect::Kind::RenewLease:
      inst.renewed_max_ms = m.now_ms;
      if (certain) inst.renewed_min_ms = m.now_ms;
      inst.renewed_by = &ef.clause;
      break;
    case Effect::Kind::Remove:
      if (certain) {
        inst.removed = true;
        inst.removed_by = &ef.clause;
      } else {
        inst.maybe_gone = true;
      }
      break;
    case Effect::Kind::AdvanceChild: {
      const json* key = arg_value(c, ef.param);
      if (!key || !key->is_string()) return;
      auto ch = inst.children.find(key->get<std::string>());
      if (ch == inst.children.end()) return;
      const Resource* cr = m.spec->find_resource(ef.resource);
      std::set<std::string> next;
      for (const auto& s : ch->second.states)
        if (s == cr->states->initial)
          next.insert(ef.to_any_of.begin(), ef.to_any_of.end());
        else
          next.insert(s);
      if (!certain) next.insert(ch->second.states.begin(), ch->second.states.end());
      ch->second.states = spec::spontaneous_closure(*cr->states, next);
      // Only a certain advance starts the completion deadline: after an open or
      // uncertain one the target may rightly have done nothing.
      if (certain && ch->second.advanced_ms < 0) {
        ch->second.advanced_ms = m.now_ms;
        ch->second.advanced_by = &ef;
      }
      break;
    }
  }
}

}  // namespace

void apply(Model& m, const Call& c) {
  if (c.variant == Call::Variant::NoAuth) return;
  apply(m, c, expect(m, c));
}

void apply(Model& m, const Call& c, const Expectation& e) {
  settle(m, c, e, Observed::Unknown);
}

void settle(Model& m, const Call& c, const Expectation& e, Observed seen) {
  if (c.variant == Call::Variant::NoAuth) return;
  // A deliberately bad request changes nothing, unless the clause that refuses it is not
  // enforced: then the target may have run it
  // (regression_documented_variants_pass_and_blame_their_clause).
  bool bad = c.variant != Call::Variant::Normal && c.variant != Call::Variant::ConcurrentReplay;
  if (bad && !e.open) return;
  if (c.op->idempotency) {
    auto it = c.args.find(c.op->idempotency->token_param);
    if (it != c.args.end() && it->second.kind == Arg::Kind::Token)
      m.tokens = std::max(m.tokens, it->second.index + 1);
  }
  if (c.op->returns.kind == spec::Returns::Kind::Resource) {
    int i = arg_instance(c, c.op->returns.param);
    if (i >= 0 && e.success() && seen != Observed::Error && m.instances[i].unobserved)
      m.instances.mut(i).unobserved = false;
  }
  const std::size_t slots = m.instances.size();
  // An idempotent replay changes nothing; nor does an error, expected or not.
  if (e.replay_of < 0 && seen != Observed::Error && (e.success() || e.open)) {
    // A success the contract has an opinion on settles every possibility; where it is
    // silent (open), what the success did is not known.
    bool certain = seen == Observed::Success && !e.open ? true : e.certain();
    for (const auto& ef : c.op->effects)
      apply_effect(m, c, ef, certain, e.open);
  }
  if (m.instances.size() == slots)
    for (const auto& ef : c.op->effects)
      if (ef.kind == Effect::Kind::Create) {
        InstanceModel slot;
        slot.resource = ef.resource;
        slot.owner = c.user;
        slot.removed = true;
        slot.placeholder = true;
        m.instances.push_back(std::move(slot));
      }
}

void advance(Model& m, std::int64_t ms) {
  m.now_ms += ms;
  for (std::size_t i = 0; i < m.instances.size(); ++i) {
    const InstanceModel& inst = m.instances[i];
    if (inst.removed) continue;
    const Resource* r = m.spec->find_resource(inst.resource);
    if (r->lease && m.life(inst) == Model::Life::Gone) {
      InstanceModel& w = m.instances.mut(i);
      w.removed = true;
      w.removed_by = &r->lease->expires;
    }
    // Server-driven moves may happen whenever time passes. (Copied only if one does.)
    for (const auto& [key, ch] : m.instances[i].children)
      for (const auto& [cname, cres] : m.spec->resources)
        if (cres.kind == Resource::Kind::Child && cres.parent == inst.resource && cres.states) {
          auto next = spec::spontaneous_closure(*cres.states, ch.states);
          if (next != ch.states) m.instances.mut(i).children.at(key).states = std::move(next);
        }
  }
}

}  // namespace conformance::engine
