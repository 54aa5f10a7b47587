// Symbolic-id resolution: the model names instances and client tokens by index; a
// call is resolved to real values only when it is sent, from what the harness has
// seen of the target (Memory, checker.hpp). What each answer shows is remembered.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "conformance/engine/checker.hpp"
#include "conformance/engine/model.hpp"
#include "conformance/engine/wire.hpp"

namespace conformance::engine {

// A well-formed id no instance has: "00000000-0000-4000-8000-<index+1, 12 hex digits>".
std::string fresh_id(int index);

// The call's arguments as concrete JSON values: instances by the ids the target
// answered (an instance the target gave no id for: a fresh one), fresh ids, client
// tokens unique to the sequence (Memory::token_nonce). Absent arguments are left out.
nlohmann::json resolve(const Call& c, const Memory& mem);

// Records what a successful answer showed: first-seen values of stable fields, the
// lease expiry last seen, child states.
void remember(Memory& mem, Model& post, const Call& c, const Decoded& d);

}  // namespace conformance::engine
