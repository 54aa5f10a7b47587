// The live progress line of a long run on a terminal: elapsed time, calls, calls/s,
// sequences, failures and clauses reached, rewritten in place after every sequence.
#pragma once

#include <cstdio>

#include "conformance/engine/events.hpp"

namespace conformance::reports {

class ProgressReporter : public engine::Reporter {
 public:
  explicit ProgressReporter(std::FILE* out = stderr) : out_(out) {}
  void sequence_finished(const engine::SequenceFinished& e) override;
  // The line is ended once the rounds are over.
  void recheck_done(const engine::RecheckDone&) override { end_line(); }
  void run_finished(const engine::RunFinished&) override { end_line(); }

 private:
  void end_line();
  std::FILE* out_;
  bool ended_ = false;
};

}  // namespace conformance::reports
