#include "mutants.hpp"

#include <sys/utsname.h>

#include <chrono>
#include <fstream>
#include <iomanip>
#include <random>
#include <sstream>
#include <thread>

#include "conformance/engine/campaign.hpp"
#include "embedded_mock.hpp"

namespace conformance::tools {

MutantOutcome run_mutant(const spec::Spec& spec, const MutantRunSettings& s,
                         const std::set<std::string>& faults, const std::string& binding,
                         std::uint64_t seed, const std::map<std::string, std::string>& variants) {
  auto mock = s.wall_clock_timeout > 0
                  ? cli::start_wall_clock_mock(faults, binding, s.wall_clock_timeout, variants)
                  : cli::start_embedded_mock(faults, binding, 2, variants);
  // The campaign users run (without regressions or a time budget), stopping at its
  // first failure (max_failures 1, --exit-first: what is measured), re-checked.
  engine::CampaignConfig c;
  c.run.spec = &spec;
  c.run.profile = mock.profile;
  c.run.seed = seed;
  c.run.sequences = s.sequences;
  c.run.max_steps = s.max_steps;
  c.run.shrink = s.shrink;
  c.run.shrink_budget_s = s.shrink_budget;
  c.workers = s.workers;
  engine::MultiReporter none;
  auto start = std::chrono::steady_clock::now();
  auto campaign = engine::run_campaign(c, none);
  const engine::RunResult& r = campaign.result;
  MutantOutcome o;
  o.variants = describe(variants);
  for (const auto& [id, n] : r.coverage.clauses)
    if (n > 0) o.clauses_reached.push_back(id);
  o.total_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // A flaky failure fails the run too (conformance exits 1).
  const engine::Failure* failure = r.failure()               ? r.failure()
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

std::map<std::string, std::string> random_variants(std::uint64_t seed,
                                                   const std::set<std::string>& avoid) {
  std::mt19937_64 rng(seed);
  std::map<std::string, std::string> out;
  for (const auto& v : dsmock::variant_catalogue()) {
    bool draw = rng() % 3 == 0;  // drawn first: the sequence of draws does not depend on avoid
    std::uint64_t pick = rng();
    if (!draw || std::any_of(v.clauses.begin(), v.clauses.end(),
                             [&](const std::string& c) { return avoid.count(c) > 0; }))
      continue;
    std::vector<std::string> values;
    for (std::size_t i = 1; i < v.values.size(); ++i)
      if (v.values[i].find('<') == std::string::npos &&
          std::find(v.documented_values.begin(), v.documented_values.end(), v.values[i]) ==
              v.documented_values.end())
        values.push_back(v.values[i]);
    if (!values.empty()) out[v.name] = values[pick % values.size()];
  }
  return out;
}

std::string describe(const std::map<std::string, std::string>& variants) {
  std::string out;
  for (const auto& [name, value] : variants)
    out += (out.empty() ? "" : ", ") + name + "=" + value;
  return out.empty() ? "none" : out;
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
