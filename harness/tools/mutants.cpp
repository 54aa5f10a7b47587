#include "mutants.hpp"

#include <sys/utsname.h>

#include <chrono>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <thread>

#include "conformance/engine/runner.hpp"
#include "embedded_mock.hpp"

namespace conformance::tools {

MutantOutcome run_mutant(const spec::Spec& spec, const MutantRunSettings& s,
                         const std::set<std::string>& faults, const std::string& binding,
                         std::uint64_t seed) {
  auto mock = cli::start_embedded_mock(faults, binding);
  engine::RunConfig cfg;
  cfg.spec = &spec;
  cfg.profile = mock.profile;
  cfg.seed = seed;
  cfg.sequences = s.sequences;
  cfg.max_steps = s.max_steps;
  cfg.shrink = s.shrink;
  cfg.shrink_budget_s = s.shrink_budget;
  auto start = std::chrono::steady_clock::now();
  auto r = engine::run(cfg);
  MutantOutcome o;
  o.total_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (r.failure) {
    o.failed = true;
    o.clause = r.failure->violation.clause;
    o.sequences = r.failure->sequences_before;
    o.calls = r.failure->calls_to_first;
    o.seconds = r.failure->seconds_to_first;
    o.trace = static_cast<std::size_t>(
        std::count_if(r.failure->trace.begin(), r.failure->trace.end(),
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
