// The live progress line of a run on a terminal: elapsed time, calls, calls/s,
// sequences, failing clauses and clauses reached, rewritten in place after a sequence,
// at most every kMinInterval_s of the run (the last state is drawn when it ends).
#pragma once

#include <cstdio>

#include "conformance/engine/events.hpp"

namespace conformance::reports {

class ProgressReporter : public engine::Reporter {
 public:
  explicit ProgressReporter(std::FILE* out = stderr) : out_(out) {}
  void sequence_finished(const engine::SequenceFinished& e) override;
  // The line is ended once the searches are over (if it was drawn at all).
  void recheck_done(const engine::RecheckDone&) override { end_line(); }
  void run_finished(const engine::RunFinished&) override { end_line(); }

 private:
  static constexpr double kMinInterval_s = 0.25;
  void draw();
  void end_line();
  std::FILE* out_;
  bool ended_ = false;
  engine::Progress last_;
  double drawn_ = -1;  // the run's seconds when last drawn (-1: never)
  bool pending_ = false;
};

}  // namespace conformance::reports
