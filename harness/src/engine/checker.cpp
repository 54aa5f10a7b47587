// The checks. Reading order: check_answer() decides which of the model's acceptable
// outcomes the answer is, then checks the envelope, the status, the body's shape and
// the body's values against the model. Blame always lands on one clause.
#include "conformance/engine/checker.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <regex>
#include <set>

namespace conformance::engine {

using nlohmann::json;
using spec::Clause;
using spec::Resource;
using spec::Returns;
using spec::TypeRef;

std::optional<std::int64_t> parse_datetime(const std::string& s) {
  static const std::regex re(
      R"(^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.(\d+))?([Zz]|([+-])(\d{2}):(\d{2}))$)");
  std::smatch m;
  if (!std::regex_match(s, m, re)) return std::nullopt;
  std::tm tm{};
  tm.tm_year = std::stoi(m[1]) - 1900;
  tm.tm_mon = std::stoi(m[2]) - 1;
  tm.tm_mday = std::stoi(m[3]);
  tm.tm_hour = std::stoi(m[4]);
  tm.tm_min = std::stoi(m[5]);
  tm.tm_sec = std::stoi(m[6]);
  if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
      tm.tm_sec > 60)
    return std::nullopt;
  std::int64_t ms = static_cast<std::int64_t>(timegm(&tm)) * 1000;
  if (m[8].matched) {
    std::string frac = m[8].str().substr(0, 3);
    while (frac.size() < 3)
      frac += '0';
    ms += std::stoi(frac);
  }
  if (m[10].matched) {
    int offset = (std::stoi(m[11]) * 60 + std::stoi(m[12])) * 60 * 1000;
    ms += m[10] == "+" ? -offset : offset;
  }
  return ms;
}

std::string format_datetime(std::int64_t epoch_ms) {
  std::time_t t = static_cast<std::time_t>(epoch_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(epoch_ms % 1000));
  return buf;
}

TypeRef result_type(const spec::Spec& spec, const spec::Operation& op) {
  const auto& ret = op.returns;
  const Resource* res = ret.resource.empty() ? nullptr : spec.find_resource(ret.resource);
  TypeRef type;
  switch (ret.kind) {
    case Returns::Kind::Void:
      type.kind = TypeRef::Kind::Any;
      break;
    case Returns::Kind::NewId:
    case Returns::Kind::IdList:
      type.kind = TypeRef::Kind::Id;
      type.target = ret.resource;
      if (ret.kind == Returns::Kind::IdList) {
        TypeRef list;
        list.kind = TypeRef::Kind::List;
        list.element = std::make_shared<TypeRef>(type);
        type = list;
      }
      break;
    case Returns::Kind::Resource:
    case Returns::Kind::Child:
      type.kind = TypeRef::Kind::Named;
      type.target = res->model;
      break;
    case Returns::Kind::Children: {
      TypeRef el;
      el.kind = TypeRef::Kind::Named;
      el.target = res->model;
      type.kind = TypeRef::Kind::List;
      type.element = std::make_shared<TypeRef>(el);
      break;
    }
  }
  return type;
}

