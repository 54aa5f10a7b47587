// The linearizability check of a parallel history (parallel.hpp): is there an order of
// its calls, consistent with real time, in which the sequential model (model.hpp)
// explains every answer (checker.hpp, check_answer)? A Wing-Gong / Lowe search with
// memoisation, as Porcupine does: a call can come next if it is minimal (invoked before
// the earliest answer among the calls not yet placed) and its answer passes the checks
// against the model at that point; a (set of placed calls, model state) pair already
// explored is not explored again.
//
// A call without an answer (a transport error: refused, reset, timed out) may or may not
// have taken effect: it has no end (it is pending until the end of the history), it may be
// placed anywhere after its invocation, its model step is settle(..., Observed::Unknown)
// (the effect kept as a possibility) and nothing about it is checked; the search is done
// once every answered call is placed.
//
// The search is bounded (max_states model steps): a history it cannot decide within the
// bound is NotChecked, never a pass and never a failure.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "conformance/engine/checker.hpp"
#include "conformance/engine/model.hpp"
#include "conformance/engine/wire.hpp"

namespace conformance::engine {

// One call of a parallel history, as it ran on its branch.
struct HistoryOp {
  int branch = 0;
  bool final_read = false;  // a read after every branch ended (parallel.hpp)
  std::shared_ptr<const Call> call;
  HttpRequest request;  // not redacted
  HttpResponse response;
  Decoded answer;
  double invoked_ms = 0;  // since the branches started (steady clock)
  double answered_ms = std::numeric_limits<double>::infinity();  // infinity: no answer
  bool answered() const { return answer.kind != Decoded::Kind::Transport; }
};

using History = std::vector<HistoryOp>;

// A model state the checker walks through: the model and what the harness has seen of
// the target (ids of created instances, stable fields, expiry, child states).
struct CheckState {
  Model model;
  Memory memory;
};

// One call placed at a state: the model after it, or the violations of its answer.
struct PlacedCall {
  Expectation expected;
  CallVerdict verdict;  // violations: the clauses not in `tolerated` it broke
  CheckState after;
};
PlacedCall place_call(const CheckState& at, const HistoryOp& op, const spec::Binding& binding,
                      const std::set<std::string>& tolerated);

struct LinearizeResult {
  enum class Verdict { Linearizable, NotLinearizable, NotChecked };
  Verdict verdict = Verdict::NotChecked;
  // Linearizable: a witness (indices into the history, in order; calls without an
  // answer that were left out are not in it).
  std::vector<int> order;
  // NotLinearizable: the attempt that placed the most calls before one could not be
  // placed: those calls in order, the call, and the clause its answer broke there.
  std::vector<int> deepest;
  int failed_op = -1;
  Violation violation;
  std::string expected;  // what the model accepted from the failed call at that point
  long states = 0;       // model steps taken
  double millis = 0;     // time the search took
  std::string why_not_checked;
};

struct LinearizeLimits {
  long max_states = 200000;  // model steps before the history is given up as NotChecked
  int max_ops = 64;          // longer histories are NotChecked at once
};

// Searches for an order explaining `history` from `start`. `on_witness`, when given, is told
// each call of the witness order with its expectation and verdict (coverage counts).
LinearizeResult linearize(const CheckState& start, const History& history,
                          const spec::Binding& binding, const std::set<std::string>& tolerated = {},
                          LinearizeLimits limits = {},
                          const std::function<void(const Call&, const Expectation&,
                                                   const CallVerdict&)>& on_witness = {});

// The history drawn as a fixed-width text timeline (one row per call, one column per
// branch, time downwards), naming the clause no interleaving could satisfy.
std::string timeline_text(const History& history, const LinearizeResult& result,
                          const Profile& profile);
// The same as a Mermaid gantt chart (one section per branch).
std::string timeline_mermaid(const History& history, const LinearizeResult& result,
                             const Profile& profile);

}  // namespace conformance::engine
