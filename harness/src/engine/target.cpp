// The target adapter: login, reset or cleanup between sequences, time steps, discovery.
#include "conformance/engine/target.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

#include "conformance/engine/cleanup.hpp"
#include "conformance/engine/wire.hpp"

namespace conformance::engine {

using nlohmann::json;
using spec::Operation;
using spec::Param;
using spec::Resource;

std::int64_t epoch_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Target::Target(const spec::Spec& spec, const Profile& profile)
    : spec_(spec), profile_(profile), binding_(spec.bindings.at(profile.binding)) {}

void Target::connect() {
  // One connection for every user: a user is its session token (a header), not
  // its connection, as for any HTTP client that serves several identities.
  transport_ = std::make_unique<Transport>(profile_);
  for (const auto& u : profile_.users) {
    try {
      tokens_.push_back(login(*transport_, binding_, u.name, u.password));
    } catch (const std::exception& e) {
      throw TargetError(e.what());
    }
  }
  if (profile_.virtual_clock()) {
    Profile control = profile_;
    control.url = profile_.clock_control;
    control_ = std::make_unique<Transport>(control);
    auto r = control_->send({"GET", "/clock", "", {}, std::nullopt});
    if (r.status != 200)
      throw TargetError(
          "clock control at " + profile_.clock_control + " does not answer GET /clock (" +
          (r.transport_error.empty() ? "HTTP " + std::to_string(r.status) : r.transport_error) +
          ")");
  }
}

HttpResponse Target::send(const HttpRequest& r) {
  HttpResponse a = transport_->send(r);
  observe(false, r, a);
  return a;
}

void Target::observe(bool control, const HttpRequest& r, const HttpResponse& a) const {
  if (observer_) observer_(control, r, a);
}

std::vector<std::unique_ptr<Transport>>& Target::burst_transports(int n) {
  while (static_cast<int>(burst_.size()) < n)
    burst_.push_back(std::make_unique<Transport>(profile_));
  return burst_;
}

std::int64_t Target::begin_sequence() {
  if (control_) {
    auto r = control({"POST", "/reset", "", {}, std::string("{}")});
    if (r.status < 200 || r.status > 299)
      throw std::runtime_error("clock control: POST /reset failed");
    return server_clock_ms();
  }
  survey();
  sweep();
  return epoch_ms_now();
}

void Target::advance(std::int64_t ms) {
  if (control_) {
    auto r = control({"POST", "/clock/advance", "", {}, json{{"milliseconds", ms}}.dump()});
    if (r.status != 200) throw std::runtime_error("clock control: POST /clock/advance failed");
  } else {
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (std::chrono::steady_clock::now() < until && !(stop_ && *stop_))
      std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
          std::chrono::milliseconds(50), until - std::chrono::steady_clock::now()));
  }
}

std::int64_t Target::server_clock_ms() {
  auto r = control({"GET", "/clock", "", {}, std::nullopt});
  json b = json::parse(r.body, nullptr, false);
  if (r.status != 200 || !b.is_object() || !b.contains("now") || !b["now"].is_string())
    throw std::runtime_error("clock control: GET /clock gave no 'now'");
  auto ms = parse_datetime(b["now"].get<std::string>());
  if (!ms) throw std::runtime_error("clock control: 'now' is not a date-time");
  return *ms;
}

// Without a reset: the instances each user's list shows before the run's first sequence
// are pre-existing. The run never deletes them (cleanup.hpp checks them).
void Target::survey() {
  if (surveyed_ || resets()) return;
  surveyed_ = true;
  if (given_) {  // surveyed once for every worker, before they were forked
    listed_by_ = *given_;
    for (const auto& [id, users] : listed_by_)
      if (!users.empty()) preexisting_.emplace(id, users.front());
    return;
  }
  CleanupRoles roles = cleanup_roles(spec_);
  if (!roles.lister) return;
  for (std::size_t u = 0; u < tokens_.size(); ++u) {
    auto res = send(encode(binding_, *roles.lister, json::object(), tokens_[u]));
    Decoded d = decode(spec_, binding_, *roles.lister, res);
    if (d.kind != Decoded::Kind::Success || !d.result.is_array()) continue;
    for (const auto& id : d.result) {
      // Not pre-existing: a concurrent lease probe's.
      if (!id.is_string() || (shared_ && shared_->owner(id.get<std::string>()) != -1)) continue;
      preexisting_.emplace(id.get<std::string>(), static_cast<int>(u));
      listed_by_[id.get<std::string>()].push_back(static_cast<int>(u));
    }
  }
}

void Target::created(const std::string& id, int user) {
  if (id.empty() || preexisting_.count(id)) return;
  created_.emplace(id, user);
  if (shared_) shared_->add(id, user);
}

void Target::removed(const std::string& id) {
  auto it = created_.find(id);
  if (it == created_.end()) return;
  retired_.insert(*it);
  created_.erase(it);
}

void Target::sweep() {
  CleanupRoles roles = cleanup_roles(spec_);
  if (!roles.remover || resets()) return;
  for (const auto& [id, user] : created_) {
    json args = json::object();
    args[roles.remover->effects.front().param] = id;
    send(encode(binding_, *roles.remover, args, tokens_.at(user)));
    retired_.emplace(id, user);
  }
  created_.clear();
}

std::map<std::string, int> Target::leftovers() const {
  std::map<std::string, int> out = preexisting_;
  out.insert(retired_.begin(), retired_.end());
  out.insert(created_.begin(), created_.end());
  return out;
}

