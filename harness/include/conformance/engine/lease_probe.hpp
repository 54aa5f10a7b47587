// Lease probes: on the wall clock, sessions created and renewed at recorded times and read
// just before and just after their expiration, in the background of a run, so that expiry
// is checked at any session timeout (300 s within a 10-minute fuzz) while the sequences
// themselves seldom wait.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "conformance/engine/run.hpp"

namespace conformance::engine {

struct Sut;

class LeaseProbe {
 public:
  // Probes only where they can run: the wall clock (no clock control), a resource with a
  // lease, and operations to create, renew and read it.
  // The ids it creates go to `ids` too (the run's lists may show them for their user).
  LeaseProbe(const RunConfig& config, std::shared_ptr<SharedIds> ids);
  ~LeaseProbe();  // stops
  LeaseProbe(const LeaseProbe&) = delete;
  LeaseProbe& operator=(const LeaseProbe&) = delete;

  // Starts probing on its own thread, connection and logins; cycle after cycle until stop().
  // Once: later calls, and calls after stop(), do nothing.
  void start();
  // Waits until the first cycle is complete (or failed, or the probe ended), if a cycle takes
  // at most `max_s` seconds: a short run still checks expiry once.
  void await_first_cycle(double max_s);
  // Ends the waits at once and joins; idempotent.
  void stop();
  const std::shared_ptr<SharedIds>& ids() const { return ids_; }
  // A probe broke a clause (see failure()); the probe has ended. The run goes on, tolerating
  // that clause, unless it has found its --max-failures clauses.
  bool failed() const { return failed_; }
  // Its failure once failed() (safe while the run goes on: the probe has ended), else null.
  const Failure* failed_with() const { return failed_ && failure_ ? &*failure_ : nullptr; }

  // After stop(): the probe's failure, its coverage, and a line saying which lease
  // clauses it exercised and how ("" when no probe ran).
  const std::optional<Failure>& failure() const { return failure_; }
  const Coverage& coverage() const { return coverage_; }
  std::string summary() const;

 private:
  void loop();
  bool cycle(Sut& sut);
  bool wait(std::int64_t ms, Sut& sut);

  RunConfig config_;
  std::shared_ptr<SharedIds> ids_;
  const spec::Operation *creator_ = nullptr, *renewer_ = nullptr, *getter_ = nullptr;
  const spec::Resource* resource_ = nullptr;
  // A child's completion deadline, probed on the way: the operation that advances a child
  // (File.prepare) and the one that reads it back (File.get); null where the spec has none.
  const spec::Operation *advancer_ = nullptr, *child_getter_ = nullptr;
  std::string item_param_;                      // dotted parameter path of the create's external id
  const ExternalInstance* external_ = nullptr;  // the one it names (in config_.profile)
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false, started_ = false;
  std::atomic<bool> failed_{false};
  std::optional<Failure> failure_;
  Coverage coverage_;
  int cycles_ = 0;  // guarded by mu_
  bool ended_ = false;
  std::string error_;
};

}  // namespace conformance::engine
