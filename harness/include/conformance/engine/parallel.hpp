// Parallel mode (--parallel): a case is a sequential prefix and 2 to 4 branches of calls;
// the prefix runs as a sequence (checked call by call, as any sequence), then the branches
// run at once, each in its own thread on its own connection with its own login of every
// user, and the history they make (invocation and answer times, steady clock) is checked
// for linearizability against the spec's model (linearizability.hpp).
//
// RapidCheck is not thread-safe: cases are generated (as values) on the run's thread from
// RapidCheck generators (gen_command, generation.hpp); the branch threads only send
// requests prepared beforehand.
//
// Symbolic ids: a branch call may address only the instances the prefix made (their real
// ids are known when the branches start), fresh (never-existing) ids, and client tokens.
// A branch may create instances of its own (their answers are checked, and the model's
// list of instances grows in the order the check places the creates), but no branch
// call addresses them. Two branches that create with the same new client token as the
// same user do so with the same arguments (a concurrent replay, which the model
// explains); otherwise the later branch's token is renumbered to a fresh one.
// Branch calls are well-formed (no deliberately broken requests) and no time passes
// between them (no time steps in a parallel case).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "conformance/engine/campaign.hpp"
#include "conformance/engine/commands.hpp"
#include "conformance/engine/generation.hpp"
#include "conformance/engine/linearizability.hpp"

namespace conformance::engine {

struct ParallelCase {
  std::vector<Call> prefix;
  std::vector<std::vector<Call>> branches;
  std::size_t calls() const;
};

struct ParallelShape {
  int max_prefix = 3;    // calls (few instances: the branches meet on them)
  int min_branches = 2;  // 2..4
  int max_branches = 3;
  int max_calls = 4;  // per branch
};

// Why the case cannot run from `m0` (a stale reference, a token replayed with other
// arguments, a branch call addressing an instance the prefix did not make), or "".
std::string case_problem(const Model& m0, const ParallelCase& c);

// The generator of a case from the initial model, and one case drawn from it.
rc::Gen<ParallelCase> gen_parallel_case(const Model& m0, const GenPlan& plan, ParallelShape shape);
ParallelCase draw_parallel_case(const Model& m0, const GenPlan& plan, ParallelShape shape,
                                std::uint64_t seed, int size);

// The cases one step smaller (one branch fewer, one call fewer), each well-formed.
std::vector<ParallelCase> smaller_cases(const Model& m0, const ParallelCase& c);

// One case as it ran.
struct CaseRun {
  enum class Kind {
    Passed,           // linearizable, every call answered
    PrefixFailed,     // the prefix broke a clause (prefix_failure)
    NotLinearizable,  // lin.violation
    NoAnswer,         // explained, but a call got no answer: no_answer
    NotChecked,       // the search hit its bound
  };
  Kind kind = Kind::Passed;
  std::vector<RawStep> prefix;
  History history;
  LinearizeResult lin;
  std::optional<Failure> prefix_failure;
  Violation no_answer;
  bool failed() const { return kind != Kind::Passed && kind != Kind::NotChecked; }
  const Violation& violation() const;
};

// The branch connections (one per branch, every user logged in on each), kept between
// cases. Throws TargetError when a login fails.
class ParallelRunner {
 public:
  ParallelRunner(const RunConfig& config, Target& target, int branches, LinearizeLimits limits);
  ~ParallelRunner();
  CaseRun run_case(const ParallelCase& c, Recorder& rec);

 private:
  struct Branch;
  const RunConfig& config_;
  Target& target_;
  LinearizeLimits limits_;
  std::vector<std::unique_ptr<Branch>> branches_;
};

struct ParallelOptions {
  ParallelShape shape;
  LinearizeLimits limits;
  // Re-runs of the shrunk case (when none fails, up to 2 x as many more, until one does);
  // confirmed when one fails again on the same clause.
  int confirm_runs = 10;
  int shrink_tries = 5;  // runs of each smaller candidate (a race need not fail every time)
};

// A run of parallel cases: config.run.sequences cases (or until duration_s is spent). A
// failing case is shrunk (fewer branches, fewer calls, within run.shrink_budget_s) and
// confirmed (re-run confirm_runs times); then the run keeps going, the next cases tolerating
// its clause (and config.run.tolerated), until the budget is spent or config.max_failures
// clauses have failed (0: no limit). Tells the reporter as a
// campaign does (RunStarted, SequenceStarted/Finished per case, ParallelFailureFound,
// RunFinished). Throws TargetError when the target cannot be reached.
CampaignResult run_parallel(const CampaignConfig& config, const ParallelOptions& options,
                            Reporter& reporter);

}  // namespace conformance::engine
