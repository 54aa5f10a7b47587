#include "conformance/reports/markdown.hpp"

#include <cmath>
#include <cstdio>
#include <set>
#include <sstream>

#include "conformance/reports/atomic_file.hpp"
#include "conformance/reports/console.hpp"
#include "conformance/reports/curl.hpp"
#include "conformance/reports/sanitize.hpp"

namespace conformance::reports {

namespace {

std::size_t longest_backtick_run(std::string_view s) {
  std::size_t best = 0, run = 0;
  for (char c : s) {
    run = c == '`' ? run + 1 : 0;
    best = std::max(best, run);
  }
  return best;
}

std::string seconds(double s) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f", std::isfinite(s) && s > 0 ? s : 0.0);
  return buf;
}

std::string status_cell(const std::string& status, const std::string& reason, bool flaky) {
  if (status == "failed") return reason.empty() ? "❌ failed" : "❌ failed: " + markdown_text(reason);
  if (status == "skipped") return "⏭️ skipped: " + markdown_text(reason);
  return flaky ? "⚠️ passed (flaky: failed once, did not reproduce)" : "✅ passed";
}

void write_failure(std::ostream& out, const engine::Failure& failure, const spec::Spec& spec,
                   const RunInfo& info) {
  engine::Failure f = redact_failure(failure, engine::SecretHeaders(info.secret_headers));
  const auto& v = f.violation;
  out << "### Failure: " << markdown_code(v.clause, false);
  if (!v.operation.empty()) out << " in " << markdown_code(v.operation, false);
  out << "\n\n";
  if (const spec::Clause* c = spec.find_clause(v.clause)) {
    out << "- **Clause:** " << markdown_text(c->summary) << " (" << spec::to_string(c->provenance)
        << ")\n";
    if (!c->reason.empty()) out << "- **Why:** " << markdown_text(c->reason) << "\n";
  }
  out << "- **Expected:** " << markdown_text(v.expected) << "\n";
  out << "- **Actual:** " << markdown_text(v.actual) << "\n";
  out << "- **Seed:** " << f.seed << "\n";
  for (const auto& a : f.after)
    out << "- **After:** " << after_note(a, info, "`", "`") << "\n";
  out << "- First failure after " << f.sequences_before << " passing sequences, "
      << f.calls_to_first << " calls, " << seconds(f.seconds_to_first) << " s; minimal sequence of "
      << f.trace.size() << " steps (" << f.shrinks << " shrink steps):\n\n";
  std::ostringstream trace;
  write_trace(trace, f);
  out << markdown_fence(trace.str()) << "\n";
  if (const engine::TraceStep* step = failing_step(f))
    out << "The failing call with curl (`" << kTokenVariable
        << "`: a session token of its user):\n\n"
        << markdown_fence(curl_command(*step, info) + "\n", "sh") << "\n";
  if (!info.reproduce.empty())
    out << "Reproduce:\n\n" << markdown_fence(info.reproduce + "\n", "sh") << "\n";
}

}  // namespace

