// Replay: recorded commands (TraceStep::command) sent again through the same model
// and checks, without generation.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "conformance/engine/run.hpp"

namespace conformance::engine {

// `failure` is set when the sequence still fails.
struct ReplayResult {
  std::optional<Failure> failure;
  std::vector<TraceStep> trace;
};

// Throws std::invalid_argument for a command the spec or the profile does not know,
// TargetError when the target cannot be reached.
ReplayResult replay(const RunConfig& config, const std::vector<nlohmann::json>& commands);

// The commands of a failure's minimal sequence.
std::vector<nlohmann::json> commands_of(const Failure& failure);

}  // namespace conformance::engine
