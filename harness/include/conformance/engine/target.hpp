// The target adapter: one logged-in connection to the service under test (and to its
// clock control, if any), the state between sequences (reset, or cleanup), time
// steps, and the discovery of what the profile leaves out.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "conformance/engine/run.hpp"

namespace conformance::engine {

class Target {
 public:
  Target(const spec::Spec& spec, const Profile& profile);

  // Logs every user in; opens the clock control. Throws TargetError when it cannot.
  void connect();

  const spec::Binding& binding() const { return binding_; }
  // Whether the target is reset between sequences (a clock control), so that it
  // keeps no state from one sequence to the next.
  bool resets() const { return control_ != nullptr; }
  const std::string& token(int user) const { return tokens_.at(user); }
  std::size_t users() const { return tokens_.size(); }
  HttpResponse send(const HttpRequest& r);
  void observe(bool control, const HttpRequest& r, const HttpResponse& a) const;
  void set_observer(ExchangeObserver o) { observer_ = std::move(o); }
  // Connections for the concurrent calls of a burst, kept open between bursts (as a
  // client pool would): a burst then costs its requests, not n connects, and its
  // calls leave closer together.
  std::vector<std::unique_ptr<Transport>>& burst_transports(int n);

  // Puts the target in a known state and returns the epoch ms of model time 0. Without a
  // reset: the first time, records the instances each user's list shows (pre-existing);
  // every time, sweeps what earlier sequences created and left (sweep()).
  std::int64_t begin_sequence();
  // Without a reset, the ids known to the run that the running sequence does not follow,
  // by the user whose list may show them (another user's may not): the pre-existing ones,
  // and those earlier sequences created (deleted, but a delete may take effect later).
  std::map<std::string, int> leftovers() const;
  // Pre-existing instances (id -> the first user whose list showed them), and every user
  // whose list showed each (cleanup.hpp checks them). Never deleted by the sweep.
  const std::map<std::string, int>& preexisting() const { return preexisting_; }
  const std::map<std::string, std::vector<int>>& preexisting_listers() const { return listed_by_; }
  // Without a reset: lists each user's instances, once, recording them as pre-existing.
  void survey();
  // The survey, made before (workers.hpp): survey() takes it instead of listing.
  void set_preexisting(std::shared_ptr<const std::map<std::string, std::vector<int>>> p) {
    given_ = std::move(p);
  }
  // The run created `id` as `user` (to be deleted by the sweep unless removed()).
  void created(const std::string& id, int user);
  // Ids this target's run creates are also added to `ids` (shared with concurrent probes).
  void share_ids(std::shared_ptr<SharedIds> ids) { shared_ = std::move(ids); }
  const std::shared_ptr<SharedIds>& shared_ids() const { return shared_; }
  // A checked delete removed `id` (or it is gone): the sweep leaves it alone.
  void removed(const std::string& id);
  // Deletes (unchecked: after a failure, or at the end of the run) every instance the run
  // created and has not seen removed, each as the user who created it; never any other.
  void sweep();
  // Lets `ms` pass: on the clock control, or on the wall clock (sleeping; cut short
  // when the run is asked to stop).
  void advance(std::int64_t ms);
  void set_stop(const std::atomic<bool>* stop) { stop_ = stop; }

 private:
  std::int64_t server_clock_ms();
  HttpResponse control(const HttpRequest& r);

  const spec::Spec& spec_;
  const Profile& profile_;
  const spec::Binding& binding_;
  std::unique_ptr<Transport> transport_;
  std::vector<std::string> tokens_;
  std::unique_ptr<Transport> control_;
  std::vector<std::unique_ptr<Transport>> burst_;
  ExchangeObserver observer_;
  std::shared_ptr<SharedIds> shared_;
  bool surveyed_ = false;
  std::shared_ptr<const std::map<std::string, std::vector<int>>> given_;
  std::map<std::string, int> preexisting_;
  std::map<std::string, std::vector<int>> listed_by_;
  std::map<std::string, int> created_;  // not yet seen removed
  std::map<std::string, int> retired_;  // removed, or swept
  const std::atomic<bool>* stop_ = nullptr;
};

// The wall clock, in epoch milliseconds.
std::int64_t epoch_ms_now();

// The target of a run or a replay, logged in. Throws std::invalid_argument when the
// profile's binding is not in the spec, TargetError when the target cannot be reached.
Target open_target(const RunConfig& config);

// The arguments of `creator` (an operation that creates a managed instance from an
// external one) for the external instance `id`: the id at the dotted parameter `path`,
// a well-typed value for every other required parameter.
nlohmann::json creation_args(const spec::Spec& spec, const spec::Operation& creator,
                             const std::string& path, const std::string& id);

// Fills in the member keys (child keys, e.g. file names) of the profile's external
// instances that list none: for each, creates a managed instance referring to it, lists
// its children and removes it again, with
// the operations the spec gives those roles. Throws TargetError when it cannot.
void discover_children(const spec::Spec& spec, Profile& profile);

}  // namespace conformance::engine