void validate_shape(const spec::Spec& spec, const json& v, const TypeRef& t,
                    const std::string& path, std::vector<std::string>& problems,
                    std::vector<std::string>& dt_problems) {
  auto bad = [&](const std::string& what) {
    problems.push_back(path + ": " + what + ", found " + v.dump().substr(0, 80));
  };
  switch (t.kind) {
    case TypeRef::Kind::String:
    case TypeRef::Kind::Uri:
    case TypeRef::Kind::Id:
    case TypeRef::Kind::Key:
      if (!v.is_string())
        bad("expected a string");
      else if (t.kind != TypeRef::Kind::String && v.get<std::string>().empty())
        bad("expected a non-empty string");
      break;
    case TypeRef::Kind::Long:
      if (!v.is_number_integer()) bad("expected an integer");
      break;
    case TypeRef::Kind::Boolean:
      if (!v.is_boolean()) bad("expected true or false");
      break;
    case TypeRef::Kind::DateTime:
      if (!v.is_string())
        bad("expected a date-time string");
      else if (!parse_datetime(v.get<std::string>()))
        dt_problems.push_back(path + ": '" + v.get<std::string>() +
                              "' is not an RFC 3339 date-time");
      break;
    case TypeRef::Kind::Any:
      break;
    case TypeRef::Kind::List:
      if (!v.is_array()) {
        bad("expected a list");
        break;
      }
      for (std::size_t i = 0; i < v.size(); ++i)
        validate_shape(spec, v[i], *t.element, path + "/" + std::to_string(i), problems,
                       dt_problems);
      break;
    case TypeRef::Kind::Named: {
      const spec::TypeDef* td = spec.find_type(t.target);
      if (td->kind == spec::TypeDef::Kind::Enum) {
        if (!v.is_string() || !td->has_value(v.get<std::string>()))
          bad("expected one of " + t.target);
        break;
      }
      if (!v.is_object()) {
        bad("expected an object (" + t.target + ")");
        break;
      }
      for (const auto& f : td->fields) {
        if (!v.contains(f.name)) {
          if (f.always) problems.push_back(path + "/" + f.name + ": required field missing");
          continue;
        }
        const json& fv = v[f.name];
        if (fv.is_null()) {
          problems.push_back(path + "/" + f.name +
                             ": null (an unset optional is omitted, not null)");
          continue;
        }
        validate_shape(spec, fv, f.type, path + "/" + f.name, problems, dt_problems);
        if (fv.is_number_integer()) {
          auto n = fv.get<std::int64_t>();
          if ((f.min && n < *f.min) || (f.max && n > *f.max))
            problems.push_back(path + "/" + f.name + ": " + std::to_string(n) + " is out of range");
        }
      }
      break;
    }
  }
}

void record_violation(const Model& m, CallVerdict& v, const Clause& clause,
                      const std::string& operation, const std::string& expected,
                      const std::string& actual) {
  v.exercised.push_back(&clause);
  if (m.lenient(clause)) {
    if (v.observed_open.empty()) v.observed_open = clause.id + ": " + actual;
    return;
  }
  v.violations.push_back({clause.id, operation, expected, actual});
}

namespace {

struct Ctx {
  const Model& pre;
  const Model& post;
  const Call& call;
  const Expectation& e;
  const spec::Binding& binding;
  const Memory& mem;
  CallVerdict& v;
  const spec::Spec& spec;

