// State between sequences on a target without reset: the sessions that were there before
// the run (pre-existing: recorded, checked, never deleted unless asked), and the cleanup of
// what each sequence created (checked like any call, then read back).
#pragma once

#include <optional>

#include "conformance/engine/commands.hpp"

namespace conformance::engine {

// The operations the spec gives the roles the cleanup needs: one that lists a user's
// managed instances (an id list with no required parameter), one that removes an instance,
// one that reads an instance back (returns the resource by an id parameter). Null where
// the spec has none.
struct CleanupRoles {
  const spec::Operation* lister = nullptr;
  const spec::Operation* remover = nullptr;
  const spec::Operation* getter = nullptr;
};
CleanupRoles cleanup_roles(const spec::Spec& spec);

// Checks the instances the target listed before the run (Target::preexisting()), like any
// other: each is read back by the user whose list showed it (it must be that user's: found,
// and of the resource's shape); one that user cannot read is listed again, and one still
// listed is not the caller's (the list's owner clause). With config.delete_preexisting,
// each checked one is then deleted by its owner and read back (gone). Returns the first
// violation as a failure whose trace is these calls, or nothing.
std::optional<Failure> check_preexisting(Target& target, const RunConfig& config);

// The end of a sequence that passed, on a target without reset: every instance the model
// says may still be alive is deleted by its owner and read back, through the checked path
// (CallCommand), so a delete that does not delete is a finding on the delete clause, in this
// sequence. Throws SequenceFailed (the failure is recorded as for any call).
void clean_up_sequence(Sut& sut);

}  // namespace conformance::engine
