// The run loop: RapidCheck's rc::state drives commands generated from the spec.
#include "conformance/engine/runner.hpp"

#include <rapidcheck.h>
#include <rapidcheck/detail/Configuration.h>
#include <rapidcheck/state.h>

#include <chrono>
#include <cmath>
#include <iostream>
#include <random>
#include <sstream>
#include <thread>

#include "conformance/engine/wire.hpp"

namespace conformance::engine {

using nlohmann::json;
using spec::Operation;
using spec::Param;
using spec::ParamLocation;
using spec::Resource;
using spec::TypeRef;

namespace {

using Clock = std::chrono::steady_clock;

std::int64_t epoch_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string random_nonce() {
  static std::mt19937_64 rng{std::random_device{}()};
  char buf[24];
  std::snprintf(buf, sizeof buf, "%016llx-", static_cast<unsigned long long>(rng()));
  return buf;
}

// ---- the target ---------------------------------------------------------------

class Target {
 public:
  Target(const spec::Spec& spec, const Profile& profile)
      : spec_(spec), profile_(profile), binding_(spec.bindings.at(profile.binding)) {}

  void connect() {
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

  const spec::Binding& binding() const { return binding_; }
  bool resets() const { return control_ != nullptr; }
  const std::string& token(int user) const { return tokens_.at(user); }
  HttpResponse send(const HttpRequest& r) {
    HttpResponse a = transport_->send(r);
    observe(false, r, a);
    return a;
  }
  void observe(bool control, const HttpRequest& r, const HttpResponse& a) const {
    if (observer_) observer_(control, r, a);
  }
  void set_observer(ExchangeObserver o) { observer_ = std::move(o); }
  // Connections for the concurrent calls of a burst, kept open between bursts (as a
  // client pool would): a burst then costs its requests, not n connects, and its
  // calls leave closer together.
  std::vector<std::unique_ptr<Transport>>& burst_transports(int n) {
    while (static_cast<int>(burst_.size()) < n)
      burst_.push_back(std::make_unique<Transport>(profile_));
    return burst_;
  }

  // Puts the target in a known state and returns the epoch ms of model time 0.
  std::int64_t begin_sequence() {
    if (control_) {
      auto r = control({"POST", "/reset", "", {}, std::string("{}")});
      if (r.status < 200 || r.status > 299)
        throw std::runtime_error("clock control: POST /reset failed");
      return server_clock_ms();
    }
    cleanup();
    return epoch_ms_now();
  }

  void advance(std::int64_t ms) {
    if (control_) {
      auto r = control({"POST", "/clock/advance", "", {}, json{{"milliseconds", ms}}.dump()});
      if (r.status != 200) throw std::runtime_error("clock control: POST /clock/advance failed");
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    }
  }

 private:
  std::int64_t server_clock_ms() {
    auto r = control({"GET", "/clock", "", {}, std::nullopt});
    json b = json::parse(r.body, nullptr, false);
    if (r.status != 200 || !b.is_object() || !b.contains("now") || !b["now"].is_string())
      throw std::runtime_error("clock control: GET /clock gave no 'now'");
    auto ms = parse_datetime(b["now"].get<std::string>());
    if (!ms) throw std::runtime_error("clock control: 'now' is not a date-time");
    return *ms;
  }

  // Without a reset, start from no sessions: list each user's and remove them, with
  // the operations the spec says list and remove a managed resource.
  void cleanup() {
    const Operation* lister = nullptr;
    const Operation* remover = nullptr;
    for (const Operation* op : spec_.operations()) {
      bool no_required = std::none_of(op->params.begin(), op->params.end(),
                                      [](const Param& p) { return p.required; });
      if (op->returns.kind == spec::Returns::Kind::IdList && no_required) lister = op;
      for (const auto& e : op->effects)
        if (e.kind == spec::Effect::Kind::Remove) remover = op;
    }
    if (!lister || !remover) return;
    for (std::size_t u = 0; u < tokens_.size(); ++u) {
      auto res = send(encode(binding_, *lister, json::object(), tokens_[u]));
      Decoded d = decode(spec_, binding_, *lister, res);
      if (d.kind != Decoded::Kind::Success || !d.result.is_array()) continue;
      for (const auto& id : d.result) {
        json args = json::object();
        args[remover->effects.front().param] = id;
        send(encode(binding_, *remover, args, tokens_[u]));
      }
    }
  }

  const spec::Spec& spec_;
  const Profile& profile_;
  const spec::Binding& binding_;
  std::unique_ptr<Transport> transport_;
  std::vector<std::string> tokens_;
  std::unique_ptr<Transport> control_;
  std::vector<std::unique_ptr<Transport>> burst_;
  ExchangeObserver observer_;

  HttpResponse control(const HttpRequest& r) {
    HttpResponse a = control_->send(r);
    observe(true, r, a);
    return a;
  }
};

// ---- what a run accumulates ----------------------------------------------------

struct Recorder {
  Coverage coverage;
  long calls = 0;
  int sequences = 0;
  int failing_runs = 0;
  bool aborted = false;          // OnTransportError::abort met a transport error
  std::optional<Failure> first;  // the first failure (before shrinking)
  std::optional<Failure> last;   // the last failing run (after shrinking: the minimal one)
  std::optional<Clock::time_point> first_failure_at;
  Clock::time_point start = Clock::now();
};

// One step of a sequence as it ran, kept raw: it is rendered into a TraceStep
// (descriptions, the symbolic command as JSON, secrets redacted) only when a trace
// is wanted (a failure, a replay). Rendering every step as it ran cost more than
// checking the answer.
struct RawStep {
  std::shared_ptr<const Call> call;  // null: time passed
  std::int64_t advance_ms = 0;
  HttpRequest request;  // not yet redacted
  HttpResponse response;
  Expectation expected;
  std::string outcome;
  std::vector<Violation> violations;
};

struct Sut {
  Target* target = nullptr;
  const RunConfig* config = nullptr;
  Recorder* rec = nullptr;
  Memory mem;
  std::vector<RawStep> trace;
  // The model that follows the answers (settle()): answers are checked against it.
  // RapidCheck's model, which calls are generated from, cannot know the answers; the
  // two have the same instance slots.
  Model model;
};

// A sequence about to start on the target: the target in a known state, model time 0
// tied to the target's clock, client tokens unique to this sequence where the
// target cannot be reset.
Sut begin_sequence(Target& target, const RunConfig& config, Recorder& rec) {
  Sut sut;
  sut.target = &target;
  sut.config = &config;
  sut.rec = &rec;
  sut.model = initial_model(*config.spec, config.profile, config.strictness);
  sut.mem.clock_base_ms = target.begin_sequence();
  sut.mem.token_nonce = target.resets() ? "" : random_nonce();
  return sut;
}

class Fail : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

using Cmd = rc::state::Command<Model, Sut>;
using CmdSP = std::shared_ptr<const Cmd>;

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

std::string expected_summary(const Expectation& e, const spec::Spec& spec) {
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

TraceStep render(const RawStep& r, const RunConfig& config) {
  TraceStep step;
  if (!r.call) {
    step.is_call = false;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f", r.advance_ms / 1000.0);
    step.description = std::string("time passes: ") + buf + " s";
    step.command = {{"advance_ms", r.advance_ms}};
    return step;
  }
  step.description = show_call(*r.call, config.profile);
  step.exchange = {redacted(r.request), r.response};
  if (step.exchange.response.body.size() > 4096) step.exchange.response.body.resize(4096);
  step.expected = expected_summary(r.expected, *config.spec);
  step.outcome = r.outcome;
  step.violations = r.violations;
  step.command = call_to_json(*r.call);
  return step;
}

std::vector<TraceStep> render(const std::vector<RawStep>& raw, const RunConfig& config) {
  std::vector<TraceStep> out;
  out.reserve(raw.size());
  for (const auto& r : raw)
    out.push_back(render(r, config));
  return out;
}

// Records first-seen stable values, expiries and child states.
void remember(Memory& mem, const Model& post, const Call& c, const Decoded& d) {
  const auto& ret = c.op->returns;
  if (d.kind != Decoded::Kind::Success || !d.has_result) return;
  const spec::Spec& spec = *post.spec;
  if (ret.kind == spec::Returns::Kind::Resource && d.result.is_object()) {
    int i = arg_instance(c, ret.param);
    if (i < 0) return;
    const Resource* r = spec.find_resource(post.instances[i].resource);
    for (const auto* op : spec.operations())
      for (const auto& ef : op->effects)
        if (ef.kind == spec::Effect::Kind::Create && ef.resource == r->name)
          for (const auto& [field, ve] : ef.fields)
            if (ve.kind == spec::ValueExpr::Kind::Stable && d.result.contains(field) &&
                !mem.stable[i].contains(field))
              mem.stable[i][field] = d.result[field];
    if (r->lease && d.result.contains(r->lease->field) && d.result[r->lease->field].is_string())
      if (auto ms = parse_datetime(d.result[r->lease->field].get<std::string>()))
        mem.observed_expiry_ms[i] = *ms;
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

void count_exercised(Recorder& rec, const CallVerdict& v) {
  std::set<const spec::Clause*> once(v.exercised.begin(), v.exercised.end());
  for (const auto* c : once)
    if (c) ++rec.coverage.clauses[c->id];
}

[[noreturn]] void fail_sequence(Sut& sut, const Violation& v) {
  Recorder& rec = *sut.rec;
  ++rec.failing_runs;
  Failure f;
  f.violation = v;
  f.trace = render(sut.trace, *sut.config);
  f.seed = sut.config->seed;
  f.sequences_before = rec.sequences;
  f.seconds_to_first = std::chrono::duration<double>(Clock::now() - rec.start).count();
  f.calls_to_first = rec.calls;
  if (!rec.first) {
    rec.first = f;
    rec.first_failure_at = Clock::now();
  }
  rec.last = f;
  throw Fail(v.clause + ": expected " + v.expected + "; got " + v.actual);
}

const char* kind_name(Arg::Kind k) {
  switch (k) {
    case Arg::Kind::Absent:
      return "absent";
    case Arg::Kind::Value:
      return "value";
    case Arg::Kind::Instance:
      return "instance";
    case Arg::Kind::Fresh:
      return "fresh";
    case Arg::Kind::Token:
      return "token";
  }
  return "?";
}

}  // namespace

json call_to_json(const Call& c) {
  json args = json::object();
  for (const auto& [name, a] : c.args) {
    if (a.kind == Arg::Kind::Absent) continue;
    json x = {{"kind", kind_name(a.kind)}};
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
        a.kind = k == "instance" ? Arg::Kind::Instance
                 : k == "fresh"  ? Arg::Kind::Fresh
                 : k == "token"  ? Arg::Kind::Token
                                 : Arg::Kind::Absent;
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
  for (auto cand :
       {Call::Variant::Normal, Call::Variant::NoAuth, Call::Variant::OmitRequired,
        Call::Variant::WrongType, Call::Variant::MalformedBody, Call::Variant::ConcurrentReplay})
    if (to_string(cand) == v) c.variant = cand;
  if (to_string(c.variant) != v) bad("unknown variant '" + v + "'");
  c.variant_param = j.value("variant_param", "");
  return c;
}

namespace {

// ---- commands ---------------------------------------------------------------------

struct CallCommand : Cmd {
  std::shared_ptr<const Call> shared;  // also held by the trace's steps
  const Call& call;
  explicit CallCommand(Call c)
      : shared(std::make_shared<const Call>(std::move(c))), call(*shared) {}

  void checkPreconditions(const Model& m) const override {
    for (const auto& [_, a] : call.args)
      if (a.kind == Arg::Kind::Instance && a.index >= static_cast<int>(m.instances.size()))
        RC_DISCARD("stale reference");
    if (call.user >= static_cast<int>(m.profile->users.size())) RC_DISCARD("no such user");
    if (!engine::consistent_replay(m, call)) RC_DISCARD("a token replay with other arguments");
  }
  void apply(Model& m) const override { engine::apply(m, call); }

  void run(const Model& generated, Sut& sut) const override {
    const Model& pre = sut.model;
    if (generated.instances.size() != pre.instances.size())
      throw std::logic_error("the generating and the checking model disagree on instances (" +
                             std::to_string(generated.instances.size()) + " and " +
                             std::to_string(pre.instances.size()) + ")");
    const auto& binding = sut.target->binding();
    Expectation e = expect(pre, call);
    Model post = pre;  // if the call succeeds
    settle(post, call, e, Observed::Success);
    json args = resolve(call, sut.mem);
    Breakage breakage = call.variant == Call::Variant::OmitRequired    ? Breakage::OmitParam
                        : call.variant == Call::Variant::WrongType     ? Breakage::WrongType
                        : call.variant == Call::Variant::MalformedBody ? Breakage::MalformedBody
                                                                       : Breakage::None;
    std::string token = call.variant == Call::Variant::NoAuth ? "" : sut.target->token(call.user);
    HttpRequest req = encode(binding, *call.op, args, token, breakage, call.variant_param);
    ++sut.rec->coverage
          .generated[call.op->full_name + (call.variant == Call::Variant::Normal
                                               ? ""
                                               : " [" + to_string(call.variant) + "]")];

    std::vector<HttpResponse> answers;
    if (call.variant == Call::Variant::ConcurrentReplay) {
      int n = std::max(2, sut.config->concurrency);
      answers.resize(n);
      auto& ts = sut.target->burst_transports(n);
      std::vector<std::thread> threads;
      for (int i = 0; i < n; ++i)
        threads.emplace_back([&, i] { answers[i] = ts[i]->send(req); });
      for (auto& t : threads)
        t.join();
      for (const auto& a : answers)
        sut.target->observe(false, req, a);
    } else {
      answers.push_back(sut.target->send(req));
    }
    sut.rec->calls += static_cast<long>(answers.size());

    Decoded d = decode(*pre.spec, binding, *call.op, answers.front());
    CallVerdict v = check_answer(pre, post, call, e, binding, d, sut.mem);
    // A concurrent replay: every answer must carry the one id.
    if (call.variant == Call::Variant::ConcurrentReplay && v.violations.empty() && v.new_id) {
      for (std::size_t i = 1; i < answers.size(); ++i) {
        Decoded di = decode(*pre.spec, binding, *call.op, answers[i]);
        std::string got = di.kind == Decoded::Kind::Success && di.result.is_string()
                              ? di.result.get<std::string>()
                          : di.kind == Decoded::Kind::Transport
                              ? "no answer: " + di.transport_error
                              : "HTTP " + std::to_string(di.status);
        if (!v.new_id || got != *v.new_id) {
          // Another session, if the clause lets it be: the caller's list may show it.
          if (di.kind == Decoded::Kind::Success && di.result.is_string())
            sut.mem.strays.emplace(got, call.user);
          // A race, or a token that is ignored altogether? One more replay, alone:
          // if it is answered with an id the burst already had, the token works
          // sequentially and the concurrent clause is the broken one.
          Decoded again = decode(*pre.spec, binding, *call.op, sut.target->send(req));
          ++sut.rec->calls;
          bool known = again.kind == Decoded::Kind::Success && again.result.is_string() &&
                       std::any_of(answers.begin(), answers.end(), [&](const HttpResponse& a) {
                         Decoded da = decode(*pre.spec, binding, *call.op, a);
                         return da.kind == Decoded::Kind::Success && da.result == again.result;
                       });
          // Leniency holds here too (regression_concurrent_replay_respects_leniency).
          if (again.kind == Decoded::Kind::Success && again.result.is_string() &&
              again.result != *v.new_id)
            sut.mem.strays.emplace(again.result.get<std::string>(), call.user);
          if (!known) {
            record_violation(
                pre, v, call.op->idempotency->clause, call.op->full_name,
                "a replay of a client_token answers the id of the session it created (" +
                    *v.new_id + ")",
                "concurrent creates answered different ids, and one more replay alone " +
                    (again.kind == Decoded::Kind::Success && again.result.is_string()
                         ? "answered yet another: " + again.result.get<std::string>()
                         : "failed: HTTP " + std::to_string(again.status)));
          } else {
            record_violation(pre, v, call.op->idempotency->concurrent_clause, call.op->full_name,
                             "every one of " + std::to_string(answers.size()) +
                                 " concurrent creates with one client_token answers " +
                                 (v.new_id ? *v.new_id : "one id"),
                             "answer " + std::to_string(i + 1) + ": " + got);
          }
          if (!v.violations.empty()) break;
        }
      }
    }
    if (d.kind != Decoded::Kind::Success) {
      post = pre;
      settle(post, call, e, d.kind == Decoded::Kind::Error ? Observed::Error : Observed::Unknown);
    }
    if (v.new_id) sut.mem.ids.push_back(*v.new_id);
    while (sut.mem.ids.size() < post.instances.size())
      sut.mem.ids.push_back("");
    remember(sut.mem, post, call, d);

    Recorder& rec = *sut.rec;
    count_exercised(rec, v);
    ++rec.coverage.matrix[call.op->full_name][e.pre_state][v.outcome];
    if (!v.observed_open.empty()) ++rec.coverage.observed_open[v.observed_open];
    for (const auto& viol : v.violations)
      ++rec.coverage.violations[viol.clause];

    bool no_answer = std::any_of(answers.begin(), answers.end(),
                                 [](const HttpResponse& a) { return !a.transport_error.empty(); });
    RawStep step;
    step.call = shared;
    step.request = std::move(req);
    step.response = std::move(answers.front());
    step.expected = std::move(e);
    step.outcome = v.outcome + (d.status ? " (HTTP " + std::to_string(d.status) + ")" : "");
    step.violations = v.violations;
    sut.trace.push_back(std::move(step));
    if (!v.violations.empty()) {
      if (no_answer && sut.config->on_transport_error == OnTransportError::abort)
        rec.aborted = true;
      fail_sequence(sut, v.violations.front());
    }
    sut.model = std::move(post);
  }

  void show(std::ostream& os) const override {
    os << call.op->full_name << " by user " << call.user;
  }
};

struct AdvanceCommand : Cmd {
  std::int64_t ms;
  explicit AdvanceCommand(std::int64_t m) : ms(m) {}
  void apply(Model& m) const override { advance(m, ms); }
  void run(const Model&, Sut& sut) const override {
    sut.target->advance(ms);
    advance(sut.model, ms);
    RawStep step;
    step.advance_ms = ms;
    sut.trace.push_back(std::move(step));
  }
  void show(std::ostream& os) const override { os << "advance " << ms << " ms"; }
};

// ---- generation -----------------------------------------------------------------------

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

json gen_value(const Model& m, const TypeRef& t, int user) {
  switch (t.kind) {
    case TypeRef::Kind::Long:
      return uniform<int>(0, 101);
    case TypeRef::Kind::Boolean:
      return *rc::gen::arbitrary<bool>();
    case TypeRef::Kind::Id: {
      const Resource* r = m.spec->find_resource(t.target);
      if (r && r->kind == Resource::Kind::External) {
        std::vector<int> w(m.profile->items.size(), 8);
        w.push_back(1);
        int i = pick(w);
        return i < static_cast<int>(m.profile->items.size()) ? m.profile->items[i].id
                                                             : m.profile->missing_item_id;
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
      for (const auto& item : m.profile->items)
        keys.insert(keys.end(), item.files.begin(), item.files.end());
    int k = pick({keys.empty() ? 0 : 10, advanced.empty() ? 0 : 10, 1});
    a.value = k == 0   ? keys[uniform<std::size_t>(0, keys.size())]
              : k == 1 ? advanced[uniform<std::size_t>(0, advanced.size())]
                       : std::string("no-such-file.bin");
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

// What generation needs to know of each operation, worked out once per run from
// the spec and the binding (not at every generated step).
struct OpFacts {
  bool creates = false, observes_children = false, reads = false, renews = false;
  std::vector<std::string> omittable;  // required, not in the path, not a dispatch query
  std::vector<std::string> in_body;    // parameters the binding puts in the body
};

struct GenPlan {
  std::vector<const Operation*> ops;
  std::vector<OpFacts> facts;  // by position in ops
};

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
  return plan;
}

rc::Gen<CmdSP> gen_command(const Model& model, const GenPlan& plan) {
  // RapidCheck copies the generator (and this lambda) freely: share one model copy.
  return rc::gen::exec([mp = std::make_shared<const Model>(model), &plan]() -> CmdSP {
    const Model& m = *mp;
    std::int64_t T = m.timeout_ms();
    bool time_steps = m.profile->virtual_clock() || T <= 10000;
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
        steps = {T / 4, T / 2, T + m.grace_ms() + m.tolerance_ms() + 200};
      // A pending completion deadline is worth passing at once, half of the time.
      if (pending && m.profile->virtual_clock() && uniform<int>(0, 2) == 0)
        return std::make_shared<AdvanceCommand>(steps.back());
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

// The target of a run or a replay, logged in.
Target open_target(const RunConfig& config) {
  if (!config.spec->bindings.count(config.profile.binding))
    throw std::invalid_argument("binding '" + config.profile.binding + "' is not in the spec");
  Target target(*config.spec, config.profile);
  target.connect();
  target.set_observer(config.on_exchange);
  return target;
}

class Listener : public rc::detail::TestListener {
 public:
  void onTestCaseFinished(const rc::detail::CaseDescription&) override {}
  void onShrinkTried(const rc::detail::CaseDescription&, bool) override {}
  void onTestFinished(const rc::detail::TestMetadata&, const rc::detail::TestResult&) override {}
};

}  // namespace

RunResult run(const RunConfig& config) {
  const spec::Spec& spec = *config.spec;
  Target target = open_target(config);
  Recorder rec;
  Progress progress;
  progress.clauses_total = spec.clauses().size();
  const GenPlan plan = make_plan(spec, target.binding());

  auto property = [&] {
    if (config.stop && config.stop->load()) RC_SUCCEED("stopped");
    // Aborted at a transport error: every shrink candidate "passes", so the first
    // failure is reported as found, and nothing more is sent.
    if (rec.aborted) RC_SUCCEED("stopped at a transport error");
    // Once the shrink budget is spent every further candidate "passes", so
    // RapidCheck settles on the smallest failure found so far.
    if (rec.first_failure_at &&
        std::chrono::duration<double>(Clock::now() - *rec.first_failure_at).count() >
            config.shrink_budget_s)
      RC_SUCCEED("shrink budget spent");
    Sut sut = begin_sequence(target, config, rec);
    Model m0 = initial_model(spec, config.profile, config.strictness);
    try {
      rc::state::check(m0, sut, [&plan](const Model& m) { return gen_command(m, plan); });
    } catch (const Fail& f) {
      RC_FAIL(f.what());
    }
    ++rec.sequences;
    if (config.on_progress) {
      progress.sequences = rec.sequences;
      progress.calls = rec.calls;
      progress.seconds = std::chrono::duration<double>(Clock::now() - rec.start).count();
      progress.failures = rec.failing_runs;
      progress.clauses_reached = rec.coverage.clauses.size();
      progress.coverage = &rec.coverage;
      config.on_progress(progress);
    }
  };

  {
    // RapidCheck announces its own (unused) configuration on stderr when first
    // asked for it; our parameters come from the RunConfig, so keep it quiet.
    std::ostringstream sink;
    auto* old = std::cerr.rdbuf(sink.rdbuf());
    rc::detail::configuration();
    std::cerr.rdbuf(old);
  }
  rc::detail::TestParams params;
  params.seed = config.seed;
  params.maxSuccess = config.sequences;
  params.maxSize = config.max_steps;
  params.maxDiscardRatio = 10;
  params.disableShrinking = !config.shrink;
  rc::detail::TestMetadata meta;
  meta.id = meta.description = "conformance";
  Listener listener;
  auto result = rc::detail::checkTestable(property, meta, params, listener);

  RunResult out;
  out.seed = config.seed;
  out.coverage = rec.coverage;
  out.sequences = rec.sequences;
  out.calls = rec.calls;
  out.seconds = std::chrono::duration<double>(Clock::now() - rec.start).count();
  out.interrupted = config.stop && config.stop->load();
  out.aborted = rec.aborted;
  rc::detail::FailureResult failure;
  rc::detail::Error error;
  if (result.match(failure)) {
    if (rec.last) {
      Failure f = *rec.last;
      f.sequences_before = rec.first->sequences_before;
      f.seconds_to_first = rec.first->seconds_to_first;
      f.calls_to_first = rec.first->calls_to_first;
      f.shrinks = static_cast<int>(failure.reproduce.shrinkPath.size());
      out.failure = f;
    } else {
      Failure f;
      f.violation = {"harness.internal", "", "no exception", failure.description};
      f.seed = config.seed;
      out.failure = f;
    }
  } else if (result.match(error)) {
    Failure f;
    f.violation = {"harness.internal", "", "a run", error.description};
    f.seed = config.seed;
    out.failure = f;
  }
  out.passed = !out.failure;
  return out;
}

void discover_children(const spec::Spec& spec, Profile& profile) {
  bool needed = std::any_of(profile.items.begin(), profile.items.end(),
                            [](const Item& i) { return i.files.empty(); });
  if (!needed) return;
  // The roles: an operation that creates a managed instance from an external id,
  // one that lists its children, one that removes it.
  const Operation *creator = nullptr, *lister = nullptr, *remover = nullptr;
  const spec::Effect* create = nullptr;
  const Resource* child = nullptr;
  for (const auto& [_, r] : spec.resources)
    if (r.kind == Resource::Kind::Child) child = &r;
  if (!child) return;
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
    throw TargetError(
        "the profile lists no file names, and the spec gives no way to discover them");
  const spec::Binding& binding = spec.bindings.at(profile.binding);
  Transport transport(profile);
  std::string token;
  try {
    token = login(transport, binding, profile.users.at(0).name, profile.users.at(0).password);
  } catch (const std::exception& e) {
    throw TargetError(e.what());
  }
  for (auto& item : profile.items) {
    if (!item.files.empty()) continue;
    // create: put the item id at the dotted parameter path the spec names.
    json args = json::object();
    const std::string& path = via->second.param;
    json* at = &args;
    std::size_t start = 0;
    for (auto dot = path.find('.'); dot != std::string::npos;
         start = dot + 1, dot = path.find('.', start))
      at = &(*at)[path.substr(start, dot - start)];
    (*at)[path.substr(start)] = item.id;
    Decoded made =
        decode(spec, binding, *creator, transport.send(encode(binding, *creator, args, token)));
    if (made.kind != Decoded::Kind::Success || !made.result.is_string())
      throw TargetError("discovering the files of item " + item.id + ": " + creator->full_name +
                        " failed (HTTP " + std::to_string(made.status) + ")");
    std::string id = made.result.get<std::string>();
    Decoded listed = decode(
        spec, binding, *lister,
        transport.send(encode(binding, *lister, {{lister->returns.parent_param, id}}, token)));
    transport.send(encode(binding, *remover, {{remover->effects.front().param, id}}, token));
    if (listed.kind != Decoded::Kind::Success || !listed.result.is_array())
      throw TargetError("discovering the files of item " + item.id + ": " + lister->full_name +
                        " failed (HTTP " + std::to_string(listed.status) + ")");
    for (const auto& f : listed.result)
      if (f.is_object() && f.contains(child->key) && f[child->key].is_string())
        item.files.push_back(f[child->key].get<std::string>());
    if (item.files.empty()) throw TargetError("item " + item.id + " has no files to download");
  }
}

void merge(Coverage& into, const Coverage& from) {
  for (const auto& [k, n] : from.clauses)
    into.clauses[k] += n;
  for (const auto& [k, n] : from.violations)
    into.violations[k] += n;
  for (const auto& [k, n] : from.observed_open)
    into.observed_open[k] += n;
  for (const auto& [k, n] : from.generated)
    into.generated[k] += n;
  for (const auto& [op, states] : from.matrix)
    for (const auto& [st, outcomes] : states)
      for (const auto& [out, n] : outcomes)
        into.matrix[op][st][out] += n;
}

ReplayResult replay(const RunConfig& config, const std::vector<json>& commands) {
  const spec::Spec& spec = *config.spec;
  Target target = open_target(config);
  Recorder rec;
  Sut sut = begin_sequence(target, config, rec);
  Model m = initial_model(spec, config.profile, config.strictness);
  ReplayResult out;
  try {
    for (const auto& j : commands) {
      std::shared_ptr<const Cmd> cmd;
      if (j.is_object() && j.contains("advance_ms")) {
        if (!j["advance_ms"].is_number_integer() || j["advance_ms"].get<std::int64_t>() < 0)
          throw std::invalid_argument("trace command: 'advance_ms' must be a non-negative integer");
        cmd = std::make_shared<AdvanceCommand>(j["advance_ms"].get<std::int64_t>());
      } else {
        Call c = call_from_json(spec, j);
        if (c.user >= static_cast<int>(config.profile.users.size()))
          throw std::invalid_argument("trace command: user " + std::to_string(c.user) +
                                      " is not in the profile");
        for (const auto& [_, a] : c.args)
          if (a.kind == Arg::Kind::Instance && a.index >= static_cast<int>(m.instances.size()))
            throw std::invalid_argument("trace command: instance #" + std::to_string(a.index) +
                                        " does not exist yet");
        cmd = std::make_shared<CallCommand>(std::move(c));
      }
      cmd->run(m, sut);
      cmd->apply(m);
    }
  } catch (const Fail&) {
    out.failure = rec.last;
  }
  out.trace = render(sut.trace, config);
  return out;
}

}  // namespace conformance::engine
