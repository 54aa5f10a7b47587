#include "conformance/reports/console.hpp"

#include <cstdlib>
#include <filesystem>
#include <iomanip>

#include "conformance/reports/curl.hpp"
#include "conformance/reports/sanitize.hpp"
#include "conformance/reports/trace_file.hpp"

namespace conformance::reports {

void write_trace(std::ostream& out, const engine::Failure& f) {
  int n = 0;
  for (const auto& step : f.trace) {
    ++n;
    out << "  " << n << ". " << step.description << "\n";
    if (!step.is_call) continue;
    const auto& rq = step.exchange.request;
    out << "     > " << rq.method << " " << rq.target() << "\n";
    for (const auto& [k, v] : rq.headers)
      out << "     > " << k << ": " << v << "\n";
    if (rq.body) out << "     > " << *rq.body << "\n";
    const auto& rs = step.exchange.response;
    if (!rs.transport_error.empty()) {
      out << "     < (no answer: " << rs.transport_error << ")\n";
    } else {
      out << "     < HTTP " << rs.status << "\n";
      if (!rs.body.empty()) out << "     < " << rs.body << "\n";
    }
    out << "     expected: " << step.expected << "\n";
    for (const auto& v : step.violations)
      out << "     VIOLATION " << v.clause << ": expected " << v.expected << "; got " << v.actual
          << "\n";
  }
}

namespace {

void write_failure(std::ostream& out, const spec::Spec& spec, const engine::Failure& failure,
                   const RunInfo& info, const std::string& traces_dir) {
  engine::Failure f = redact_failure(failure, engine::SecretHeaders(info.secret_headers));
  out << "\nFAILED: " << f.violation.clause
      << (f.violation.operation.empty() ? "" : " (" + f.violation.operation + ")") << "\n";
  if (const spec::Clause* c = spec.find_clause(f.violation.clause); c && !c->summary.empty())
    out << "  clause:   " << c->summary << "\n";
  out << "  expected: " << f.violation.expected << "\n  actual:   " << f.violation.actual << "\n";
  if (f.symptom)
    out << "  diagnosed: the first divergence is after step " << f.diagnosed_step << " ("
        << f.diagnosis << ")\n  symptom:   " << f.symptom->clause
        << (f.symptom->operation.empty() ? "" : " (" + f.symptom->operation + ")") << ": expected "
        << f.symptom->expected << "; got " << f.symptom->actual << " at the last step\n";
  for (const auto& a : f.after)
    out << "  note: " << after_note(a, info) << "\n";
  out << "  first failure after " << f.sequences_before << " passing sequences, "
      << f.calls_to_first << " calls, " << std::fixed << std::setprecision(2) << f.seconds_to_first
      << " s; minimal sequence (" << f.trace.size() << " steps, " << f.shrinks
      << " shrink steps):\n";
  write_trace(out, f);
  if (const engine::TraceStep* step = failing_step(f)) {
    out << "  the failing call with curl (" << kTokenVariable << ": a session token of its user"
        << (info.target == "mock" ? "; CONFORMANCE_TARGET: a standalone mock's URL" : "")
        << "):\n    " << curl_command(*step, info) << "\n";
  }
  if (!traces_dir.empty() && f.violation.clause != "harness.internal")
    out << "  trace: " << (std::filesystem::path(traces_dir) / trace_file_name(f)).string() << "\n";
}

}  // namespace

void write_console(std::ostream& out, const spec::Spec& spec, const engine::RunResult& r,
                   const RunInfo& info, const std::vector<engine::Failure>* flaky,
                   const std::string& traces_dir) {
  out << "conformance " << info.version << ": " << spec.title << "\n";
  out << "target " << info.target << ", binding " << info.binding << ", seed " << r.seed
      << ", strictness " << info.strictness << "\n";
  out << r.sequences << " sequences, " << r.calls << " calls in " << std::fixed
      << std::setprecision(2) << r.seconds << " s (" << std::setprecision(0)
      << (r.seconds > 0 ? r.calls / r.seconds : 0) << " calls/s)"
      << (r.interrupted ? ", interrupted" : "") << "\n\n";
  out << "Clauses (times exercised):\n";
  int passed = 0, failed = 0, skipped = 0;
  for (const auto* c : spec.clauses()) {
    ClauseVerdict v = clause_verdict(*c, r, info, flaky);
    const std::string& st = v.status;
    (st == "passed" ? passed : st == "failed" ? failed : skipped)++;
    auto it = r.coverage.clauses.find(c->id);
    long n = it == r.coverage.clauses.end() ? 0 : it->second;
    out << "  " << std::left << std::setw(8) << st << std::right << std::setw(7) << n << "  "
        << c->id
        << (c->provenance == spec::Provenance::documented
                ? ""
                : " [" + spec::to_string(c->provenance) + "]");
    if (!info.excluded.empty() && info.excluded.count(c->id)) out << " (" << v.reason << ")";
    if (st == "failed" && !v.failure) out << " (" << v.reason << ")";
    out << "\n";
  }
  out << "  " << passed << " passed, " << failed << " failed, " << skipped << " skipped\n";
  if (std::getenv("CONFORMANCE_DEBUG"))
    for (const auto& [k, n] : r.coverage.generated)
      out << "  gen " << k << " " << n << "\n";
  if (!r.coverage.matrix.empty()) {
    out << "\nOperation x state before the call -> outcome (count):\n";
    for (const auto& [op, states] : r.coverage.matrix) {
      out << "  " << op << ":";
      for (const auto& [st, outcomes] : states)
        for (const auto& [outcome, n] : outcomes)
          out << "  " << st << "->" << outcome << " " << n;
      out << "\n";
    }
  }
  if (!r.lease_probes.empty()) out << "\n" << r.lease_probes << "\n";
  if (!r.coverage.observed_open.empty()) {
    out << "\nObserved where the contract is silent:\n";
    for (const auto& [what, n] : r.coverage.observed_open)
      out << "  " << std::setw(6) << n << "  " << what << "\n";
  }
  for (const auto& f : r.failures)
    write_failure(out, spec, f, info, traces_dir);
  if (!r.failures.empty()) out << "  reproduce: " << info.reproduce << "\n";
  const auto groups = group_by_cause(r);
  const std::string causes = cause_summary(groups);
  if (!causes.empty()) {
    out << "\nBy cause (" << causes << "):\n";
    for (const auto& g : groups) {
      out << "  " << g.cause->violation.clause << "\n";
      for (const auto* c : g.consequences)
        out << "    then " << c->violation.clause << "\n";
    }
  }
  if (!r.ended_early.empty()) out << "\nThe run ended early: " << r.ended_early << "\n";
  if (r.interrupted)
    out << "\nINCOMPLETE: the run ended before its budget was spent; "
        << (r.failures.empty() ? "no violation so far"
                               : std::to_string(failed) + " clauses failed so far")
        << " (not a pass)\n";
  else if (r.failures.empty() && failed == 0)
    out << "\nPASSED: no violations\n";
  else if (r.failures.size() > 1 || failed > static_cast<int>(r.failures.size()))
    out << "\nFAILED: " << failed << " clauses violated"
        << (causes.empty() ? "" : " (" + causes + ")") << "\n";
}

void ConsoleReporter::run_started(const engine::RunStarted& e) {
  out_ << "conformance " << info_.version << ": target " << info_.target << ", binding "
       << info_.binding << ", seed " << e.config.seed;
  if (!info_.budget.empty()) out_ << ", budget " << info_.budget;
  out_ << "\n" << std::flush;
}

ConsoleReporter::ConsoleReporter(std::ostream& out, const spec::Spec& spec, const RunInfo& info,
                                 std::string traces_dir)
    : out_(out), spec_(spec), info_(info), traces_dir_(std::move(traces_dir)) {}

void ConsoleReporter::regressions_started(const engine::RegressionsStarted& e) {
  out_ << "Regressions (" << e.count << " in " << e.dir << "):\n";
}

void ConsoleReporter::replay_started(const engine::ReplayStarted& e) {
  if (e.recorded_spec_sha256 != e.spec_sha256)
    out_ << "  note: " << e.path << " was recorded with another spec (sha256 "
         << e.recorded_spec_sha256.substr(0, 12) << ")\n";
}

void ConsoleReporter::replay_finished(const engine::ReplayFinished& e) {
  if (e.failure)
    out_ << "  still fails: " << e.path << ": " << e.failure->violation.clause << ": expected "
         << e.failure->violation.expected << "; got " << e.failure->violation.actual << "\n";
  else
    out_ << "  fixed: " << e.path << " (was " << e.recorded_clause << ")\n";
}

void ConsoleReporter::regressions_finished(const engine::RegressionsFinished&) {
  out_ << "\n";
}

void ConsoleReporter::recheck_done(const engine::RecheckDone& e) {
  if (!e.error.empty()) out_ << "note: the failure could not be re-checked: " << e.error << "\n";
}

void ConsoleReporter::run_finished(const engine::RunFinished& e) {
  const engine::RunResult& result = e.result;
  write_console(out_, spec_, result, info_, &e.flaky, traces_dir_);
  for (const auto& f : e.flaky)
    out_ << "\nFLAKY: " << f.violation.clause << " failed once (expected " << f.violation.expected
         << "; got " << f.violation.actual << ") and did not reproduce from seed " << f.seed
         << "\n";
  if (result.failure_of("harness.internal")) return;
  if (result.aborted) {
    out_ << "\nABORTED: stopped at the first transport error "
            "(--on-transport-error abort): not shrunk, not re-checked\n";
    return;
  }
  if (e.min_coverage && e.never_reached)
    out_ << "--min-coverage: " << e.never_reached << " non-open clauses were never reached\n";
}

}  // namespace conformance::reports
