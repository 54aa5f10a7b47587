// Generation: the next command of a sequence, drawn from the model the calls are
// generated from (which knows nothing of the answers), weighted towards what can
// still be learnt: creates first, calls on live instances, time passing when a
// deadline is pending, now and then a deliberately bad request.
#pragma once

#include <string>
#include <vector>

#include "conformance/engine/commands.hpp"

namespace conformance::engine {

// What generation needs to know of each operation, worked out once per run from
// the spec and the binding (not at every generated step).
struct OpFacts {
  bool creates = false, observes_children = false, reads = false, renews = false;
  std::vector<std::string> omittable;  // required, not in the path, not a dispatch query
  std::vector<std::string> in_body;    // parameters the binding puts in the body
};

struct GenPlan {
  std::vector<const spec::Operation*> ops;
  std::vector<OpFacts> facts;  // by position in ops
  // An RPC binding's broken envelopes (by name): a malformed-body call sends one of
  // them, or (name "") a body that is not JSON.
  std::vector<std::string> negatives;
};

GenPlan make_plan(const spec::Spec& spec, const spec::Binding& binding);

// The generator of the command that follows `model`. `plan` must outlive it.
rc::Gen<CmdSP> gen_command(const Model& model, const GenPlan& plan);

}  // namespace conformance::engine
