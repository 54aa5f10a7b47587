#include "conformance/reports/progress.hpp"

namespace conformance::reports {

void ProgressReporter::sequence_finished(const engine::SequenceFinished& e) {
  const engine::Progress& p = e.progress;
  std::fprintf(
      out_, "\r%7.0f s  %9ld calls  %6.0f calls/s  %7d sequences  %d failures  clauses %zu/%zu   ",
      p.seconds, p.calls, p.seconds > 0 ? p.calls / p.seconds : 0.0, p.sequences, p.failures,
      p.clauses_reached, p.clauses_total);
  std::fflush(out_);
}

void ProgressReporter::end_line() {
  if (ended_) return;
  ended_ = true;
  std::fprintf(out_, "\n");
}

}  // namespace conformance::reports
