// Lease probes in the background of a wall-clock run.
#include "conformance/engine/lease_probe.hpp"

#include <algorithm>
#include <chrono>
#include <sstream>

#include "conformance/engine/cleanup.hpp"
#include "conformance/engine/commands.hpp"

namespace conformance::engine {

using nlohmann::json;

LeaseProbe::LeaseProbe(const RunConfig& config, std::shared_ptr<SharedIds> ids)
    : config_(config), ids_(std::move(ids)) {
  config_.events = nullptr;
  config_.on_exchange = nullptr;
  // Not with --on-transport-error abort: nothing may be sent after the first transport error,
  // which a prober in the background cannot promise.
  if (config_.profile.virtual_clock() || config_.on_transport_error == OnTransportError::abort ||
      !config_.lease_probes)
    return;
  const spec::Spec& spec = *config_.spec;
  for (const auto& [_, r] : spec.resources)
    if (r.lease) resource_ = &r;
  if (!resource_) return;
  for (const spec::Operation* op : spec.operations()) {
    for (const auto& e : op->effects) {
      if (e.resource != resource_->name) continue;
      if (e.kind == spec::Effect::Kind::Create)
        for (const auto& [_, v] : e.fields)
          if (v.kind == spec::ValueExpr::Kind::Param) creator_ = op, item_param_ = v.param;
      if (e.kind == spec::Effect::Kind::RenewLease) renewer_ = op;
    }
    for (const auto& e : op->effects)
      if (e.kind == spec::Effect::Kind::AdvanceChild && !e.parent_param.empty()) advancer_ = op;
    if (op->returns.kind == spec::Returns::Kind::Resource &&
        op->returns.resource == resource_->name)
      getter_ = op;
  }
  for (const spec::Operation* op : spec.operations())
    if (advancer_ && op != advancer_ && op->effects.empty() &&
        op->returns.kind == spec::Returns::Kind::Child &&
        op->returns.resource == advancer_->returns.resource)
      child_getter_ = op;
  // The external instance the create names (e.g. a library item), from the profile.
  if (creator_)
    for (const auto& p : creator_->preconditions)
      if (p.check == spec::Precondition::Check::Exists && p.param == item_param_ &&
          !config_.profile.instances_of(p.resource).empty())
        external_ = &config_.profile.instances_of(p.resource).front();
  if (!external_) creator_ = nullptr;
  if (!child_getter_ || !external_ || external_->members.empty()) advancer_ = nullptr;
}

LeaseProbe::~LeaseProbe() {
  stop();
}

void LeaseProbe::start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!creator_ || !renewer_ || !getter_ || started_ || stopping_) return;
  started_ = true;
  thread_ = std::thread([this] { loop(); });
}

void LeaseProbe::await_first_cycle(double max_s) {
  if (!thread_.joinable()) return;
  std::int64_t T = static_cast<std::int64_t>((config_.profile.session_timeout_s
                                                  ? *config_.profile.session_timeout_s
                                                  : resource_->lease->timeout_seconds) *
                                             1000);
  std::int64_t cycle_ms =
      T * 3 / 2 +
      static_cast<std::int64_t>(
          (3 * config_.profile.clock_tolerance_s + config_.profile.cleanup_grace_s) * 1000) +
      1000;
  if (cycle_ms > max_s * 1000) return;
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, std::chrono::milliseconds(cycle_ms),
               [this] { return cycles_ > 0 || ended_ || failed_ || stopping_; });
}

void LeaseProbe::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

// Lets `ms` pass on the wall clock (the model follows); false when stopped meanwhile.
bool LeaseProbe::wait(std::int64_t ms, Sut& sut) {
  std::unique_lock<std::mutex> lock(mu_);
  if (cv_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stopping_; })) return false;
  advance(sut.model, ms);
  RawStep step;
  step.advance_ms = ms;
  sut.trace.push_back(std::move(step));
  return true;
}

namespace {

void send(Sut& sut, const spec::Operation& op, std::map<std::string, Arg> args) {
  Call c;
  c.op = &op;
  c.user = 0;
  c.args = std::move(args);
  Model generated = sut.model;
  CallCommand(std::move(c)).run(generated, sut);
}

Arg instance(int i) {
  return {Arg::Kind::Instance, json(), i};
}

}  // namespace

