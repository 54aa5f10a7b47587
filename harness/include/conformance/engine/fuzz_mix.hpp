// A fuzz with a share of parallel cases (issue 15; fuzz --parallel-share, 0.1 by default): the
// campaign's sequences for most of the duration, then parallel cases (parallel.hpp) for the rest,
// told to the reporter as one run (one RunStarted, one RunFinished with the results merged).
//
// The parallel part comes last: workers (workers.hpp) fork before any thread starts, and
// the parallel branches are threads.
#pragma once

#include "conformance/engine/campaign.hpp"
#include "conformance/engine/parallel.hpp"

namespace conformance::engine {

// Runs config (config.duration_s > 0) with `share` (0 to 1) of the duration given to
// parallel cases. The sequential part keeps going as usual; the parallel part starts
// when it ends (lowering config.run.stop, which the campaign raises when its duration is
// spent), unless it was interrupted, a budget other than the duration (calls,
// failures) ended it, or it aborted; a parallel failure on a clause already found is not
// counted twice. Throws what run_campaign and run_parallel throw.
CampaignResult run_fuzz_with_parallel_share(const CampaignConfig& config,
                                            const ParallelOptions& options, double share,
                                            Reporter& reporter);

}  // namespace conformance::engine
