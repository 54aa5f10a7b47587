// The linearizability search (Wing-Gong / Lowe with memoisation) and the timelines.
#include "conformance/engine/linearizability.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <numeric>
#include <sstream>
#include <unordered_set>

#include "conformance/engine/symbols.hpp"
#include "conformance/engine/trace.hpp"

namespace conformance::engine {

namespace {

// The whole state as text: two states with the same text answer every call alike. Pointers
// (clauses, effects) are the spec's, stable for the run.
void key_of(std::ostringstream& os, const Model& m) {
  os << m.now_ms << '|' << m.tokens << '|';
  for (const auto& [k, v] : m.token_of)
    os << k.first << ',' << k.second << '>' << v << ';';
  for (const InstanceModel& i : m.instances) {
    os << '[' << i.resource << ',' << i.owner << ',' << i.removed << i.maybe_gone << i.placeholder
       << i.unobserved << ',' << i.removed_by << ',' << i.opaque << ',' << i.moved_by << ','
       << i.moved_ms << ',' << i.renewed_by << ',' << i.renewed_min_ms << ',' << i.renewed_max_ms
       << ',' << i.promised_ms << ',';
    for (const auto& s : i.states)
      os << s << ' ';
    os << ',' << i.fields.dump() << ',' << i.create_args.dump() << ',';
    for (const auto& [f, c] : i.set_by)
      os << f << '=' << c << ' ';
    for (const auto& [f, s] : i.at)
      os << f << '@' << s << ' ';
    for (const auto& [k, c] : i.children) {
      os << k << '{' << c.advanced_ms << ',' << c.advanced_by;
      for (const auto& s : c.states)
        os << ' ' << s;
      os << '}';
    }
    os << ']';
  }
}

void key_of(std::ostringstream& os, const Memory& m) {
  os << '#';
  for (const auto& id : m.ids)
    os << id << ',';
  for (const auto& [i, j] : m.stable)
    os << i << '=' << j.dump() << ';';
  for (const auto& [i, ms] : m.observed_expiry_ms)
    os << i << '~' << ms << ';';
  for (const auto& [k, s] : m.child_state)
    os << k.first << '/' << k.second << '=' << s << ';';
}

std::string state_key(std::uint64_t done, const CheckState& s) {
  std::ostringstream os;
  os << done << '!';
  key_of(os, s.model);
  key_of(os, s.memory);
  return os.str();
}

struct BudgetSpent {};

class Search {
 public:
  Search(const History& h, const spec::Binding& binding, const std::set<std::string>& tolerated,
         LinearizeLimits limits)
      : h_(h), binding_(binding), tolerated_(tolerated), limits_(limits), by_invocation_(h.size()) {
    std::iota(by_invocation_.begin(), by_invocation_.end(), 0);
    std::stable_sort(by_invocation_.begin(), by_invocation_.end(),
                     [&](int a, int b) { return h[a].invoked_ms < h[b].invoked_ms; });
    for (std::size_t i = 0; i < h.size(); ++i)
      if (h[i].answered()) need_ |= std::uint64_t{1} << i;
  }

  bool dfs(const CheckState& s, std::uint64_t done) {
    if ((done & need_) == need_) return true;
    if (!seen_.insert(state_key(done, s)).second) return false;
    double first_answer = std::numeric_limits<double>::infinity();
    for (std::size_t i = 0; i < h_.size(); ++i)
      if (!(done >> i & 1)) first_answer = std::min(first_answer, h_[i].answered_ms);
    for (int i : by_invocation_) {
      if (done >> i & 1) continue;
      if (h_[i].invoked_ms > first_answer) break;  // began after a call still to place ended
      if (++states > limits_.max_states) throw BudgetSpent{};
      PlacedCall p = place_call(s, h_[i], binding_, tolerated_);
      if (!p.verdict.violations.empty()) {
        if (static_cast<int>(path.size()) > best_depth) {
          best_depth = static_cast<int>(path.size());
          deepest = path;
          failed_op = i;
          violation = p.verdict.violations.front();
          expected = expected_text(p.expected, *s.model.spec);
        }
        continue;
      }
      path.push_back(i);
      if (dfs(p.after, done | std::uint64_t{1} << i)) return true;
      path.pop_back();
    }
    return false;
  }

