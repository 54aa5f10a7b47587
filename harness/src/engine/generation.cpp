#include "conformance/engine/generation.hpp"

#include <rapidcheck.h>

#include <algorithm>
#include <cctype>

#include "conformance/engine/symbols.hpp"

namespace conformance::engine {

using nlohmann::json;
using spec::Operation;
using spec::Param;
using spec::ParamLocation;
using spec::Resource;
using spec::TypeRef;

namespace {

// A uniform draw over the whole range: rc::gen::inRange alone scales the range with
// the generation size, which would starve late choices in short sequences.
template <typename T>
T uniform(T lo, T hi) {
  return *rc::gen::resize(rc::kNominalSize, rc::gen::inRange<T>(lo, hi));
}

int pick(const std::vector<int>& weights) {
  int total = 0;
  for (int w : weights)
    total += w;
  int r = uniform<int>(0, total);
  for (std::size_t i = 0; i < weights.size(); ++i) {
    if (r < weights[i]) return static_cast<int>(i);
    r -= weights[i];
  }
  return static_cast<int>(weights.size()) - 1;
}

const std::vector<std::string>& texts() {
  static const std::vector<std::string> t = {"disk full",
                                             "checksum mismatch on disk-0.vmdk",
                                             "connexion interrompue: délai dépassé",
                                             "quote \" and \\ backslash",
                                             "line\nbreak and\ttab",
                                             "\xe2\x9c\x93 done? no"};
  return t;
}

Arg gen_arg(const Model& m, const Call& partial, const Param& p, int user);

// A key no member of the child resource has, named after the resource ("no-such-file"
// for a child resource File), distinct from every member the profile names.
std::string missing_member_key(const Profile& profile, const Resource& child) {
  std::string key = "no-such-";
  for (char ch : child.name)
    key += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  auto known = [&](const std::string& k) {
    for (const auto& from : profile.instances_of(child.members_from))
      if (std::find(from.members.begin(), from.members.end(), k) != from.members.end()) return true;
    return false;
  };
  while (known(key))
    key += "-x";
  return key;
}

json gen_value(const Model& m, const TypeRef& t, int user) {
  switch (t.kind) {
    case TypeRef::Kind::Long:
      return uniform<int>(0, 101);
    case TypeRef::Kind::Boolean:
      return *rc::gen::arbitrary<bool>();
    case TypeRef::Kind::Id: {
      const Resource* r = m.spec->find_resource(t.target);
      if (r && r->kind == Resource::Kind::External) {
        const auto& known = m.profile->instances_of(r->name);
        std::vector<int> w(known.size(), 8);
        w.push_back(1);
        int i = pick(w);
        return i < static_cast<int>(known.size()) ? known[i].id : m.profile->missing_instance_id;
      }
      return fresh_id(uniform<int>(0, 3));
    }
    case TypeRef::Kind::Named: {
      const spec::TypeDef* td = m.spec->find_type(t.target);
      if (td->kind == spec::TypeDef::Kind::Enum)
        return td->values[uniform<std::size_t>(0, td->values.size())];
      json obj = json::object();
      for (const auto& f : td->fields)
        if (f.always || uniform<int>(0, 10) != 0) obj[f.name] = gen_value(m, f.type, user);
      return obj;
    }
    default:
      return texts()[uniform<std::size_t>(0, texts().size())];
  }
}

Arg gen_arg(const Model& m, const Call& partial, const Param& p, int user) {
  Arg a;
  if (!p.required && uniform<int>(0, 4) == 0) return a;  // absent
  const Resource* r = (p.type.kind == TypeRef::Kind::Id || p.type.kind == TypeRef::Kind::Key)
                          ? m.spec->find_resource(p.type.target)
                          : nullptr;
  if (p.type.kind == TypeRef::Kind::Id && r && r->kind == Resource::Kind::Managed) {
    std::vector<int> own_alive, own_gone, others;
    for (std::size_t i = 0; i < m.instances.size(); ++i) {
      const auto& inst = m.instances[i];
      if (inst.resource != r->name || inst.placeholder) continue;
      if (inst.owner != user)
        others.push_back(static_cast<int>(i));
      else if (m.life(inst) == Model::Life::Gone)
        own_gone.push_back(static_cast<int>(i));
      else
        own_alive.push_back(static_cast<int>(i));
    }
    int k = pick({own_alive.empty() ? 0 : 12, own_gone.empty() ? 0 : 2, others.empty() ? 0 : 2, 1});
    const std::vector<int>* pool = k == 0   ? &own_alive
                                   : k == 1 ? &own_gone
                                   : k == 2 ? &others
                                            : nullptr;
    if (!pool) {
      a.kind = Arg::Kind::Fresh;
      a.index = uniform<int>(0, 3);
      return a;
    }
    a.kind = Arg::Kind::Instance;
    a.index = (*pool)[uniform<std::size_t>(0, pool->size())];
    return a;
  }
  a.kind = Arg::Kind::Value;
  if (p.type.kind == TypeRef::Kind::Key && r && r->kind == Resource::Kind::Child) {
    // Keys of the parent instance's children, or one it does not have.
    std::vector<std::string> keys;
    for (const auto& q : partial.op->params) {
      int i = arg_instance(partial, q.name);
      if (i >= 0 && m.instances[i].resource == r->parent)
        for (const auto& [key, _] : m.instances[i].children)
          keys.push_back(key);
    }
    // Children the model has seen advanced are worth looking at again.
    std::vector<std::string> advanced;
    for (const auto& q : partial.op->params) {
      int i = arg_instance(partial, q.name);
      if (i >= 0 && m.instances[i].resource == r->parent)
        for (const auto& [key, ch] : m.instances[i].children)
          if (ch.advanced_ms >= 0) advanced.push_back(key);
    }
    if (keys.empty())
      for (const auto& from : m.profile->instances_of(r->members_from))
        keys.insert(keys.end(), from.members.begin(), from.members.end());
    int k = pick({keys.empty() ? 0 : 10, advanced.empty() ? 0 : 10, 1});
    a.value = k == 0   ? keys[uniform<std::size_t>(0, keys.size())]
              : k == 1 ? advanced[uniform<std::size_t>(0, advanced.size())]
                       : missing_member_key(*m.profile, *r);
    return a;
  }
  if (p.generate == "token") {
    // Fresh tokens mostly; replays of a live session's token; now and then the
    // token of a session that is gone (the contract is silent there: recorded).
    std::vector<int> live, gone;
    for (const auto& [key, inst] : m.token_of)
      if (key.first == user)
        (m.life(m.instances[inst]) == Model::Life::Alive ? live : gone).push_back(key.second);
    a.kind = Arg::Kind::Token;
    int k = pick({6, live.empty() ? 0 : 4, gone.empty() ? 0 : 1});
    a.index = k == 0   ? m.tokens
              : k == 1 ? live[uniform<std::size_t>(0, live.size())]
                       : gone[uniform<std::size_t>(0, gone.size())];
    return a;
  }
  if (p.type.kind == TypeRef::Kind::Long && (p.min || p.max)) {
    std::int64_t lo = p.min.value_or(0), hi = p.max.value_or(lo + 1000);
    int k = pick({18, 1, 1});
    a.value = k == 0 ? uniform<std::int64_t>(lo, hi + 1) : k == 1 ? lo - 1 : hi + 1;
    return a;
  }
  a.value = gen_value(m, p.type, user);
  return a;
}

}  // namespace

GenPlan make_plan(const spec::Spec& spec, const spec::Binding& binding) {
  GenPlan plan;
  plan.ops = spec.operations();
  for (const Operation* op : plan.ops) {
    OpFacts f;
    auto has_effect = [&](spec::Effect::Kind k) {
      return std::any_of(op->effects.begin(), op->effects.end(),
                         [&](const spec::Effect& e) { return e.kind == k; });
    };
    f.creates = has_effect(spec::Effect::Kind::Create);
    f.renews = has_effect(spec::Effect::Kind::RenewLease);
    f.observes_children = op->returns.kind == spec::Returns::Kind::Children ||
                          op->returns.kind == spec::Returns::Kind::Child;
    f.reads = op->returns.kind == spec::Returns::Kind::Resource;
    const auto& ob = binding.operations.at(op->full_name);
    for (const auto& p : op->params) {
      auto loc = ob.params.find(p.name);
      if (loc == ob.params.end()) continue;
      // Leaving out a query parameter that tells two operations apart (the same
      // method, path and dispatch query) makes a valid request for the other one.
      bool dispatch =
          loc->second.in == ParamLocation::In::Query &&
          std::any_of(binding.operations.begin(), binding.operations.end(), [&](const auto& kv) {
            return kv.first != op->full_name && kv.second.method == ob.method &&
                   kv.second.path == ob.path && kv.second.query == ob.query;
          });
      if (p.required && loc->second.in != ParamLocation::In::Path && !dispatch)
        f.omittable.push_back(p.name);
      if (loc->second.in == ParamLocation::In::Body) f.in_body.push_back(p.name);
    }
    plan.facts.push_back(std::move(f));
  }
  if (binding.rpc) {
    plan.negatives.push_back("");
    for (const auto& n : binding.rpc->negatives)
      plan.negatives.push_back(n.name);
  }
  return plan;
}

rc::Gen<CmdSP> gen_command(const Model& model, const GenPlan& plan) {
  // RapidCheck copies the generator (and this lambda) freely: share one model copy.
  return rc::gen::exec([mp = std::make_shared<const Model>(model), &plan]() -> CmdSP {
    const Model& m = *mp;
    std::int64_t T = m.timeout_ms();
    bool time_steps = m.waits != 0 && (m.profile->virtual_clock() || T <= 10000);
    // A pending deadline (a child advanced, its completion not yet due) asks for time to pass.
    bool pending = false;
    for (const auto& inst : m.instances)
      for (const auto& [_, ch] : inst.children)
        pending = pending || (ch.advanced_ms >= 0 &&
                              m.now_ms - ch.advanced_ms < m.profile->prepare_timeout_s * 1000);
    if (time_steps && uniform<int>(0, 100) < (pending ? 30 : 12)) {
      std::vector<std::int64_t> steps = {
          1000, T / 3, T / 2,
          T,    T + 1, static_cast<std::int64_t>(m.profile->prepare_timeout_s * 1000) + 1};
      if (!m.profile->virtual_clock())
        steps = {T / 4, T / 2, T + m.grace_ms() + m.tolerance_ms() + 200,
                 static_cast<std::int64_t>(m.profile->prepare_timeout_s * 1000) + m.tolerance_ms() +
                     200};
      // A pending completion deadline is worth passing at once, half of the time.
      if (pending && uniform<int>(0, 2) == 0) return std::make_shared<AdvanceCommand>(steps.back());
      return std::make_shared<AdvanceCommand>(steps[uniform<std::size_t>(0, steps.size())]);
    }
    Call call;
    call.user = uniform<int>(0, 10) < 8
                    ? 0
                    : 1 + uniform<int>(0, static_cast<int>(m.profile->users.size()) - 1);
    const auto& ops = plan.ops;
    int own_alive = 0;
    bool due_child = false;
    bool advanced_child = false;
    bool renewable = false;   // time has passed since the lease of a live own instance was renewed
    bool unobserved = false;  // a live own instance was changed and not read back since
    for (const auto& inst : m.instances) {
      bool mine = inst.owner == call.user && m.life(inst) == Model::Life::Alive;
      own_alive += mine;
      renewable = renewable || (mine && m.now_ms > inst.renewed_max_ms);
      unobserved = unobserved || (mine && inst.unobserved);
      for (const auto& [_, ch] : inst.children) {
        advanced_child = advanced_child || (mine && ch.advanced_ms >= 0);
        // A completion deadline has passed: looking now tests it.
        due_child = due_child || (mine && ch.advanced_ms >= 0 &&
                                  m.now_ms - ch.advanced_ms >= m.profile->prepare_timeout_s * 1000);
      }
    }
    std::vector<int> w;
    for (const OpFacts& f : plan.facts)
      // Without a live instance of its own, most calls could only test "not found":
      // create first, mostly. A renewal is only observable once time has passed.
      w.push_back(f.creates                               ? (own_alive == 0  ? 30
                                                             : own_alive < 2 ? 12
                                                                             : 4)
                  : f.observes_children && due_child      ? 16
                  : f.observes_children && advanced_child ? 7
                  : f.renews && renewable                 ? 8
                  : f.reads && unobserved                 ? 10
                                                          : 4);
    int chosen = pick(w);
    call.op = ops[chosen];
    const OpFacts& facts = plan.facts[chosen];
    for (const auto& p : call.op->params)
      call.args[p.name] = gen_arg(m, call, p, call.user);
    // An idempotent replay repeats the first call's arguments.
    if (int bound = token_instance(m, call); bound >= 0)
      for (const auto& [name, v] : m.instances[bound].create_args.items())
        call.args[name] = Arg{Arg::Kind::Value, v, -1};
    // Deliberately bad requests.
    const auto& omittable = facts.omittable;
    std::vector<std::string> body_params;
    for (const auto& name : facts.in_body)
      if (call.args[name].kind == Arg::Kind::Value) body_params.push_back(name);
    bool has_body = !facts.in_body.empty();  // the loader admits only the op's parameters
    int v = pick({100, 3, omittable.empty() ? 0 : 4, body_params.empty() ? 0 : 3, has_body ? 2 : 0,
                  call.op->idempotency ? 3 : 0});
    switch (v) {
      case 1:
        call.variant = Call::Variant::NoAuth;
        break;
      case 2:
        call.variant = Call::Variant::OmitRequired;
        call.variant_param = omittable[uniform<std::size_t>(0, omittable.size())];
        break;
      case 3:
        call.variant = Call::Variant::WrongType;
        call.variant_param = body_params[uniform<std::size_t>(0, body_params.size())];
        break;
      case 4:
        call.variant = Call::Variant::MalformedBody;
        if (!plan.negatives.empty())
          call.variant_param = plan.negatives[uniform<std::size_t>(0, plan.negatives.size())];
        break;
      case 5: {
        call.variant = Call::Variant::ConcurrentReplay;
        call.args[call.op->idempotency->token_param] = Arg{Arg::Kind::Token, json(), m.tokens};
        // Only a call the model expects to succeed says anything about the race:
        // fall back to a plain call when the generated one would be refused.
        Call probe = call;
        probe.variant = Call::Variant::Normal;
        Expectation pe = expect(m, probe);
        if (!pe.creates || !pe.certain()) call.variant = Call::Variant::Normal;
        break;
      }
      default:
        break;
    }
    return std::make_shared<CallCommand>(std::move(call));
  });
}

}  // namespace conformance::engine