  void violate(const Clause* c, const std::string& expected, const std::string& actual) {
    record_violation(pre, v, c ? *c : spec.checks.success_status, call.op->full_name, expected,
                     actual);
  }
  void exercised(const Clause* c) {
    if (c) v.exercised.push_back(c);
  }
  std::int64_t server_now() const { return mem.clock_base_ms + pre.now_ms; }
  std::string id_of(int i) const { return i >= 0 && i < (int)mem.ids.size() ? mem.ids[i] : "?"; }
};

std::string seconds(double ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", ms / 1000.0);
  return buf;
}

std::string join(const std::vector<std::string>& xs, const std::string& sep = ", ") {
  std::string out;
  for (const auto& x : xs)
    out += (out.empty() ? "" : sep) + x;
  return out;
}

std::string join(const std::set<std::string>& xs) {
  return join(std::vector<std::string>(xs.begin(), xs.end()), "|");
}

// A vanished instance: was it its lease (time passed since renewal), or the operation?
const Clause* vanished_blame(Ctx& c, int target, const Clause* otherwise) {
  const InstanceModel& inst = c.pre.instances[target];
  // Gone right after an effect moved its state, with no time between: that effect.
  if (inst.unobserved && inst.moved_by && inst.moved_ms == c.pre.now_ms) return inst.moved_by;
  const Resource* r = c.spec.find_resource(inst.resource);
  if (!r->lease || c.pre.now_ms <= inst.renewed_max_ms) return otherwise;
  auto seen = c.mem.observed_expiry_ms.find(target);
  if (seen != c.mem.observed_expiry_ms.end() && c.server_now() > seen->second)
    return inst.renewed_by;
  return &r->lease->not_before;
}

// Success was expected but an error came back: which clause did the target break?
const Clause* unexpected_error_blame(Ctx& c, const std::string& error) {
  const auto& op = *c.call.op;
  for (const auto& p : op.preconditions) {
    if (p.error != error) continue;
    if (p.check == spec::Precondition::Check::Exists) {
      int i = arg_instance(c.call, p.param);
      if (i >= 0) return vanished_blame(c, i, &p.clause);
    }
    return &p.clause;
  }
  if (!op.effects.empty()) return &op.effects.front().clause;
  if (op.returns.clause) return &*op.returns.clause;
  return &c.spec.checks.success_status;
}

void check_child(Ctx& c, int inst_index, const std::string& key, const json& obj) {
  const InstanceModel& inst = c.post.instances[inst_index];
  auto ch = inst.children.find(key);
  if (ch == inst.children.end()) return;
  const Resource* cres = nullptr;
  for (const auto& [_, r] : c.spec.resources)
    if (r.kind == Resource::Kind::Child && r.parent == inst.resource) cres = &r;
  if (!cres || !cres->states || !obj.is_object() || !obj.contains(cres->states->field)) return;
  const json& sv = obj[cres->states->field];
  if (!sv.is_string()) return;
  std::string observed = sv.get<std::string>();
  const auto& possible = ch->second.states;
  const spec::Effect* adv = ch->second.advanced_by;
  const Clause* state_clause = adv                         ? &adv->clause
                               : c.call.op->returns.clause ? &*c.call.op->returns.clause
                                                           : nullptr;
  c.exercised(state_clause);
  if (!possible.count(observed)) {
    c.violate(state_clause, key + " " + cres->states->field + " in {" + join(possible) + "}",
              observed);
    return;
  }
  // Monotonic: what was seen before can only move forward.
  auto last = c.mem.child_state.find({inst_index, key});
  if (last != c.mem.child_state.end() && last->second != observed &&
      last->second != cres->states->initial && cres->states->spontaneous_clause) {
    std::set<std::string> reach = spec::spontaneous_closure(*cres->states, {last->second});
    c.exercised(&*cres->states->spontaneous_clause);
    if (!reach.count(observed))
      c.violate(&*cres->states->spontaneous_clause, key + " moves on from " + last->second,
                observed);
  }
  // Completion deadline.
  if (adv && !adv->completes_to.empty() && ch->second.advanced_ms >= 0) {
    double within = c.pre.profile->prepare_timeout_s * 1000;
    if (c.post.now_ms - ch->second.advanced_ms >= within) {
      c.exercised(&adv->clause);
      if (std::find(adv->completes_to.begin(), adv->completes_to.end(), observed) ==
          adv->completes_to.end())
        c.violate(&adv->clause,
                  key + " " + join(adv->completes_to, " or ") + " within " +
                      seconds(c.pre.profile->prepare_timeout_s * 1000) + " s",
                  observed + " after " +
                      seconds(static_cast<double>(c.post.now_ms - ch->second.advanced_ms)) + " s");
    }
  }
}

void check_values(Ctx& c, int index, const json& obj) {
  const InstanceModel& inst = c.post.instances[index];
  const Resource* r = c.spec.find_resource(inst.resource);
  const Clause* returns = c.call.op->returns.clause ? &*c.call.op->returns.clause : nullptr;
  c.exercised(returns);
  if (obj.contains(r->key) && obj[r->key].is_string() && obj[r->key] != c.id_of(index))
    c.violate(returns, r->key + " " + c.id_of(index), obj[r->key].get<std::string>());
  if (r->states && obj.contains(r->states->field)) {
    std::string s =
        obj[r->states->field].is_string() ? obj[r->states->field].get<std::string>() : "";
    auto by = inst.set_by.find(r->states->field);
    const Clause* clause = by != inst.set_by.end() ? by->second : returns;
    c.exercised(clause);
    if (!inst.states.count(s)) c.violate(clause, r->states->field + " " + join(inst.states), s);
  }
  for (const auto& [field, value] : inst.fields.items()) {
    auto by = inst.set_by.find(field);
    const Clause* clause = by != inst.set_by.end() ? by->second : returns;
    c.exercised(clause);
    auto at = inst.at.find(field);
    const json* seen = obj.contains(field) ? &obj[field] : nullptr;
    if (seen && at != inst.at.end())
      seen = seen->is_object() && seen->contains(at->second) ? &(*seen)[at->second] : nullptr;
    std::string where = field + (at != inst.at.end() ? "." + at->second : "");
    if (!seen)
      c.violate(clause, where + " " + value.dump(), "absent");
    else if (*seen != value)
      c.violate(clause, where + " " + value.dump(), seen->dump());
  }
  // Stable fields: whatever was seen first must stay.
  auto st = c.mem.stable.find(index);
  if (st != c.mem.stable.end())
    for (const auto& field : spec::stable_fields(c.spec, inst.resource))
      if (obj.contains(field) && st->second.contains(field) && st->second[field] != obj[field])
        c.violate(returns, field + " stays " + st->second[field].dump(), obj[field].dump());
  // Lease: expiry at least renewal + timeout.
  if (r->lease && obj.contains(r->lease->field) && obj[r->lease->field].is_string()) {
    auto exp = parse_datetime(obj[r->lease->field].get<std::string>());
    if (exp) {
      std::int64_t at_least =
          c.mem.clock_base_ms + inst.renewed_min_ms + c.pre.timeout_ms() - c.pre.tolerance_ms();
      c.exercised(inst.renewed_by);
      if (*exp < at_least)
        c.violate(inst.renewed_by, r->lease->field + " >= " + format_datetime(at_least),
                  format_datetime(*exp));
      if (c.pre.now_ms > inst.renewed_max_ms) c.exercised(&r->lease->not_before);
    }
  }
}

void check_id_list(Ctx& c, const json& result) {
  const auto& ret = c.call.op->returns;
  const Clause* complete = ret.clause ? &*ret.clause : nullptr;
  c.exercised(complete);
  std::map<std::string, int> index_of;
  for (std::size_t i = 0; i < c.mem.ids.size(); ++i)
    index_of[c.mem.ids[i]] = static_cast<int>(i);
  const json* filter = ret.filter_param.empty() ? nullptr : arg_value(c.call, ret.filter_param);
  if (filter) c.exercised(ret.filter_clause ? &*ret.filter_clause : nullptr);
  std::set<std::string> seen;
  for (const auto& item : result) {
    if (!item.is_string()) continue;
    std::string id = item.get<std::string>();
    if (!seen.insert(id).second) c.violate(complete, "each id once", "'" + id + "' twice");
    auto it = index_of.find(id);
    auto stray = c.mem.strays.find(id);
    int concurrent = it == index_of.end() && stray == c.mem.strays.end() && c.mem.concurrent
                         ? c.mem.concurrent->owner(id)
                         : -1;
    if (concurrent == SharedIds::kUnknown) continue;  // the table overflowed: cannot tell
    if (concurrent >= 0) {
      if (concurrent != c.call.user)
        c.violate(ret.owner_clause ? &*ret.owner_clause : complete,
                  "only the caller's " + ret.resource + " ids",
                  "'" + id + "', owned by " + c.pre.profile->users[concurrent].name);
      continue;
    }
    if (it == index_of.end() && stray != c.mem.strays.end()) {
      if (stray->second != c.call.user)
        c.violate(ret.owner_clause ? &*ret.owner_clause : complete,
                  "only the caller's " + ret.resource + " ids",
                  "'" + id + "', owned by " + c.pre.profile->users[stray->second].name);
      continue;
    }
    if (it == index_of.end()) {
      c.violate(ret.owner_clause ? &*ret.owner_clause : complete,
                "only the caller's " + ret.resource + " ids",
                "'" + id + "', which the caller never created");
      continue;
    }
    const InstanceModel& inst = c.pre.instances[it->second];
    if (inst.owner != c.call.user) {
      c.violate(ret.owner_clause ? &*ret.owner_clause : complete,
                "only the caller's " + ret.resource + " ids",
                "'" + id + "', owned by " + c.pre.profile->users[inst.owner].name);
      continue;
    }
    if (c.pre.life(inst) == Model::Life::Gone) {
      c.violate(inst.removed_by ? inst.removed_by : complete, "'" + id + "' gone", "listed");
      continue;
    }
    if (filter && inst.fields.contains(ret.filter_field) &&
        inst.fields[ret.filter_field] != *filter)
      c.violate(ret.filter_clause ? &*ret.filter_clause : complete,
                "only " + ret.resource + " ids with " + ret.filter_field + " " + filter->dump(),
                "'" + id + "' with " + inst.fields[ret.filter_field].dump());
  }
  for (std::size_t i = 0; i < c.pre.instances.size(); ++i) {
    const InstanceModel& inst = c.pre.instances[i];
    if (inst.resource != ret.resource) continue;
    if (inst.owner != c.call.user) {
      if (c.pre.life(inst) != Model::Life::Gone)
        c.exercised(ret.owner_clause ? &*ret.owner_clause : nullptr);
      continue;
    }
    if (c.pre.life(inst) != Model::Life::Alive) continue;
    if (filter &&
        (!inst.fields.contains(ret.filter_field) || inst.fields[ret.filter_field] != *filter))
      continue;
    if (!seen.count(c.id_of(static_cast<int>(i))))
      c.violate(vanished_blame(c, static_cast<int>(i), complete),
                "'" + c.id_of(static_cast<int>(i)) + "' listed", "missing");
  }
}

void check_result(Ctx& c, const json& result) {
  const auto& ret = c.call.op->returns;
  const auto& checks = c.spec.checks;
  // Shape first: the type the result must have.
  if (ret.kind == Returns::Kind::Void) return;
  const TypeRef type = result_type(c.spec, *c.call.op);
  const Resource* res = ret.resource.empty() ? nullptr : c.spec.find_resource(ret.resource);
  std::vector<std::string> problems, dt;
  validate_shape(c.spec, result, type, "", problems, dt);
  c.exercised(&checks.response_shape);
  if (!problems.empty())
    c.violate(&checks.response_shape, "a " + (type.text.empty() ? type.target : type.text),
              join(problems, "; "));
  if (result.is_object() || result.is_array()) c.exercised(&checks.datetime_format);
  if (!dt.empty()) c.violate(&checks.datetime_format, "RFC 3339 date-times", join(dt, "; "));
  if (!problems.empty()) return;  // values of a malformed body are not compared
  if (c.e.open && ret.kind != Returns::Kind::NewId) return;  // open: any well-formed answer

  switch (ret.kind) {
    case Returns::Kind::NewId: {
      std::string id = result.get<std::string>();
      if (c.e.replay_of >= 0) {
        const Clause* idem = c.call.variant == Call::Variant::ConcurrentReplay
                                 ? &c.call.op->idempotency->concurrent_clause
                                 : &c.call.op->idempotency->clause;
        if (id != c.id_of(c.e.replay_of))
          c.violate(idem, "the id of the first create, " + c.id_of(c.e.replay_of), id);
      } else if (!c.e.open) {  // open (a token whose session is gone): the old id is fine too
        for (std::size_t i = 0; i < c.mem.ids.size(); ++i)
          if (c.mem.ids[i] == id && c.pre.life(c.pre.instances[i]) != Model::Life::Gone) {
            const Clause* clause =
                c.call.op->effects.empty() ? nullptr : &c.call.op->effects.front().clause;
            c.violate(clause, "a new id", id + ", the id of an existing " + ret.resource);
          }
        c.v.new_id = id;
      } else {
        c.v.new_id = id;
      }
      break;
    }
    case Returns::Kind::Resource: {
      int i = arg_instance(c.call, ret.param);
      if (i >= 0) check_values(c, i, result);
      break;
    }
    case Returns::Kind::IdList:
      check_id_list(c, result);
      break;
    case Returns::Kind::Children: {
      int i = arg_instance(c.call, ret.parent_param);
      if (i < 0) break;
      const Clause* all = ret.clause ? &*ret.clause : nullptr;
      c.exercised(all);
      std::set<std::string> want, got;
      for (const auto& [k, _] : c.post.instances[i].children)
        want.insert(k);
      for (const auto& f : result)
        if (f.contains(res->key) && f[res->key].is_string()) {
          got.insert(f[res->key].get<std::string>());
          check_child(c, i, f[res->key].get<std::string>(), f);
        }
      if (want != got)
        c.violate(all, res->name + " keys {" + join(want) + "}", "{" + join(got) + "}");
      break;
    }
    case Returns::Kind::Child: {
      int i = arg_instance(c.call, ret.parent_param);
      const json* key = arg_value(c.call, ret.param);
      if (i < 0 || !key) break;
      const Clause* rc = ret.clause ? &*ret.clause : nullptr;
      c.exercised(rc);
      if (result.contains(res->key) && result[res->key] != *key)
        c.violate(rc, res->key + " " + key->dump(), result[res->key].dump());
      check_child(c, i, key->get<std::string>(), result);
      break;
    }
    case Returns::Kind::Void:
      break;
  }
}

}  // namespace

