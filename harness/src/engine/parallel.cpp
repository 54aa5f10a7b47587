// Parallel cases: generation (on the run's thread), shrinking candidates, and one case run
// on the target (the branches in threads) and checked for linearizability.
#include "conformance/engine/parallel.hpp"

#include <rapidcheck.h>

#include <algorithm>
#include <future>
#include <map>
#include <thread>

#include "conformance/engine/cleanup.hpp"
#include "conformance/engine/command_json.hpp"
#include "conformance/engine/symbols.hpp"
#include "conformance/engine/wire.hpp"

namespace conformance::engine {

using nlohmann::json;

std::size_t ParallelCase::calls() const {
  std::size_t n = prefix.size();
  for (const auto& b : branches)
    n += b.size();
  return n;
}

const Violation& CaseRun::violation() const {
  if (kind == Kind::PrefixFailed) return prefix_failure->violation;
  if (kind == Kind::NoAnswer) return no_answer;
  return lin.violation;
}

namespace {

// Why `call` cannot be sent after `m` (as CallCommand::checkPreconditions), or "".
std::string call_problem(const Model& m, const Call& call) {
  for (const auto& [name, a] : call.args)
    if (a.kind == Arg::Kind::Instance && a.index >= static_cast<int>(m.instances.size()))
      return call.op->full_name + ": " + name + " names instance #" + std::to_string(a.index) +
             ", which does not exist yet";
  if (call.user >= static_cast<int>(m.profile->users.size()))
    return call.op->full_name + ": no user " + std::to_string(call.user);
  if (!consistent_replay(m, call))
    return call.op->full_name + ": a client token replayed with other arguments";
  return "";
}

bool addresses_at_or_above(const Call& call, int limit) {
  for (const auto& [_, a] : call.args)
    if (a.kind == Arg::Kind::Instance && a.index >= limit) return true;
  return false;
}

// The new client tokens (index >= first) a branch's creates use, by token: the call (with its
// user: a target may scope tokens globally, not per user, so two users never share one).
using NewTokens = std::map<int, json>;

const Arg* token_arg(const Call& call) {
  if (!call.op->idempotency) return nullptr;
  auto it = call.args.find(call.op->idempotency->token_param);
  return it != call.args.end() && it->second.kind == Arg::Kind::Token ? &it->second : nullptr;
}

NewTokens new_tokens(const std::vector<Call>& branch, int first) {
  NewTokens out;
  for (const Call& call : branch)
    if (const Arg* t = token_arg(call); t && t->index >= first)
      out.emplace(t->index, call_to_json(call));
  return out;
}

// The calls of `n` commands drawn from `m` (applied to it as they are drawn): calls only
// (no time steps), well-formed only unless `variants`, addressing no instance at or above
// `limit` (-1: any).
void draw_calls(Model& m, const GenPlan& plan, int n, bool variants, int limit,
                std::vector<Call>& out) {
  for (int tries = 0; static_cast<int>(out.size()) < n && tries < 20 * n; ++tries) {
    CmdSP cmd = *gen_command(m, plan);
    const auto* cc = dynamic_cast<const CallCommand*>(cmd.get());
    if (!cc) continue;
    const Call& call = cc->call;
    if (!variants && call.variant != Call::Variant::Normal) continue;
    if (limit >= 0 && addresses_at_or_above(call, limit)) continue;
    if (!call_problem(m, call).empty()) continue;
    // Branches race on the prefix's instances: a never-existing id is drawn less often.
    if (limit >= 0 && *rc::gen::inRange(0, 4) > 0 &&
        std::any_of(call.args.begin(), call.args.end(),
                    [](const auto& a) { return a.second.kind == Arg::Kind::Fresh; }))
      continue;
    apply(m, call);
    out.push_back(call);
  }
}

}  // namespace

std::string case_problem(const Model& m0, const ParallelCase& c) {
  Model m = m0;
  for (const Call& call : c.prefix) {
    if (auto p = call_problem(m, call); !p.empty()) return "prefix: " + p;
    apply(m, call);
  }
  const int made = static_cast<int>(m.instances.size());
  std::map<int, std::pair<std::size_t, json>> seen;
  for (std::size_t b = 0; b < c.branches.size(); ++b) {
    Model mb = m;
    for (const Call& call : c.branches[b]) {
      std::string where = "branch " + std::to_string(b + 1) + ": ";
      if (addresses_at_or_above(call, made))
        return where + call.op->full_name + " addresses an instance the prefix did not make";
      if (call.variant != Call::Variant::Normal)
        return where + call.op->full_name + " is a deliberately broken request";
      if (auto p = call_problem(mb, call); !p.empty()) return where + p;
      apply(mb, call);
    }
    for (const auto& [key, j] : new_tokens(c.branches[b], m.tokens)) {
      auto [it, fresh] = seen.emplace(key, std::make_pair(b, j));
      if (!fresh && it->second.second != j)
        return "branches " + std::to_string(it->second.first + 1) + " and " +
               std::to_string(b + 1) + " create with client token " + std::to_string(key) +
               " and different arguments or users";
    }
  }
  return "";
}

rc::Gen<ParallelCase> gen_parallel_case(const Model& m0, const GenPlan& plan, ParallelShape shape) {
  return rc::gen::exec([mp = std::make_shared<const Model>(m0), &plan, shape]() {
    Model m = *mp;
    m.waits = 0;  // no time steps
    ParallelCase c;
    draw_calls(m, plan, *rc::gen::inRange(1, shape.max_prefix + 1), true, -1, c.prefix);
    const int made = static_cast<int>(m.instances.size());
    int branches = *rc::gen::inRange(shape.min_branches, shape.max_branches + 1);
    std::map<int, json> used;  // new tokens of the branches so far
    int next_token = m.tokens + 1000;
    for (int b = 0; b < branches; ++b) {
      Model mb = m;
      std::vector<Call> calls;
      draw_calls(mb, plan, *rc::gen::inRange(1, shape.max_calls + 1), false, made, calls);
      // A new token another branch created with other arguments is renumbered.
      std::map<int, int> renumber;
      for (const auto& [key, j] : new_tokens(calls, m.tokens)) {
        auto it = used.find(key);
        if (it != used.end() && it->second != j) renumber[key] = next_token++;
      }
      for (Call& call : calls)
        if (const Arg* t = token_arg(call))
          if (auto r = renumber.find(t->index); r != renumber.end())
            call.args[call.op->idempotency->token_param].index = r->second;
      for (const auto& [key, j] : new_tokens(calls, m.tokens))
        used.emplace(key, j);
      c.branches.push_back(std::move(calls));
    }
    return c;
  });
}

ParallelCase draw_parallel_case(const Model& m0, const GenPlan& plan, ParallelShape shape,
                                std::uint64_t seed, int size) {
  return gen_parallel_case(m0, plan, shape)(rc::Random(seed), size).value();
}

std::vector<ParallelCase> smaller_cases(const Model& m0, const ParallelCase& c) {
  std::vector<ParallelCase> out;
  auto keep = [&](ParallelCase s) {
    if (case_problem(m0, s).empty()) out.push_back(std::move(s));
  };
  if (c.branches.size() > 2)
    for (std::size_t b = 0; b < c.branches.size(); ++b) {
      ParallelCase s = c;
      s.branches.erase(s.branches.begin() + static_cast<long>(b));
      keep(std::move(s));
    }
  for (std::size_t k = 0; k < c.prefix.size(); ++k) {
    ParallelCase s = c;
    s.prefix.erase(s.prefix.begin() + static_cast<long>(k));
    keep(std::move(s));
  }
  for (std::size_t b = 0; b < c.branches.size(); ++b)
    for (std::size_t k = 0; k < c.branches[b].size(); ++k) {
      ParallelCase s = c;
      if (s.branches[b].size() == 1) {
        if (s.branches.size() <= 2) continue;
        s.branches.erase(s.branches.begin() + static_cast<long>(b));
      } else {
        s.branches[b].erase(s.branches[b].begin() + static_cast<long>(k));
      }
      keep(std::move(s));
    }
  return out;
}

struct ParallelRunner::Branch {
  std::unique_ptr<Transport> transport;
  std::vector<std::string> tokens;  // by user
};

ParallelRunner::ParallelRunner(const RunConfig& config, Target& target, int branches,
                               LinearizeLimits limits)
    : config_(config), target_(target), limits_(limits) {
  for (int b = 0; b < branches; ++b) {
    auto br = std::make_unique<Branch>();
    br->transport = std::make_unique<Transport>(config.profile);
    for (const auto& u : config.profile.users) {
      try {
        br->tokens.push_back(login(*br->transport, target.binding(), u.name, u.password));
      } catch (const std::exception& e) {
        throw TargetError("branch " + std::to_string(b + 1) + ": " + e.what());
      }
    }
    branches_.push_back(std::move(br));
  }
}

ParallelRunner::~ParallelRunner() = default;

CaseRun ParallelRunner::run_case(const ParallelCase& c, Recorder& rec) {
  if (c.branches.size() > branches_.size())
    throw std::logic_error("a case with more branches than the runner has connections");
  RunConfig quiet = config_;
  quiet.events = nullptr;
  CaseRun out;
  Sut sut = begin_sequence(target_, quiet, rec);
  Model generated = sut.model;
  try {
    for (const Call& call : c.prefix) {
      CallCommand cmd(call);
      cmd.run(generated, sut);
      apply(generated, call);
    }
  } catch (const SequenceFailed&) {
    out.kind = CaseRun::Kind::PrefixFailed;
    out.prefix_failure = rec.last;
    out.prefix = std::move(sut.trace);
    return out;
  }
  out.prefix = std::move(sut.trace);

  // Every request prepared here (RapidCheck and the encoders stay on this thread).
  const spec::Binding& binding = target_.binding();
  History& h = out.history;
  std::vector<std::vector<std::size_t>> of_branch(c.branches.size());
  for (std::size_t b = 0; b < c.branches.size(); ++b)
    for (const Call& call : c.branches[b]) {
      HistoryOp op;
      op.branch = static_cast<int>(b);
      op.call = std::make_shared<const Call>(call);
      op.request =
          encode(binding, *call.op, resolve(call, sut.mem), branches_[b]->tokens.at(call.user));
      of_branch[b].push_back(h.size());
      h.push_back(std::move(op));
    }
  std::promise<Clock::time_point> go;
  std::shared_future<Clock::time_point> start = go.get_future().share();
  std::vector<std::thread> threads;
  for (std::size_t b = 0; b < c.branches.size(); ++b)
    threads.emplace_back([&, b] {
      Clock::time_point t0 = start.get();
      auto ms = [&] {
        return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
      };
      for (std::size_t i : of_branch[b]) {
        h[i].invoked_ms = ms();
        h[i].response = branches_[b]->transport->send(h[i].request);
        if (h[i].response.transport_error.empty()) h[i].answered_ms = ms();
      }
    });
  const Clock::time_point t0 = Clock::now();
  go.set_value(t0);
  for (auto& t : threads)
    t.join();
  // The final reads: every instance the prefix made, read back by its owner once the
  // branches are done, so that an effect lost in a race shows even when no later call of
  // a branch looked.
  const CleanupRoles roles = cleanup_roles(*config_.spec);
  for (std::size_t i = 0; roles.getter && i < sut.model.instances.size(); ++i) {
    const InstanceModel& inst = sut.model.instances[i];
    if (inst.placeholder || i >= sut.mem.ids.size() || sut.mem.ids[i].empty()) continue;
    Call read;
    read.op = roles.getter;
    read.user = inst.owner;
    read.args[roles.getter->returns.param] = Arg{Arg::Kind::Instance, json(), static_cast<int>(i)};
    HistoryOp op;
    op.branch = static_cast<int>(c.branches.size());
    op.final_read = true;
    op.call = std::make_shared<const Call>(read);
    op.request =
        encode(binding, *read.op, resolve(read, sut.mem), branches_[0]->tokens.at(read.user));
    auto ms = [&] { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); };
    op.invoked_ms = ms();
    op.response = branches_[0]->transport->send(op.request);
    if (op.response.transport_error.empty()) op.answered_ms = ms();
    h.push_back(std::move(op));
  }
  rec.calls += static_cast<long>(h.size());
  for (auto& op : h)
    op.answer = decode(*config_.spec, binding, *op.call->op, op.response, &op.request);
  // What the branches created is the run's, to sweep on a target without a reset.
  for (const auto& op : h)
    if (op.answer.kind == Decoded::Kind::Success &&
        op.call->op->returns.kind == spec::Returns::Kind::NewId && op.answer.result.is_string())
      target_.created(op.answer.result.get<std::string>(), op.call->user);

  out.lin = linearize(
      CheckState{sut.model, sut.mem}, h, binding, config_.tolerated, limits_,
      [&](const Call& call, const Expectation& e, const CallVerdict& v) { rec.count(call, e, v); });
  using V = LinearizeResult::Verdict;
  if (out.lin.verdict == V::NotChecked) {
    out.kind = CaseRun::Kind::NotChecked;
  } else if (out.lin.verdict == V::NotLinearizable) {
    out.kind = CaseRun::Kind::NotLinearizable;
  } else if (!config_.tolerated.count(config_.spec->checks.success_status.id)) {
    for (const auto& op : h)
      if (!op.answered()) {
        // Explained whatever it did, but no answer is still a finding (as in a sequence).
        out.kind = CaseRun::Kind::NoAnswer;
        out.no_answer = {config_.spec->checks.success_status.id, op.call->op->full_name,
                         "an answer", "no HTTP answer: " + op.answer.transport_error};
        break;
      }
  }
  return out;
}

}  // namespace conformance::engine
