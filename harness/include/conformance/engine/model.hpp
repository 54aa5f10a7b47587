// The model: what the spec says the target's state is after a sequence of calls.
// It is a pure value (RapidCheck copies it freely) and knows nothing of HTTP.
// Where the contract leaves an outcome open, or time makes it uncertain, the model
// keeps the set of possibilities instead of guessing.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "conformance/engine/profile.hpp"
#include "conformance/spec/spec.hpp"

namespace conformance::engine {

enum class Strictness { inferred, documented };

// A symbolic argument: ids of managed resources and client tokens are named by
// index and resolved to real strings only when the call is sent.
struct Arg {
  enum class Kind { Absent, Value, Instance, Fresh, Token };
  Kind kind = Kind::Absent;
  nlohmann::json value;  // Value
  int index = -1;        // Instance: model instance; Fresh: never-existing id; Token: token
};

struct Call {
  enum class Variant { Normal, NoAuth, OmitRequired, WrongType, MalformedBody, ConcurrentReplay };
  const spec::Operation* op = nullptr;
  int user = 0;
  std::map<std::string, Arg> args;  // by parameter name
  Variant variant = Variant::Normal;
  std::string variant_param;  // OmitRequired, WrongType
  int concurrency = 0;        // ConcurrentReplay
};
std::string to_string(Call::Variant v);
std::optional<Call::Variant> variant_from_string(std::string_view s);  // nullopt: unknown

struct ChildModel {
  std::set<std::string> states;
  std::int64_t advanced_ms = -1;  // model time of the last advance_child effect
  const spec::Effect* advanced_by = nullptr;
};

struct InstanceModel {
  std::string resource;
  int owner = 0;
  bool removed = false;     // certainly gone
  bool maybe_gone = false;  // possibly gone (an open or uncertain outcome)
  const spec::Clause* removed_by = nullptr;
  std::set<std::string> states;                         // possible states
  nlohmann::json fields = nlohmann::json::object();     // values the model is sure of
  std::map<std::string, const spec::Clause*> set_by;    // field -> clause of the effect that set it
  std::map<std::string, std::string> at;                // field -> sub-field holding the value
  std::int64_t renewed_min_ms = 0, renewed_max_ms = 0;  // lease renewal window (model time)
  // The latest expiry the target stated (its lease field, in model time), or -1. Not before
  // it (lease.not_before_expiration): it is never gone sooner, even where renewal + timeout
  // is earlier (a target that rounds expiration_time up to a whole second).
  std::int64_t promised_ms = -1;
  // The effect that last moved its state, and when (model time): an instance that vanishes
  // right after it is blamed on it (regression_documented_variants_pass_and_blame_their_clause).
  const spec::Clause* moved_by = nullptr;
  std::int64_t moved_ms = -1;
  const spec::Clause* renewed_by = nullptr;
  std::map<std::string, ChildModel> children;  // by key
  nlohmann::json create_args;  // the creating call's arguments (for idempotent replays)
  // Created by an open outcome (e.g. a replayed token whose session may be gone):
  // the id may name an older session, so nothing about it is asserted.
  const spec::Clause* opaque = nullptr;
  // An effect changed it and no call has read it back since (generation looks).
  bool unobserved = false;
  // A slot, not an instance: a call that could create one made none (it was refused,
  // or it replayed a client token). Every such call takes one slot, whatever its
  // answer, so that the instance indices of the model that generates calls and of the
  // one that follows the answers stay the same. Never generated as a target.
  bool placeholder = false;
};

// A vector whose copies share their elements until one is changed (copy on write).
// RapidCheck copies the model at every generated and every run step, and an
// instance holds sets, maps and JSON: copying them all made the model the largest
// cost of a run. Reading is as a const vector; changing element i is mut(i).
// Single-threaded use only (the model lives on the run's thread).
template <typename T>
class CowVector {
  using Items = std::vector<std::shared_ptr<T>>;

 public:
  class const_iterator {
   public:
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using reference = const T&;
    using pointer = const T*;
    using iterator_category = std::forward_iterator_tag;
    const_iterator() = default;
    explicit const_iterator(typename Items::const_iterator it) : it_(it) {}
    const T& operator*() const { return **it_; }
    const T* operator->() const { return it_->get(); }
    const_iterator& operator++() {
      ++it_;
      return *this;
    }
    const_iterator operator++(int) {
      auto old = *this;
      ++it_;
      return old;
    }
    bool operator==(const const_iterator& o) const { return it_ == o.it_; }
    bool operator!=(const const_iterator& o) const { return it_ != o.it_; }

