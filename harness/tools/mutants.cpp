#include "mutants.hpp"

#include <sys/utsname.h>

#include <chrono>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <thread>

#include "conformance/engine/campaign.hpp"
#include "embedded_mock.hpp"

namespace conformance::tools {

MutantOutcome run_mutant(const spec::Spec& spec, const MutantRunSettings& s,
                         const std::set<std::string>& faults, const std::string& binding,
                         std::uint64_t seed) {
  auto mock = cli::start_embedded_mock(faults, binding);
  // The campaign users run (without regressions or a time budget): one run, its
  // failure re-checked.
  engine::CampaignConfig c;
  c.run.spec = &spec;
  c.run.profile = mock.profile;
  c.run.seed = seed;
  c.run.sequences = s.sequences;
  c.run.max_steps = s.max_steps;
  c.run.shrink = s.shrink;
  c.run.shrink_budget_s = s.shrink_budget;
  engine::MultiReporter none;
  auto start = std::chrono::steady_clock::now();
  auto campaign = engine::run_campaign(c, none);
  const engine::RunResult& r = campaign.result;
  MutantOutcome o;
  o.total_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // A flaky failure fails the run too (conformance exits 1).
  const engine::Failure* failure = r.failure                 ? &*r.failure
                                   : !campaign.flaky.empty() ? &campaign.flaky.front()
                                                             : nullptr;
  if (failure) {
    o.failed = true;
    o.clause = failure->violation.clause;
    o.sequences = failure->sequences_before;
    o.calls = failure->calls_to_first;
    o.seconds = failure->seconds_to_first;
    o.trace = static_cast<std::size_t>(
        std::count_if(failure->trace.begin(), failure->trace.end(),
                      [](const engine::TraceStep& t) { return t.is_call; }));
  } else {
    o.sequences = r.sequences;
    o.calls = r.calls;
    o.seconds = r.seconds;
  }
  return o;
}

std::string fmt(double v, int decimals) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(decimals) << v;
  return s.str();
}

std::string machine_description() {
  std::string cpu = "unknown CPU";
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("model name", 0) == 0) {
      auto colon = line.find(':');
      if (colon != std::string::npos && colon + 2 <= line.size()) cpu = line.substr(colon + 2);
      break;
    }
  utsname u{};
  uname(&u);
  return cpu + ", " + std::to_string(std::thread::hardware_concurrency()) + " cores, " + u.sysname +
         " " + u.release;
}

}  // namespace conformance::tools
