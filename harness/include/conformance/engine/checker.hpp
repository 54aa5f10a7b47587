// Where answers are checked. Every verdict names the clause it enforces.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "conformance/engine/model.hpp"
#include "conformance/engine/shared_ids.hpp"
#include "conformance/engine/wire.hpp"

namespace conformance::engine {

struct Violation {
  std::string clause;     // clause id
  std::string operation;  // full operation name, or "" for time steps
  std::string expected, actual;
};

// What the harness has seen of the target: real ids behind the model's symbolic
// ones, first-seen values of stable fields, last-seen expiry and child states.
struct Memory {
  std::vector<std::string> ids;                    // instance index -> real id
  std::map<int, nlohmann::json> stable;            // instance -> field -> first value
  std::map<int, std::int64_t> observed_expiry_ms;  // instance -> last expiration (epoch ms)
  std::map<std::pair<int, std::string>, std::string> child_state;  // last seen
  std::int64_t clock_base_ms = 0;                                  // epoch ms of model time 0
  // Makes client tokens unique per sequence on a target that keeps state between
  // sequences (no reset); empty where the target is reset (tokens stay deterministic).
  std::string token_nonce;
  // Ids the target answered that the model follows no instance for, by the user whose
  // call made them: the extra sessions of a concurrent client_token replay where that
  // clause is not enforced, and (without a reset) the sessions a user had before the
  // run (pre-existing) or that earlier sequences created (deleted, perhaps not yet gone).
  // That user's list may show them; another's may not.
  std::map<std::string, int> strays;
  std::shared_ptr<const SharedIds> concurrent;  // may be null
};

struct CallVerdict {
  std::vector<Violation> violations;
  std::vector<const spec::Clause*> exercised;
  std::string outcome;        // "success", an error name, or "transport"
  std::string observed_open;  // "clause-id: what the target did" where the contract is silent
  std::optional<std::string> new_id;  // id of an instance the call created
};

// Records that the target broke `clause` on `operation` (violations, exercised), unless
// the clause is not enforced in this run (open, or inferred under --strictness
// documented): then it is what the target did where the contract is silent
// (observed_open). Every check records through it, on every code path.
void record_violation(const Model& m, CallVerdict& v, const spec::Clause& clause,
                      const std::string& operation, const std::string& expected,
                      const std::string& actual);

// Checks one answer. `pre` is the model before the call, `post` after it (if the call
// succeeded: settle(..., Observed::Success)).
CallVerdict check_answer(const Model& pre, const Model& post, const Call& call,
                         const Expectation& e, const spec::Binding& binding, const Decoded& answer,
                         const Memory& memory);

// The type of an operation's result (any for void).
spec::TypeRef result_type(const spec::Spec& spec, const spec::Operation& op);

// Shape of a JSON value against a spec type: problems as "path: what". Date-time
// problems go to `datetime_problems`.
void validate_shape(const spec::Spec& spec, const nlohmann::json& value, const spec::TypeRef& type,
                    const std::string& path, std::vector<std::string>& problems,
                    std::vector<std::string>& datetime_problems);

// RFC 3339 date-time to epoch milliseconds; nullopt if not RFC 3339.
std::optional<std::int64_t> parse_datetime(const std::string& s);
std::string format_datetime(std::int64_t epoch_ms);

}  // namespace conformance::engine