  long states = 0;
  std::vector<int> path;
  int best_depth = -1;
  std::vector<int> deepest;
  int failed_op = -1;
  Violation violation;
  std::string expected;

 private:
  const History& h_;
  const spec::Binding& binding_;
  const std::set<std::string>& tolerated_;
  LinearizeLimits limits_;
  std::vector<int> by_invocation_;
  std::uint64_t need_ = 0;
  std::unordered_set<std::string> seen_;
};

}  // namespace

PlacedCall place_call(const CheckState& at, const HistoryOp& op, const spec::Binding& binding,
                      const std::set<std::string>& tolerated) {
  const Call& call = *op.call;
  PlacedCall p{expect(at.model, call), {}, at};
  Model& post = p.after.model;
  if (!op.answered()) {
    // It may or may not have taken effect: the model keeps both; nothing to check.
    settle(post, call, p.expected, Observed::Unknown);
    p.verdict.outcome = "transport";
  } else {
    settle(post, call, p.expected, Observed::Success);
    p.verdict = check_answer(at.model, post, call, p.expected, binding, op.answer, at.memory);
    auto& vs = p.verdict.violations;
    vs.erase(std::remove_if(vs.begin(), vs.end(),
                            [&](const Violation& v) { return tolerated.count(v.clause) > 0; }),
             vs.end());
    if (!vs.empty()) return p;
    if (op.answer.kind != Decoded::Kind::Success) {
      post = at.model;
      settle(post, call, p.expected, Observed::Error);
    }
  }
  Memory& mem = p.after.memory;
  if (p.verdict.new_id) mem.ids.push_back(*p.verdict.new_id);
  while (mem.ids.size() < post.instances.size())
    mem.ids.push_back("");
  remember(mem, post, call, op.answer);
  return p;
}

LinearizeResult linearize(
    const CheckState& start, const History& history, const spec::Binding& binding,
    const std::set<std::string>& tolerated, LinearizeLimits limits,
    const std::function<void(const Call&, const Expectation&, const CallVerdict&)>& on_witness) {
  auto began = std::chrono::steady_clock::now();
  LinearizeResult r;
  auto finish = [&](Search* s) {
    if (s) r.states = s->states;
    r.millis =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - began).count();
    return r;
  };
  if (static_cast<int>(history.size()) > std::min(limits.max_ops, 64)) {
    r.verdict = LinearizeResult::Verdict::NotChecked;
    r.why_not_checked = std::to_string(history.size()) + " calls, more than the bound of " +
                        std::to_string(std::min(limits.max_ops, 64));
    return finish(nullptr);
  }
  Search s(history, binding, tolerated, limits);
  bool found = false;
  try {
    found = s.dfs(start, 0);
  } catch (const BudgetSpent&) {
    r.verdict = LinearizeResult::Verdict::NotChecked;
    r.why_not_checked = "the search took more than " + std::to_string(limits.max_states) +
                        " model steps without deciding";
    return finish(&s);
  }
  if (found) {
    r.verdict = LinearizeResult::Verdict::Linearizable;
    r.order = s.path;
    if (on_witness) {
      CheckState at = start;
      for (int i : r.order) {
        PlacedCall p = place_call(at, history[i], binding, tolerated);
        if (history[i].answered()) on_witness(*history[i].call, p.expected, p.verdict);
        at = std::move(p.after);
      }
    }
  } else {
    r.verdict = LinearizeResult::Verdict::NotLinearizable;
    r.deepest = s.deepest;
    r.failed_op = s.failed_op;
    r.violation = s.violation;
    r.expected = s.expected;
  }
  return finish(&s);
}

namespace {

std::string ms_text(double ms) {
  if (ms == std::numeric_limits<double>::infinity()) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", ms);
  return buf;
}

std::string outcome_of(const HistoryOp& op) {
  const Decoded& d = op.answer;
  if (d.kind == Decoded::Kind::Transport) return "no answer (" + d.transport_error + ")";
  std::string s = d.kind == Decoded::Kind::Success ? "success" : d.error_name;
  if (d.kind == Decoded::Kind::Success && d.has_result && !d.result.is_null()) {
    std::string shown = d.result.dump();
    if (shown.size() > 60) shown = shown.substr(0, 57) + "...";
    s += " " + shown;
  }
  return s + " (HTTP " + std::to_string(d.status) + ")";
}

std::string label(const History& h, int i) {
  int n = 0;
  for (int j = 0; j <= i; ++j)
    if (h[j].branch == h[i].branch) ++n;
  return (h[i].final_read ? "end" : "b" + std::to_string(h[i].branch + 1)) + "." +
         std::to_string(n);
}

}  // namespace