std::string markdown_text(std::string_view s) {
  std::string out;
  for (char c : visible_text(s, /*one_line=*/true)) {
    if (append_entity(out, c)) continue;
    switch (c) {
      case '\\':
      case '`':
      case '|':
      case '*':
      case '_':
      case '[':
      case ']':
      case '~':
      case '#':
        out += '\\';
        out += c;
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string markdown_code(std::string_view s, bool in_table) {
  std::string text = visible_text(s, /*one_line=*/true);
  if (text.empty()) return "";
  std::string fence(longest_backtick_run(text) + 1, '`');
  bool pad = text.front() == '`' || text.back() == '`' ||
             (text.front() == ' ' && text.back() == ' ' &&
              text.find_first_not_of(' ') != std::string::npos);
  std::string body = pad ? " " + text + " " : text;
  if (in_table) {
    std::string escaped;
    for (char c : body) {
      if (c == '|') escaped += '\\';
      escaped += c;
    }
    body = escaped;
  }
  return fence + body + fence;
}

std::string markdown_fence(std::string_view s, std::string_view info) {
  std::string text = visible_text(s);
  if (!text.empty() && text.back() != '\n') text += '\n';
  std::string fence(std::max<std::size_t>(3, longest_backtick_run(text) + 1), '`');
  return fence + std::string(info) + "\n" + text + fence + "\n";
}

void write_markdown(std::ostream& out, const spec::Spec& spec, const engine::RunResult& r,
                    const RunInfo& info, const std::vector<engine::Failure>* flaky) {
  std::set<std::string> flaky_clauses;
  if (flaky)
    for (const auto& f : *flaky)
      flaky_clauses.insert(f.violation.clause);

  auto clauses = spec.clauses();
  int passed = 0, failed = 0, skipped = 0;
  std::vector<ClauseVerdict> verdicts;
  for (const spec::Clause* c : clauses) {
    ClauseVerdict v = clause_verdict(*c, r, info, flaky);
    (v.status == "passed" ? passed : v.status == "failed" ? failed : skipped)++;
    verdicts.push_back(std::move(v));
  }

  // Verdict.
  std::string title = spec.title.empty() ? spec.service_name : spec.title;
  if (r.interrupted)
    out << "## ⚠️ Conformance INCOMPLETE (run ended early): " << markdown_text(title) << "\n\n";
  else if (failed > 0 || !r.failures.empty())
    out << "## ❌ Conformance failed: " << markdown_text(title) << "\n\n";
  else if (r.passed)
    out << "## ✅ Conformance passed: " << markdown_text(title) << "\n\n";
  else
    out << "## ❌ Conformance did not pass: " << markdown_text(title) << "\n\n";
  if (r.interrupted)
    out << "**INCOMPLETE:** the run ended before its budget was spent"
        << (r.ended_early.empty() ? "" : " (" + markdown_text(r.ended_early) + ")")
        << "; the clauses not failed are not known to conform. ";
  if (!r.failures.empty()) {
    out << (r.failures.size() == 1 ? "Violation of " : "Violations of ");
    for (std::size_t i = 0; i < r.failures.size(); ++i)
      out << (i ? ", " : "") << markdown_code(r.failures[i].violation.clause, false);
    out << ". ";
    const auto groups = group_by_cause(r);
    if (std::string causes = cause_summary(groups); !causes.empty()) {
      out << "By cause (" << causes << "):";
      for (std::size_t i = 0; i < groups.size(); ++i) {
        out << (i ? "; " : " ") << markdown_code(groups[i].cause->violation.clause, false);
        for (std::size_t k = 0; k < groups[i].consequences.size(); ++k)
          out << (k ? ", " : " then ")
              << markdown_code(groups[i].consequences[k]->violation.clause, false);
      }
      out << ". ";
    }
  } else if (failed == 0) {
    out << "No violations" << (r.interrupted ? " before the run was interrupted" : "") << ". ";
  }
  out << clauses.size() << " clauses: " << passed << " passed, " << failed << " failed, " << skipped
      << " skipped";
  if (!flaky_clauses.empty()) out << "; " << flaky_clauses.size() << " flaky";
  out << ".\n\n";

  // Run facts.
  auto fact = [&](const std::string& name, const std::string& cell) {
    out << "| " << name << " | " << cell << " |\n";
  };
  out << "| Run | |\n|---|---|\n";
  fact("Target", markdown_code(info.target, true));
  fact("Binding", markdown_code(info.binding, true));
  fact("Seed", markdown_code(std::to_string(r.seed), true));
  fact("Strictness", markdown_code(info.strictness, true));
  fact("Spec",
       markdown_code(info.spec_file, true) +
           (info.spec_sha256.empty() ? "" : " sha256 " + markdown_code(info.spec_sha256, true)));
  fact("Harness", markdown_code(info.version, true));
  fact("Sequences", std::to_string(r.sequences) + (r.interrupted ? " (interrupted)" : ""));
  fact("Calls", std::to_string(r.calls) + " in " + seconds(r.seconds) + " s");
  out << "\n";

  for (const auto& f : r.failures)
    write_failure(out, f, spec, info);

  if (flaky && !flaky->empty()) {
    out << "### Failed once, did not reproduce (flaky)\n\n";
    out << "| Clause | Operation | Expected | Actual | Seed |\n|---|---|---|---|--:|\n";
    for (const auto& f : *flaky) {
      const auto& v = f.violation;
      out << "| " << markdown_code(v.clause, true) << " | " << markdown_code(v.operation, true)
          << " | " << markdown_text(v.expected) << " | " << markdown_text(v.actual) << " | "
          << f.seed << " |\n";
    }
    out << "\n";
  }

  // Clause coverage.
  out << "### Clauses\n\n<details><summary>" << clauses.size() << " clauses: " << passed
      << " passed, " << failed << " failed, " << skipped << " skipped</summary>\n\n";
  out << "| Clause | Provenance | Status | Exercised |\n|---|---|---|--:|\n";
  for (std::size_t i = 0; i < clauses.size(); ++i) {
    const spec::Clause* c = clauses[i];
    auto it = r.coverage.clauses.find(c->id);
    long n = it == r.coverage.clauses.end() ? 0 : it->second;
    out << "| " << markdown_code(c->id, true) << " | " << spec::to_string(c->provenance) << " | "
        << status_cell(verdicts[i].status, verdicts[i].reason, flaky_clauses.count(c->id) > 0)
        << " | " << n << " |\n";
  }
  out << "\n</details>\n\n";

  // Operation x state x outcome.
  out << "### Operations by state and outcome\n\n";
  if (r.coverage.matrix.empty()) {
    out << "No calls were made.\n\n";
  } else {
    std::set<std::string> outcomes;
    for (const auto& [op, states] : r.coverage.matrix)
      for (const auto& [state, counts] : states)
        for (const auto& [outcome, n] : counts)
          outcomes.insert(outcome);
    std::vector<std::string> columns;
    if (outcomes.count("success")) columns.push_back("success");
    for (const auto& o : outcomes)
      if (o != "success") columns.push_back(o);
    out << "<details><summary>" << r.coverage.matrix.size()
        << " operations; rows: the state before the call, columns: the outcome</summary>\n\n";
    out << "| Operation | State before |";
    for (const auto& o : columns)
      out << " " << markdown_code(o, true) << " |";
    out << "\n|---|---|";
    for (std::size_t i = 0; i < columns.size(); ++i)
      out << "--:|";
    out << "\n";
    for (const auto& [op, states] : r.coverage.matrix)
      for (const auto& [state, counts] : states) {
        out << "| " << markdown_code(op, true) << " | " << markdown_code(state, true) << " |";
        for (const auto& o : columns) {
          auto it = counts.find(o);
          out << " " << (it == counts.end() ? "" : std::to_string(it->second)) << " |";
        }
        out << "\n";
      }
    out << "\n</details>\n\n";
  }

  // Where the contract is silent.
  if (!r.coverage.observed_open.empty()) {
    out << "### Observed where the contract is silent\n\n| Clause | Behaviour | Times "
           "|\n|---|---|--:|\n";
    for (const auto& [what, n] : r.coverage.observed_open) {
      // "clause-id: what the target did"
      auto colon = what.find(": ");
      std::string clause = colon == std::string::npos ? "" : what.substr(0, colon);
      std::string behaviour = colon == std::string::npos ? what : what.substr(colon + 2);
      out << "| " << markdown_code(clause, true) << " | " << markdown_text(behaviour) << " | " << n
          << " |\n";
    }
    out << "\n";
  }
}

MarkdownReporter::MarkdownReporter(std::string path, const spec::Spec& spec, const RunInfo& info)
    : path_(std::move(path)), spec_(spec), info_(info) {}

void MarkdownReporter::checkpoint(const engine::Checkpoint& e) {
  write(e.partial, nullptr);
}

void MarkdownReporter::run_finished(const engine::RunFinished& e) {
  write(e.result, e.flaky.empty() ? nullptr : &e.flaky);
}

void MarkdownReporter::write(const engine::RunResult& result,
                             const std::vector<engine::Failure>* flaky) {
  std::ostringstream s;
  write_markdown(s, spec_, result, info_, flaky);
  write_file_atomically(path_, s.str());
}

}  // namespace conformance::reports
