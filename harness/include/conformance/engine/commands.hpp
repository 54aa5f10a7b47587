// The commands of a sequence, as RapidCheck's rc::state runs them: a call of an
// operation, or time passing. Commands are immutable values; what a run learns as
// it goes (the model that follows the answers, the ids the target gave, the trace)
// lives in the Sut, the system under test as the commands see it.
#pragma once

#include <rapidcheck/state.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <vector>

#include "conformance/engine/recorder.hpp"
#include "conformance/engine/target.hpp"

namespace conformance::engine {

struct Sut {
  Target* target = nullptr;
  const RunConfig* config = nullptr;
  Recorder* rec = nullptr;
  Memory mem;
  std::vector<RawStep> trace;
  // The model that follows the answers (settle()): answers are checked against it.
  // RapidCheck's model, which calls are generated from, cannot know the answers; the
  // two have the same instance slots.
  Model model;
};

// A sequence about to start on the target: the target in a known state, model time 0
// tied to the target's clock, client tokens unique to this sequence where the
// target cannot be reset.
Sut begin_sequence(Target& target, const RunConfig& config, Recorder& rec);

// Thrown by a command whose answer broke a clause: the sequence fails. The failure
// (with its trace) is in the Recorder (first, last).
class SequenceFailed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Thrown by a command when the run is asked to stop (RunConfig::stop): the sequence
// ends at once, neither passed nor failed.
class SequenceStopped : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

using Cmd = rc::state::Command<Model, Sut>;
using CmdSP = std::shared_ptr<const Cmd>;

// A call of an operation: sent, its answer judged against the Sut's model.
struct CallCommand : Cmd {
  std::shared_ptr<const Call> shared;  // also held by the trace's steps
  const Call& call;
  explicit CallCommand(Call c);

  void checkPreconditions(const Model& m) const override;
  void apply(Model& m) const override;
  void run(const Model& generated, Sut& sut) const override;
  void show(std::ostream& os) const override;
};

// Time passing, on the target's clock control or the wall clock.
struct AdvanceCommand : Cmd {
  std::int64_t ms;
  explicit AdvanceCommand(std::int64_t m) : ms(m) {}
  void apply(Model& m) const override;
  void run(const Model&, Sut& sut) const override;
  void show(std::ostream& os) const override;
};

}  // namespace conformance::engine
