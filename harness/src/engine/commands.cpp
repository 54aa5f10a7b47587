// The commands: a call sent and judged, time passing.
#include "conformance/engine/commands.hpp"

#include <unistd.h>

#include <algorithm>
#include <optional>
#include <random>

#include "conformance/engine/burst.hpp"
#include "conformance/engine/events.hpp"
#include "conformance/engine/symbols.hpp"
#include "conformance/engine/trace.hpp"
#include "conformance/engine/wire.hpp"

namespace conformance::engine {

using nlohmann::json;

namespace {

// Unique per sequence, across the worker processes too: a worker forked from a process that
// already drew nonces gets a copy of its generator, so the generator is reseeded in each new
// process, and the process id (unique among the live workers) is part of the nonce.
std::string random_nonce() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  thread_local pid_t drawn_in = getpid();
  if (getpid() != drawn_in) {
    drawn_in = getpid();
    rng.seed(std::random_device{}());
  }
  char buf[40];
  std::snprintf(buf, sizeof buf, "%016llx-%x-", static_cast<unsigned long long>(rng()),
                static_cast<unsigned>(drawn_in));
  return buf;
}

// Records the failure of the running sequence (the first of the run, or a smaller one
// found while shrinking), tells the reporters, and ends the sequence.
[[noreturn]] void fail_sequence(Sut& sut, const Violation& v) {
  Recorder& rec = *sut.rec;
  const RunConfig& config = *sut.config;
  ++rec.failing_runs;
  Failure f;
  f.violation = v;
  f.trace = render(sut.trace, *config.spec, config.profile);
  f.seed = config.seed;
  f.sequences_before = rec.sequences;
  f.seconds_to_first = rec.seconds();
  f.calls_to_first = rec.calls;
  // Tolerated clauses violated before this one (the sequence went on past them).
  for (const auto& step : sut.trace)
    for (const auto& earlier : step.violations) {
      if (&earlier == &v) break;
      if (config.tolerated.count(earlier.clause) &&
          std::find(f.after.begin(), f.after.end(), earlier.clause) == f.after.end())
        f.after.push_back(earlier.clause);
    }
  bool first = !rec.first;
  if (first) {
    rec.first = f;
    rec.first_failure_at = Clock::now();
  }
  rec.last = std::move(f);
  if (config.events) {
    if (first)
      config.events->failure_found({*rec.last});
    else
      config.events->shrink_step({*rec.last});
  }
  throw SequenceFailed(v.clause + ": expected " + v.expected + "; got " + v.actual);
}

// The violation a call fails its sequence on: the first of a clause not tolerated (a
// tolerated one is counted and passed over: the model follows the answer and the
// sequence goes on). Any violation when a transport error aborts the run.
const Violation* failing_violation(const RunConfig& config, const std::vector<Violation>& vs,
                                   bool no_answer) {
  if (vs.empty()) return nullptr;
  if (no_answer && config.on_transport_error == OnTransportError::abort) return &vs.front();
  for (const auto& v : vs)
    if (!config.tolerated.count(v.clause) &&
        !(config.also_tolerated && config.also_tolerated(v.clause)))
      return &v;
  return nullptr;
}

void stop_if_asked(const Sut& sut) {
  if (sut.config->stop && sut.config->stop->load()) throw SequenceStopped("stopped");
}

Breakage breakage_of(Call::Variant v) {
  return v == Call::Variant::OmitRequired    ? Breakage::OmitParam
         : v == Call::Variant::WrongType     ? Breakage::WrongType
         : v == Call::Variant::MalformedBody ? Breakage::MalformedBody
                                             : Breakage::None;
}

}  // namespace

Sut begin_sequence(Target& target, const RunConfig& config, Recorder& rec) {
  Sut sut;
  sut.target = &target;
  sut.config = &config;
  sut.rec = &rec;
  sut.model = initial_model(*config.spec, config.profile, config.strictness);
  sut.mem.clock_base_ms = target.begin_sequence();
  sut.mem.token_nonce = target.resets() ? "" : random_nonce();
  // A delete that takes effect later (regression_deferred_delete_before_a_sequence).
  sut.mem.strays = target.leftovers();
  sut.mem.concurrent = target.shared_ids();
  return sut;
}

