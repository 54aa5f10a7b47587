// The spec's state machines as Graphviz DOT, coloured by what a run exercised.
#pragma once

#include <string>

#include "conformance/engine/events.hpp"
#include "conformance/engine/run.hpp"
#include "conformance/spec/spec.hpp"

namespace conformance::reports {

// Same graph as spec::to_dot(spec) (states, "(start)", "(gone)", one edge per
// operation that moves an instance, dashed server-driven moves), coloured by
// result.coverage.matrix: an edge is green when its operation succeeded from that
// state, orange when it was called from that state but never succeeded, grey when
// it was never called from that state. A state is green when some call started
// from it, grey otherwise. Child resources' states (not tracked by the matrix) and
// server-driven edges are left black.
std::string coverage_dot(const spec::Spec& spec, const engine::RunResult& result);

// Writes coverage_dot() (atomically) at the end of a run; with `svg` and Graphviz
// installed, FILE.dot also becomes FILE.dot.svg (no shell involved; without Graphviz
// the DOT file is the report).
class DotReporter : public engine::Reporter {
 public:
  DotReporter(std::string path, const spec::Spec& spec, bool svg = true);
  void run_finished(const engine::RunFinished& e) override;

 private:
  std::string path_;
  const spec::Spec& spec_;
  bool svg_;
};

}  // namespace conformance::reports
