// What a run is: its configuration, its result, a failure with its minimal trace, and
// the coverage it gathered. Every concern of the engine speaks these types.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "conformance/engine/checker.hpp"
#include "conformance/engine/model.hpp"
#include "conformance/engine/profile.hpp"
#include "conformance/engine/transport.hpp"
#include "conformance/spec/spec.hpp"

namespace conformance::engine {

class Reporter;    // events.hpp
class LeaseProbe;  // lease_probe.hpp

// One step of a sequence as it ran: a call (with its exchange) or a time step.
struct TraceStep {
  std::string description;  // e.g. "alice DownloadSession.cancel(download_session_id=#0)"
  bool is_call = true;
  Exchange exchange;     // secrets redacted
  std::string expected;  // what the model accepted
  std::string outcome;   // what came back
  std::vector<Violation> violations;
  nlohmann::json command;  // the symbolic command, for replay (command_json.hpp)
};

struct Failure {
  Violation violation;           // the first violation of the minimal sequence
  std::vector<TraceStep> trace;  // the minimal sequence
  std::uint64_t seed = 0;
  int sequences_before = 0;     // passing sequences before the first failure
  double seconds_to_first = 0;  // from the run's start to the first failure
  long calls_to_first = 0;
  int shrinks = 0;
  // Set by the diagnosis pass (diagnosis.hpp) when the first divergence it found is not the
  // failing call's violation: that violation (the symptom), the step (1-based) after which
  // the target's observable state first differed from the model, and how it showed;
  // `violation` is then the diagnosed one.
  std::optional<Violation> symptom;
  int diagnosed_step = 0;
  std::string diagnosis;
  // Clauses already reported that the minimal sequence violated before this one (the
  // sequence went on past them, RunConfig::tolerated): this violation may follow from
  // theirs.
  std::vector<std::string> after;
  // A parallel case's failure (parallel.hpp): its history as a fixed-width text timeline and
  // as a Mermaid gantt chart, and how many of its confirmation re-runs failed again.
  std::string timeline, timeline_mermaid;
  int confirmed = 0, confirm_runs = 0;
  // Found on instances there before the run (cleanup.hpp): not re-checked (they may have
  // expired since), and not shrunk.
  bool preexisting = false;
};

struct Coverage {
  std::map<std::string, long> clauses;     // clause id -> times exercised
  std::map<std::string, long> violations;  // clause id -> failing answers (all sequences)
  // operation -> pre-state -> outcome -> count
  std::map<std::string, std::map<std::string, std::map<std::string, long>>> matrix;
  std::map<std::string, long> observed_open;  // "clause: behaviour" -> count
  std::map<std::string, long> generated;      // operation/variant -> times generated
};

// What a transport error (no complete HTTP answer: refused, reset, truncated, timed
// out, too large) does to a run.
enum class OnTransportError {
  finding,  // a violation on the clause the checker names; shrunk and reported like any other
  abort,    // the run stops at the first one: no shrinking, RunResult::aborted is set
};

// Sees every HTTP exchange of a run after login, in order: calls to the target
// (control = false) and to its clock control (control = true, path relative to the
// profile's clock_control URL). Requests are NOT redacted: for in-process tools
// (the benchmark replays them), never for anything written out.
using ExchangeObserver =
    std::function<void(bool control, const HttpRequest& request, const HttpResponse& response)>;

struct RunConfig {
  const spec::Spec* spec = nullptr;
  Profile profile;
  std::uint64_t seed = 0;
  int sequences = 100;  // passing sequences wanted
  int max_steps = 30;   // longest sequence
  Strictness strictness = Strictness::inferred;
  bool shrink = true;
  double shrink_budget_s =
      60;               // after this long shrinking, the smallest failure so far is reported
  int concurrency = 8;  // parallel calls of a concurrent replay
  std::atomic<bool>* stop = nullptr;  // set to end the run early (Ctrl-C, fuzz budget)
  OnTransportError on_transport_error = OnTransportError::finding;
  // Without a reset: also delete (checked) the instances the users had before the run.
  bool delete_preexisting = false;
  // A lease probe that outlives the run (a fuzz's rounds); null: the run starts its own.
  std::shared_ptr<LeaseProbe> lease_probe;
  // false: no lease probe in this process (a worker: the campaign's parent probes).
  bool lease_probes = true;
  // The ids the whole run creates, by user (one table for every worker process, and the
  // lease probes); null: the run's lease probe makes its own.
  std::shared_ptr<SharedIds> shared_ids;
  // The instances the users had before the run (id -> every user whose list showed them),
  // surveyed and checked once before the workers were forked: a worker's run neither lists
  // nor checks them again. Null: the run surveys them itself.
  std::shared_ptr<const std::map<std::string, std::vector<int>>> preexisting;
  // Clauses whose violations do not fail a sequence: they are counted (Coverage::
  // violations), the model follows the answer, and the sequence goes on. A run that
  // keeps going after a failure tolerates the clauses already found, and the clauses
  // left out by --include/--exclude.
  std::set<std::string> tolerated;
  // Also tolerated: clauses found meanwhile by other workers (workers.hpp); may be empty.
  std::function<bool(const std::string& clause)> also_tolerated;
  std::set<std::string> excluded_operations;  // never generated (--exclude by operation)
  Reporter* events = nullptr;                 // optional: sequences, calls, failures, shrink steps
  ExchangeObserver on_exchange;               // optional
};

// How far a run has come (SequenceFinished).
struct Progress {
  int sequences = 0;
  long calls = 0;
  double seconds = 0;
  int failures = 0;
  std::size_t clauses_reached = 0, clauses_total = 0;
  const Coverage* coverage = nullptr;  // so far (valid during the event)
};

struct RunResult {
  bool passed = false;
  bool interrupted = false;  // ended before its budget was spent: incomplete, never passed
  std::string ended_early;   // why, when not Ctrl-C / SIGTERM (e.g. the target went away)
  bool aborted = false;  // stopped at a transport error (OnTransportError::abort); failure is set
  // One per distinct broken clause, in the order found, each with its own minimal
  // sequence.
  std::vector<Failure> failures;
  Coverage coverage;
  int sequences = 0;
  long calls = 0;
  double seconds = 0;
  std::uint64_t seed = 0;
  // On the wall clock: which lease clauses the background lease probes exercised, and how
  // (lease_probe.hpp); "" when none ran.
  std::string lease_probes;
  // A parallel run (--parallel): its cases, checker times, and the histories not checked;
  // "" otherwise.
  std::string parallel;

  // The first failure, or null.
  const Failure* failure() const { return failures.empty() ? nullptr : &failures.front(); }
  // The failure of `clause`, or null.
  const Failure* failure_of(const std::string& clause) const {
    for (const auto& f : failures)
      if (f.violation.clause == clause) return &f;
    return nullptr;
  }
};

// The target cannot be reached, or a login failed, before any sequence ran.
class TargetError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace conformance::engine