HttpResponse Target::control(const HttpRequest& r) {
  HttpResponse a = control_->send(r);
  observe(true, r, a);
  return a;
}

Target open_target(const RunConfig& config) {
  if (!config.spec->bindings.count(config.profile.binding))
    throw std::invalid_argument("binding '" + config.profile.binding + "' is not in the spec");
  Target target(*config.spec, config.profile);
  target.connect();
  target.set_observer(config.on_exchange);
  target.set_stop(config.stop);
  target.set_preexisting(config.preexisting);
  // Replays and diagnoses too: other workers' sessions may show in their lists.
  if (config.shared_ids) target.share_ids(config.shared_ids);
  return target;
}

namespace {

// A well-typed value: a structure's always-present fields filled in, an enum's first value.
json filler(const spec::Spec& spec, const spec::TypeRef& t) {
  using K = spec::TypeRef::Kind;
  switch (t.kind) {
    case K::Long:
      return 0;
    case K::Boolean:
      return false;
    case K::List:
      return json::array();
    case K::Named: {
      const spec::TypeDef* td = spec.find_type(t.target);
      if (!td) return json::object();
      if (td->kind == spec::TypeDef::Kind::Enum) return td->values.front();
      json obj = json::object();
      for (const auto& f : td->fields)
        if (f.always) obj[f.name] = filler(spec, f.type);
      return obj;
    }
    default:
      return "conformance discovery";
  }
}

}  // namespace

json creation_args(const spec::Spec& spec, const Operation& creator, const std::string& path,
                   const std::string& id) {
  // The id at the dotted parameter path the spec names; the other required
  // parameters get a well-typed value (the caller has no reason to choose).
  json args = json::object();
  for (const Param& p : creator.params)
    if (p.required && p.name != path.substr(0, path.find('.')))
      args[p.name] =
          p.type.kind == spec::TypeRef::Kind::Long ? json(p.min.value_or(0)) : filler(spec, p.type);
  json* at = &args;
  std::size_t start = 0;
  for (auto dot = path.find('.'); dot != std::string::npos;
       start = dot + 1, dot = path.find('.', start))
    at = &(*at)[path.substr(start, dot - start)];
  (*at)[path.substr(start)] = id;
  return args;
}

void discover_children(const spec::Spec& spec, Profile& profile) {
  const Resource* child = nullptr;
  for (const auto& [_, r] : spec.resources)
    if (r.kind == Resource::Kind::Child) child = &r;
  if (!child || !profile.instances.count(child->members_from)) return;
  auto& from = profile.instances.at(child->members_from);
  bool needed = std::any_of(from.begin(), from.end(),
                            [](const ExternalInstance& i) { return i.members.empty(); });
  if (!needed) return;
  // The roles: an operation that creates a managed instance from an external id,
  // one that lists its children, one that removes it.
  const Operation *creator = nullptr, *lister = nullptr, *remover = nullptr;
  const spec::Effect* create = nullptr;
  for (const Operation* op : spec.operations())
    for (const auto& e : op->effects) {
      if (e.kind == spec::Effect::Kind::Create && e.resource == child->parent)
        creator = op, create = &e;
      if (e.kind == spec::Effect::Kind::Remove && e.resource == child->parent) remover = op;
    }
  for (const Operation* op : spec.operations())
    if (op->returns.kind == spec::Returns::Kind::Children && op->returns.resource == child->name)
      lister = op;
  auto via = create ? create->fields.find(child->members_via_parent_field)
                    : decltype(create->fields.end()){};
  if (!creator || !lister || !remover || via == create->fields.end() ||
      via->second.kind != spec::ValueExpr::Kind::Param)
    throw TargetError("the profile lists no members of a " + child->members_from +
                      " instance, and the spec "
                      "gives no way to discover its " +
                      child->name + " members");
  const spec::Binding& binding = spec.bindings.at(profile.binding);
  Transport transport(profile);
  std::string token;
  try {
    token = login(transport, binding, profile.users.at(0).name, profile.users.at(0).password);
  } catch (const std::exception& e) {
    throw TargetError(e.what());
  }
  for (auto& item : from) {
    if (!item.members.empty()) continue;
    json args = creation_args(spec, *creator, via->second.param, item.id);
    Decoded made =
        decode(spec, binding, *creator, transport.send(encode(binding, *creator, args, token)));
    if (made.kind != Decoded::Kind::Success || !made.result.is_string())
      throw TargetError("discovering the members of " + child->members_from + " " + item.id + ": " +
                        creator->full_name + " failed (HTTP " + std::to_string(made.status) + ")");
    std::string id = made.result.get<std::string>();
    Decoded listed = decode(
        spec, binding, *lister,
        transport.send(encode(binding, *lister, {{lister->returns.parent_param, id}}, token)));
    transport.send(encode(binding, *remover, {{remover->effects.front().param, id}}, token));
    if (listed.kind != Decoded::Kind::Success || !listed.result.is_array())
      throw TargetError("discovering the members of " + child->members_from + " " + item.id + ": " +
                        lister->full_name + " failed (HTTP " + std::to_string(listed.status) + ")");
    for (const auto& f : listed.result)
      if (f.is_object() && f.contains(child->key) && f[child->key].is_string())
        item.members.push_back(f[child->key].get<std::string>());
    if (item.members.empty())
      throw TargetError(child->members_from + " " + item.id + " has no " + child->name +
                        " members");
  }
}

}  // namespace conformance::engine