std::string timeline_text(const History& h, const LinearizeResult& r, const Profile& profile) {
  std::ostringstream os;
  double end = 0;
  for (const auto& op : h)
    end = std::max(end, op.answered() ? op.answered_ms : op.invoked_ms);
  const int width = 40;
  auto col = [&](double ms) {
    if (end <= 0) return 0;
    return std::min(width - 1, static_cast<int>(ms / end * (width - 1) + 0.5));
  };
  std::vector<int> order(h.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return h[a].invoked_ms < h[b].invoked_ms; });
  os << "call   start ms   end ms  |" << std::string(width, '-') << "|\n";
  for (int i : order) {
    const HistoryOp& op = h[i];
    std::string bar(width, ' ');
    int a = col(op.invoked_ms), b = op.answered() ? col(op.answered_ms) : width - 1;
    for (int c = a; c <= b; ++c)
      bar[c] = op.answered() ? '=' : '?';
    char head[64];
    std::snprintf(head, sizeof head, "%-5s %9s %8s  |", label(h, i).c_str(),
                  ms_text(op.invoked_ms).c_str(), ms_text(op.answered_ms).c_str());
    os << head << bar << "| " << show_call(*op.call, profile) << " -> " << outcome_of(op);
    if (i == r.failed_op) os << "  <-- " << r.violation.clause;
    os << "\n";
  }
  if (r.verdict == LinearizeResult::Verdict::NotLinearizable) {
    os << "No order of these calls consistent with real time explains every answer.\n";
    os << "Deepest attempt: ";
    for (std::size_t k = 0; k < r.deepest.size(); ++k)
      os << (k ? ", " : "") << label(h, r.deepest[k]);
    if (r.deepest.empty()) os << "(nothing placed)";
    os << ", then " << label(h, r.failed_op) << " breaks " << r.violation.clause << ": expected "
       << r.expected << "; got " << r.violation.actual << "\n";
  }
  return os.str();
}

std::string timeline_mermaid(const History& h, const LinearizeResult& r, const Profile& profile) {
  auto clean = [](std::string s) {
    for (char& c : s)
      if (c == ':' || c == '#' || c == ';' || c == '\n' || c == '"' || c == '`') c = ' ';
    return s;
  };
  double end = 0;
  for (const auto& op : h)
    end = std::max(end, op.answered() ? op.answered_ms : op.invoked_ms);
  std::ostringstream os;
  os << "gantt\n  title Parallel history (time in microseconds since the branches started)\n"
     << "  dateFormat x\n  axisFormat %L\n";
  int branches = 0;
  for (const auto& op : h)
    branches = std::max(branches, op.branch + 1);
  for (int b = 0; b < branches; ++b) {
    bool reads = false;
    for (const auto& op : h)
      reads = reads || (op.branch == b && op.final_read);
    os << "  section " << (reads ? "final reads" : "branch " + std::to_string(b + 1)) << "\n";
    for (std::size_t i = 0; i < h.size(); ++i) {
      if (h[i].branch != b) continue;
      auto us = [](double ms) { return static_cast<long long>(ms * 1000); };
      long long from = us(h[i].invoked_ms);
      long long to = std::max(from + 1, us(h[i].answered() ? h[i].answered_ms : end));
      const Decoded& d = h[i].answer;
      std::string name = label(h, static_cast<int>(i)) + " " + show_call(*h[i].call, profile) +
                         " -> " +
                         (d.kind == Decoded::Kind::Transport ? std::string("no answer")
                          : d.kind == Decoded::Kind::Success ? std::string("success")
                                                             : d.error_name);
      if (static_cast<int>(i) == r.failed_op) name += " breaks " + r.violation.clause;
      os << "    " << clean(name) << " :"
         << (static_cast<int>(i) == r.failed_op ? "crit, " : (h[i].answered() ? "" : "active, "))
         << "op" << i << ", " << from << ", " << to << "\n";
    }
  }
  return os.str();
}

}  // namespace conformance::engine
