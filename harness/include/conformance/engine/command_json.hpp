// Command (de)serialisation: a symbolic command as JSON (the "command" of a trace
// step), and back, for replay.
#pragma once

#include <nlohmann/json.hpp>

#include "conformance/engine/model.hpp"

namespace conformance::engine {

// A symbolic call as JSON, and back. call_from_json throws std::invalid_argument
// naming the problem for a call the spec does not know.
nlohmann::json call_to_json(const Call& call);
Call call_from_json(const spec::Spec& spec, const nlohmann::json& j);

// A time step as JSON ({"advance_ms": N}).
nlohmann::json advance_to_json(std::int64_t ms);
// Whether `j` is a time step; its milliseconds, or std::invalid_argument when malformed.
bool is_advance(const nlohmann::json& j);
std::int64_t advance_from_json(const nlohmann::json& j);

// The text of an argument kind ("absent", "value", "instance", "fresh", "token").
const char* to_string(Arg::Kind k);

}  // namespace conformance::engine