CallVerdict check_answer(const Model& pre, const Model& post, const Call& call,
                         const Expectation& e, const spec::Binding& binding, const Decoded& answer,
                         const Memory& memory) {
  CallVerdict v;
  Ctx c{pre, post, call, e, binding, memory, v, *pre.spec};
  const auto& checks = c.spec.checks;
  for (const Clause* t : e.tested)
    c.exercised(t);
  // A replay honoured or not is also the test of where the token travels.
  if (e.replay_of >= 0 && call.op->idempotency) {
    const auto& params = binding.operations.at(call.op->full_name).params;
    auto loc = params.find(call.op->idempotency->token_param);
    if (loc != params.end() && loc->second.clause) c.exercised(&*loc->second.clause);
  }

  if (answer.kind == Decoded::Kind::Transport) {
    v.outcome = "transport";
    const Clause* clause = !e.acceptable.empty() && !e.acceptable.front().success
                               ? e.acceptable.front().clause
                               : &checks.success_status;
    v.violations.push_back({clause->id, call.op->full_name, expected_text(e, c.spec),
                            "no HTTP answer: " + answer.transport_error});
    return v;
  }

  // An RPC binding's envelope and encoding rules, each its own clause.
  auto encoding = [&] {
    if (!binding.rpc) return;
    const spec::RpcBinding& r = *binding.rpc;
    c.exercised(&r.envelope);
    if (answer.status) c.exercised(&r.id_echoed);
    for (const auto& [clause, problem] : answer.encoding_problems)
      c.violate(clause, "the " + binding.name + " encoding (" + clause->summary + ")", problem);
  };
  const spec::EnvelopeNegative* negative =
      binding.rpc && call.variant == Call::Variant::MalformedBody
          ? binding.rpc->negative(call.variant_param)
          : nullptr;

  if (answer.kind == Decoded::Kind::Error) {
    v.outcome =
        answer.error_name.empty() ? "error-" + std::to_string(answer.status) : answer.error_name;
    encoding();
    c.exercised(&checks.error_envelope);
    if (!answer.envelope_problems.empty())
      c.violate(&checks.error_envelope, "the " + binding.name + " error envelope",
                join(answer.envelope_problems, "; "));
    if (binding.rpc && !answer.protocol_error) {
      // A service error travels in the result, with the binding's one status.
      const spec::RpcBinding& r = *binding.rpc;
      c.exercised(&r.error_status);
      if (answer.status != r.error_http_status)
        c.violate(&r.error_status, "HTTP " + std::to_string(r.error_http_status),
                  "HTTP " + std::to_string(answer.status) + " for " +
                      (answer.error_name.empty() ? "an error" : answer.error_name));
    } else if (!binding.rpc && !answer.error_name.empty() &&
               c.spec.errors.count(answer.error_name)) {
      int want = c.spec.errors.at(answer.error_name).http_status;
      c.exercised(&checks.error_status);
      if (answer.status != want)
        c.violate(&checks.error_status, answer.error_name + " with HTTP " + std::to_string(want),
                  "HTTP " + std::to_string(answer.status));
    }
    if (negative && negative->via != "any" &&
        answer.protocol_error != (negative->via == "protocol"))
      c.violate(
          &negative->clause,
          negative->via == "protocol" ? "the JSON-RPC error member"
                                      : "a service error in result.error",
          answer.protocol_error ? "the JSON-RPC error member" : "a service error in result.error");
    std::string actual = std::to_string(answer.status) + " " +
                         (answer.error_name.empty() ? "(unreadable error)" : answer.error_name);
    if (e.open) {
      v.observed_open = e.open->id + ": " + actual;
      return v;
    }
    for (const auto& o : e.acceptable)
      if (!o.success &&
          std::find(o.errors.begin(), o.errors.end(), answer.error_name) != o.errors.end())
        return v;
    const Outcome& primary = e.acceptable.front();
    const Clause* blame =
        primary.success ? unexpected_error_blame(c, answer.error_name) : primary.clause;
    // The error of a later precondition: the target went past the one that should have
    // refused, as if it held (an expired, removed or foreign instance still there). Blame
    // what makes it fail, as a success would (if_success).
    if (!primary.success && primary.if_success && primary.if_success != primary.clause) {
      const auto& pres = call.op->preconditions;
      auto failed = std::find_if(pres.begin(), pres.end(), [&](const spec::Precondition& p) {
        return &p.clause == primary.clause;
      });
      if (failed != pres.end() &&
          std::any_of(std::next(failed), pres.end(),
                      [&](const spec::Precondition& p) { return p.error == answer.error_name; }))
        blame = primary.if_success;
    }
    c.violate(blame, expected_text(e, c.spec), actual);
    return v;
  }

  // Success.
  v.outcome = "success";
  const auto& ob = binding.operations.at(call.op->full_name);
  if (e.open) v.observed_open = e.open->id + ": success " + std::to_string(answer.status);
  const Outcome* ok = e.success();
  if (!ok && !e.open) {
    const Outcome& primary = e.acceptable.front();
    c.violate(primary.if_success, expected_text(e, c.spec),
              "success (HTTP " + std::to_string(answer.status) + ")");
    return v;
  }
  c.exercised(&checks.success_status);
  if (answer.status != ob.success_status)
    c.violate(&checks.success_status, "HTTP " + std::to_string(ob.success_status),
              "HTTP " + std::to_string(answer.status));
  encoding();
  if (binding.rpc && call.op->returns.kind == Returns::Kind::Void)
    c.exercised(&binding.rpc->void_output);
  if (binding.rpc && answer.has_result) {
    c.exercised(&binding.rpc->optional_wrapping);
    c.exercised(&binding.rpc->structure_wrapping);
    c.exercised(&binding.rpc->datetime_form);
  }
  if (!answer.envelope_problems.empty())
    c.violate(&checks.response_shape, "the " + binding.name + " result envelope",
              join(answer.envelope_problems, "; "));
  if (answer.has_result) check_result(c, answer.result);
  return v;
}

}  // namespace conformance::engine
