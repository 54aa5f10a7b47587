#include "conformance/reports/progress.hpp"

namespace conformance::reports {

void ProgressReporter::sequence_finished(const engine::SequenceFinished& e) {
  last_ = e.progress;
  last_.coverage = nullptr;
  // At most a few times a second: a fast run finishes thousands of sequences a second.
  if (drawn_ >= 0 && e.progress.seconds - drawn_ < kMinInterval_s) {
    pending_ = true;
    return;
  }
  draw();
}

void ProgressReporter::draw() {
  const engine::Progress& p = last_;
  std::fprintf(
      out_, "\r%7.0f s  %9ld calls  %6.0f calls/s  %7d sequences  %d failures  clauses %zu/%zu   ",
      p.seconds, p.calls, p.seconds > 0 ? p.calls / p.seconds : 0.0, p.sequences, p.failures,
      p.clauses_reached, p.clauses_total);
  std::fflush(out_);
  drawn_ = p.seconds;
  pending_ = false;
}

void ProgressReporter::end_line() {
  if (ended_ || drawn_ < 0) return;
  ended_ = true;
  if (pending_) draw();
  std::fprintf(out_, "\n");
}

}  // namespace conformance::reports