// One probe: create (model time 0), read; at T/2 renew, read (the renewal's expiry); just
// before the renewed expiry read (still there); just after it, and the cleanup grace, read
// (gone). Throws SequenceFailed at a violation.
bool LeaseProbe::cycle(Sut& sut) {
  const Model& m = sut.model;
  std::int64_t T = m.timeout_ms(), tol = m.tolerance_ms(), grace = m.grace_ms();
  // create: the item id at the dotted parameter path.
  std::vector<std::string> path;
  for (std::size_t start = 0, dot = 0; dot != std::string::npos; start = dot + 1) {
    dot = item_param_.find('.', start);
    path.push_back(item_param_.substr(start, dot == std::string::npos ? dot : dot - start));
  }
  json value = external_->id;
  for (std::size_t k = path.size(); k-- > 1;)
    value = json{{path[k], value}};
  const std::string& top = path.front();
  {
    // The run's lists may show the new session before its id is read here: they wait.
    SharedIds::Creating in_flight(*ids_);
    send(sut, *creator_, {{top, Arg{Arg::Kind::Value, value, -1}}});
  }
  int i = static_cast<int>(sut.model.instances.size()) - 1;
  if (i < 0 || sut.model.life(sut.model.instances[i]) == Model::Life::Gone) return true;
  const std::string& by_id = getter_->returns.param;
  std::string renew_param;
  for (const auto& e : renewer_->effects)
    if (e.kind == spec::Effect::Kind::RenewLease) renew_param = e.param;
  send(sut, *getter_, {{by_id, instance(i)}});
  // The child's completion, on the way: advanced now, read back once its deadline passed.
  auto child_args = [&](const spec::Operation& op) {
    std::map<std::string, Arg> a{{op.returns.parent_param, instance(i)}};
    a[op.returns.param] = Arg{Arg::Kind::Value, external_->members.front(), -1};
    return a;
  };
  std::int64_t child_due =
      static_cast<std::int64_t>(config_.profile.prepare_timeout_s * 1000) + tol + 200;
  if (advancer_) send(sut, *advancer_, child_args(*advancer_));
  if (!wait(T / 2, sut)) return false;
  send(sut, *renewer_, {{renew_param, instance(i)}});
  send(sut, *getter_, {{by_id, instance(i)}});
  if (!wait(std::max<std::int64_t>(0, T - tol - 200), sut)) return false;
  if (advancer_ && sut.model.now_ms >= child_due)
    send(sut, *child_getter_, child_args(*child_getter_));
  send(sut, *getter_, {{by_id, instance(i)}});
  if (!wait(2 * tol + grace + 400, sut)) return false;
  send(sut, *getter_, {{by_id, instance(i)}});
  clean_up_sequence(sut);
  return true;
}

void LeaseProbe::loop() {
  try {
    Target target = open_target(config_);
    target.share_ids(ids_);
    for (;;) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (stopping_) break;
      }
      Recorder rec;
      Sut sut = begin_sequence(target, config_, rec);
      bool done = false;
      try {
        done = cycle(sut);
      } catch (const SequenceFailed&) {
        failure_ = rec.last;
        failed_ = true;
      }
      merge(coverage_, rec.coverage);
      if (failed_ || !done) break;
      {
        std::lock_guard<std::mutex> lock(mu_);
        ++cycles_;
      }
      cv_.notify_all();
    }
    target.sweep();
  } catch (const std::exception& e) {
    error_ = e.what();  // the target went away: the run's own calls will say so
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    ended_ = true;
  }
  cv_.notify_all();
}

std::string LeaseProbe::summary() const {
  if (!creator_ || !renewer_ || !getter_) return "";
  std::ostringstream os;
  os << "lease probes (background, wall clock): " << cycles_
     << " complete cycles of create, read, keep_alive at T/2, read just before and just after "
        "the renewed expiry";
  std::string sep = "; exercised ";
  for (const auto& [id, n] : coverage_.clauses)
    if (id.rfind("lease.", 0) == 0 || id == "keep_alive.extends_lease") {
      os << sep << id << " x" << n;
      sep = ", ";
    }
  if (!error_.empty()) os << "; stopped: " << error_;
  return os.str();
}

}  // namespace conformance::engine
