// Runs of the default conformance run against the embedded mock with some of its
// faults on: what the kill matrix (kill_matrix.cpp) and the benchmark (bench.cpp)
// measure.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "conformance/spec/spec.hpp"

namespace conformance::tools {

struct MutantRunSettings {
  int sequences = 200;  // the default conformance run's budget
  int max_steps = 40;
  bool shrink = true;
  double shrink_budget = 60;
  // > 0: the mock on the wall clock with this session timeout, and no clock control (no
  // reset: cleanup between sequences, real waits), as a mock started apart would be.
  double wall_clock_timeout = 0;
  int workers = 1;  // sequences at once (--workers); > 1 only on the wall clock
};

// One run of one mutant (or of the clean mock) on one binding and seed.
struct MutantOutcome {
  bool failed = false;
  std::string clause;        // the clause the run named
  int sequences = 0;         // passing sequences before the first failing one (all, when passed)
  long calls = 0;            // calls up to and including the first failure (all, when passed)
  double seconds = 0;        // from the run's start to the first failure (the run, when passed)
  std::size_t trace = 0;     // calls in the minimal failing sequence
  double total_seconds = 0;  // the whole run, shrinking included
  std::string variants;      // the mock's behaviour variants in this run ("none")
  std::vector<std::string> clauses_reached;  // clause ids exercised at least once
};

MutantOutcome run_mutant(const spec::Spec& spec, const MutantRunSettings& s,
                         const std::set<std::string>& faults, const std::string& binding,
                         std::uint64_t seed,
                         const std::map<std::string, std::string>& variants = {});

// A random choice of mock behaviour variants (about a third of them, each with a random
// non-default value) that a conforming server could make at the default strictness: values
// that need --strictness documented are never drawn, nor variants that concern one of
// `avoid` (the clauses the faults break). The same draw for the same seed.
std::map<std::string, std::string> random_variants(std::uint64_t seed,
                                                   const std::set<std::string>& avoid);
// "a=b, c=d", or "none".
std::string describe(const std::map<std::string, std::string>& variants);

template <typename T>
double median(std::vector<T> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  auto n = v.size();
  return n % 2 ? static_cast<double>(v[n / 2])
               : (static_cast<double>(v[n / 2 - 1]) + static_cast<double>(v[n / 2])) / 2;
}

// v with exactly `decimals` decimals ("0.72").
std::string fmt(double v, int decimals);

// "Intel(R) Xeon(R) ..., 2 cores, Linux 6.1.0"
std::string machine_description();

}  // namespace conformance::tools