CallCommand::CallCommand(Call c)
    : shared(std::make_shared<const Call>(std::move(c))), call(*shared) {}

void CallCommand::checkPreconditions(const Model& m) const {
  for (const auto& [_, a] : call.args)
    if (a.kind == Arg::Kind::Instance && a.index >= static_cast<int>(m.instances.size()))
      RC_DISCARD("stale reference");
  if (call.user >= static_cast<int>(m.profile->users.size())) RC_DISCARD("no such user");
  if (!engine::consistent_replay(m, call)) RC_DISCARD("a token replay with other arguments");
}

void CallCommand::apply(Model& m) const {
  engine::apply(m, call);
}

void CallCommand::run(const Model& generated, Sut& sut) const {
  stop_if_asked(sut);
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
  std::string token = call.variant == Call::Variant::NoAuth ? "" : sut.target->token(call.user);
  HttpRequest req =
      encode(binding, *call.op, args, token, breakage_of(call.variant), call.variant_param);
  ++sut.rec->coverage.generated[call.op->full_name + (call.variant == Call::Variant::Normal
                                                          ? ""
                                                          : " [" + to_string(call.variant) + "]")];

  std::vector<HttpResponse> answers;
  // Another worker's (or the lease probe's) list may show the new id before it is read here.
  const bool creates =
      std::any_of(call.op->effects.begin(), call.op->effects.end(),
                  [](const spec::Effect& e) { return e.kind == spec::Effect::Kind::Create; });
  std::optional<SharedIds::Creating> in_flight;
  if (creates && sut.target->shared_ids()) in_flight.emplace(*sut.target->shared_ids());
  if (call.variant == Call::Variant::ConcurrentReplay)
    answers = send_burst(*sut.target, req, std::max(2, sut.config->concurrency));
  else
    answers.push_back(sut.target->send(req));
  sut.rec->calls += static_cast<long>(answers.size());

  Decoded d = decode(*pre.spec, binding, *call.op, answers.front(), &req);
  CallVerdict v = check_answer(pre, post, call, e, binding, d, sut.mem);
  if (call.variant == Call::Variant::ConcurrentReplay) check_burst(sut, call, pre, req, answers, v);
  if (d.kind != Decoded::Kind::Success) {
    post = pre;
    settle(post, call, e, d.kind == Decoded::Kind::Error ? Observed::Error : Observed::Unknown);
  }
  if (v.new_id) {
    sut.mem.ids.push_back(*v.new_id);
    sut.target->created(*v.new_id, call.user);
  }
  // Whatever the verdict (a replay that made a new session breaks idempotency), a session the
  // create made is this run's: other workers' lists may show it, the sweep deletes it.
  if (creates && d.kind == Decoded::Kind::Success && d.result.is_string() &&
      (!v.new_id || *v.new_id != d.result.get<std::string>()))
    sut.target->created(d.result.get<std::string>(), call.user);
  in_flight.reset();  // its id (if any) is in the table now
  while (sut.mem.ids.size() < post.instances.size())
    sut.mem.ids.push_back("");
  remember(sut.mem, post, call, d);
  sut.rec->count(call, e, v);
  if (sut.config->events) sut.config->events->call_checked({call, v, d.status});

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
  if (const Violation* blamed =
          failing_violation(*sut.config, sut.trace.back().violations, no_answer)) {
    if (no_answer && sut.config->on_transport_error == OnTransportError::abort)
      sut.rec->aborted = true;
    fail_sequence(sut, *blamed);
  }
  sut.model = std::move(post);
}

void CallCommand::show(std::ostream& os) const {
  os << call.op->full_name << " by user " << call.user;
}

void AdvanceCommand::apply(Model& m) const {
  advance(m, ms);
  if (m.waits > 0) --m.waits;
}

void AdvanceCommand::run(const Model&, Sut& sut) const {
  stop_if_asked(sut);
  sut.target->advance(ms);
  stop_if_asked(sut);  // the wait may have been cut short
  advance(sut.model, ms);
  RawStep step;
  step.advance_ms = ms;
  sut.trace.push_back(std::move(step));
}

void AdvanceCommand::show(std::ostream& os) const {
  os << "advance " << ms << " ms";
}

}  // namespace conformance::engine