   private:
    typename Items::const_iterator it_;
  };

  std::size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  const T& operator[](std::size_t i) const { return *items_[i]; }
  const T& at(std::size_t i) const { return *items_.at(i); }
  const_iterator begin() const { return const_iterator(items_.begin()); }
  const_iterator end() const { return const_iterator(items_.end()); }
  void push_back(T v) { items_.push_back(std::make_shared<T>(std::move(v))); }
  // Element i, for changing: copied first if another vector still shares it.
  T& mut(std::size_t i) {
    auto& p = items_.at(i);
    if (p.use_count() > 1) p = std::make_shared<T>(*p);
    return *p;
  }

 private:
  Items items_;
};

struct Model {
  const spec::Spec* spec = nullptr;
  const Profile* profile = nullptr;
  Strictness strictness = Strictness::inferred;
  std::int64_t now_ms = 0;
  CowVector<InstanceModel> instances;
  // How many more time steps may be generated in this sequence (-1: any). On the wall clock
  // a time step is a real wait, so only a drawn share of sequences wait at all, a few times
  // (and shrinking can draw none): see driver.cpp.
  int waits = -1;
  int tokens = 0;                               // token indices issued so far
  std::map<std::pair<int, int>, int> token_of;  // (user, token) -> instance

  enum class Life { Alive, Maybe, Gone };
  Life life(const InstanceModel& i) const;
  std::int64_t timeout_ms() const;
  std::int64_t grace_ms() const;
  std::int64_t tolerance_ms() const;
  // The clause is not enforced in this run (open, or excluded by strictness).
  bool lenient(const spec::Clause& c) const;
};

Model initial_model(const spec::Spec& spec, const Profile& profile, Strictness strictness);

// One answer the model accepts.
struct Outcome {
  bool success = false;
  std::vector<std::string> errors;           // acceptable error names (!success)
  const spec::Clause* clause = nullptr;      // clause enforced when a different error comes back
  const spec::Clause* if_success = nullptr;  // clause broken when success comes back instead
};

struct Expectation {
  std::vector<Outcome> acceptable;     // the first is the model's primary expectation
  const spec::Clause* open = nullptr;  // set: the contract is silent, any well-formed answer passes
  int target = -1;                     // instance addressed by the call, or -1
  int replay_of = -1;                  // idempotent replay: the answer must be this instance's id
  bool creates = false;   // a success creates a new instance (index = instances.size())
  std::string pre_state;  // target's state before the call, for the coverage matrix
  std::vector<const spec::Clause*> tested;  // clauses this call's answer tests
  bool certain() const;                     // exactly one acceptable outcome, nothing open
  const Outcome* success() const;
};

Expectation expect(const Model& m, const Call& c);
// The one text of what an expectation accepts (traces and violations): "success",
// "404 NOT_FOUND or 400 INVALID_ARGUMENT", "any well-formed answer (x is open)".
std::string expected_text(const Expectation& e, const spec::Spec& spec);
// The model after the call, not knowing its answer: what may have happened is kept
// as a possibility (the model calls are generated from).
void apply(Model& m, const Call& c);
// The same, given expect(m, c) already computed.
void apply(Model& m, const Call& c, const Expectation& e);

// What the answer showed. Success: the call took effect (an effect the model was
// unsure of is now certain, unless the contract is silent on the call). Error: it took
// no effect, whatever the model allowed (regression_open_error_applies_no_effect).
// Unknown (no answer): as apply().
enum class Observed { Success, Error, Unknown };
// The model after the call, given its answer (the model answers are checked against).
// It has the same instance slots as apply() gives, so calls generated from one model
// address the same instances in the other.
void settle(Model& m, const Call& c, const Expectation& e, Observed seen);
void advance(Model& m, std::int64_t ms);

// The instance the call's client token is bound to (made by this user's successful
// create with that token), or -1.
int token_instance(const Model& m, const Call& c);

// Whether a call that reuses a client token bound to an instance repeats that
// instance's creating arguments (as the generator makes every replay). A replay with
// other arguments is outside what the model predicts; the runner never sends one,
// not even when shrinking removes the call that first used the token
// (regression_shrunk_replay_with_other_arguments).
bool consistent_replay(const Model& m, const Call& c);

// Resolves a dotted parameter path against a call's arguments; nullptr if absent.
const nlohmann::json* arg_value(const Call& c, const std::string& path);
// The instance a parameter names, or -1.
int arg_instance(const Call& c, const std::string& param);

}  // namespace conformance::engine
