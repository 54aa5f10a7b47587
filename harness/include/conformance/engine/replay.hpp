// Replay: recorded commands (TraceStep::command) sent again through the same model
// and checks, without generation.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "conformance/engine/commands.hpp"

namespace conformance::engine {

// `failure` is set when the sequence still fails.
struct ReplayResult {
  std::optional<Failure> failure;
  std::vector<TraceStep> trace;
};

// Throws std::invalid_argument for a command the spec or the profile does not know,
// TargetError when the target cannot be reached.
ReplayResult replay(const RunConfig& config, const std::vector<nlohmann::json>& commands);

// One recorded command, ready to run on a sequence whose generation model is `m`. Throws
// std::invalid_argument for a command the spec or the profile does not know, or one that
// names an instance `m` does not have yet.
CmdSP command_from_json(const RunConfig& config, const Model& m, const nlohmann::json& j);

// The commands of a failure's minimal sequence.
std::vector<nlohmann::json> commands_of(const Failure& failure);

}  // namespace conformance::engine
