#include "conformance/engine/events.hpp"

namespace conformance::engine {

#define CONFORMANCE_FAN_OUT(method, Event)     \
  void MultiReporter::method(const Event& e) { \
    for (Reporter * r : reporters_)            \
      r->method(e);                            \
  }

CONFORMANCE_FAN_OUT(run_started, RunStarted)
CONFORMANCE_FAN_OUT(regressions_started, RegressionsStarted)
CONFORMANCE_FAN_OUT(replay_started, ReplayStarted)
CONFORMANCE_FAN_OUT(replay_finished, ReplayFinished)
CONFORMANCE_FAN_OUT(regressions_finished, RegressionsFinished)
CONFORMANCE_FAN_OUT(sequence_started, SequenceStarted)
CONFORMANCE_FAN_OUT(sequence_finished, SequenceFinished)
CONFORMANCE_FAN_OUT(call_checked, CallChecked)
CONFORMANCE_FAN_OUT(failure_found, FailureFound)
CONFORMANCE_FAN_OUT(shrink_step, ShrinkStep)
CONFORMANCE_FAN_OUT(parallel_failure_found, ParallelFailureFound)
CONFORMANCE_FAN_OUT(recheck_done, RecheckDone)
CONFORMANCE_FAN_OUT(checkpoint, Checkpoint)
CONFORMANCE_FAN_OUT(interrupted, Interrupted)
CONFORMANCE_FAN_OUT(run_finished, RunFinished)

#undef CONFORMANCE_FAN_OUT

}  // namespace conformance::engine
