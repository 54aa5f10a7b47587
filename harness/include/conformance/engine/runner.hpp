// A conformance run: RapidCheck generates call sequences from the spec (rc::state),
// the runner sends them to the target, the checker judges every answer, and the
// engine tells a Reporter what happens (events.hpp). This header gathers the engine's
// interface; each concern has its own:
//   run.hpp          what a run is: configuration, result, failure, coverage
//   events.hpp       the event stream and the Reporter interface
//   campaign.hpp     the policy of a run: regressions, rounds, the flaky re-check
//   driver.hpp       one RapidCheck run of the property
//   replay.hpp       recorded commands sent again
//   target.hpp       the target adapter: login, reset or cleanup, discovery
//   generation.hpp   the next command of a sequence
//   commands.hpp     a call sent and judged, time passing (burst.hpp: concurrent replays)
//   symbols.hpp      symbolic ids resolved to the target's
//   recorder.hpp     what a run accumulates
//   trace.hpp        raw steps rendered as readable, replayable traces
//   command_json.hpp commands as JSON and back
#pragma once

#include "conformance/engine/campaign.hpp"
#include "conformance/engine/command_json.hpp"
#include "conformance/engine/driver.hpp"
#include "conformance/engine/events.hpp"
#include "conformance/engine/recorder.hpp"
#include "conformance/engine/replay.hpp"
#include "conformance/engine/run.hpp"
#include "conformance/engine/target.hpp"
