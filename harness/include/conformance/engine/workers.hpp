// Workers: a campaign's searches in N processes at once against one target (--workers N).
//
// RapidCheck keeps static state and is not thread-safe, so workers are processes: the
// campaign forks them before it starts any thread (the lease probe's, a burst's). Worker k
// runs the campaign's rounds with seeds seed + i*N + k (i = 0, 1, ...; with N = 1 this is
// the single-process seed, seed+1, ...), its share of the passing sequences (untimed), on its
// own connections and logins, with its own model and client-token nonces.
//
// Shared between the processes (anonymous shared memory, created before the fork):
//   - the id table (shared_ids.hpp): every id any worker or the lease probe creates, by user,
//     so that a worker's list may show another worker's sessions of the same user, never
//     another user's;
//   - the board: the stop flag, and the clauses found so far by which worker. On a target
//     without a reset a worker tolerates the clauses another worker found (it does not hunt
//     them again); on a reset target (the embedded mock, each worker with a copy of its own)
//     nothing is shared, so that the same seed gives the same verdicts.
// The instances the users had before the run are surveyed and checked once, by the parent,
// before the fork. The parent runs the one lease probe of the run.
//
// Each worker streams its events to the parent as JSON lines over a pipe: progress after
// each passing sequence (the parent sums it across workers and re-emits SequenceFinished),
// failures as found (FailureFound, with their trace), and its result at the end (failures
// after shrinking and diagnosis, coverage, counts). CallChecked, SequenceStarted and
// ShrinkStep stay in the worker (no reporter shows them). The parent merges the results:
// one failure per distinct clause, in worker order then the order each worker found them,
// at most max_failures; coverage and counts summed.
//
// Budgets and stops are the parent's: the duration, the call budget (summed), max_failures
// (distinct clauses found by all), a lease probe failure, and Ctrl-C / SIGTERM (the workers
// ignore those signals; the parent sets the shared stop flag, waits a second for them to end
// their step and kills those that did not). A worker that dies without its result is a
// harness.internal failure, never a pass. Workers die with their parent (PR_SET_PDEATHSIG).
#pragma once

#include <nlohmann/json.hpp>

#include "conformance/engine/campaign.hpp"
#include "conformance/engine/lease_probe.hpp"
#include "conformance/engine/recorder.hpp"

namespace conformance::engine {

// One process's part of the searches (campaign.cpp).
struct RoundsPlan {
  Clock::time_point started;
  int worker = 0, workers = 1;
  std::function<int()> found;                               // distinct clauses found by all
  std::function<std::vector<std::string>()> found_clauses;  // ... found by other workers
  std::function<void()> after_round;                        // a round (a run) ended
};
RunResult search_rounds(const CampaignConfig& c, RunConfig& cfg, Reporter& reporter,
                        const RoundsPlan& plan, bool& calls_spent);
// Ends the searches: the lease probe's failure and coverage, the seconds, the verdict.
void finish_searches(const CampaignConfig& c, RunConfig& cfg, RunResult& total, LeaseProbe& probe,
                     Clock::time_point started, bool calls_spent, bool stopped);

// The searches in c.workers processes (workers.cpp). Throws TargetError as run() does,
// std::invalid_argument for workers on a reset target without c.worker_setup.
RunResult worker_searches(const CampaignConfig& c, RunConfig& cfg, Reporter& reporter,
                          Clock::time_point started);

// A failure, coverage and a result as JSON and back (the workers' pipe).
nlohmann::json failure_to_json(const Failure& f);
Failure failure_from_json(const nlohmann::json& j);
nlohmann::json result_to_json(const RunResult& r);
RunResult result_from_json(const nlohmann::json& j);

// The default of --workers: 1 on a reset target (the embedded mock: reproducible), else
// kDefaultUrlWorkers.
constexpr int kDefaultUrlWorkers = 4;

}  // namespace conformance::engine
