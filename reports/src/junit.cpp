#include "conformance/reports/junit.hpp"

#include <cmath>
#include <cstdio>
#include <sstream>

#include "conformance/reports/atomic_file.hpp"
#include "conformance/reports/console.hpp"
#include "conformance/reports/curl.hpp"
#include "conformance/reports/sanitize.hpp"

namespace conformance::reports {

namespace {

constexpr std::size_t kMaxMessageChars = 300;

struct Case {
  std::string classname, name;
  std::string status;  // passed | failed | skipped
  std::string reason;  // skipped
  const spec::Clause* clause = nullptr;
  std::vector<const engine::Failure*> flaky;
  const engine::Failure* failure = nullptr;  // failed, error: its minimal sequence (if any)
};

std::string escape(std::string_view raw, bool attribute) {
  std::string out;
  out.reserve(raw.size());
  for (char c : raw) {
    if (append_entity(out, c)) continue;
    switch (c) {
      case '"':
        if (attribute)
          out += "&quot;";
        else
          out += c;
        break;
      case '\n':
        if (attribute)
          out += "&#10;";
        else
          out += c;
        break;
      case '\t':
        if (attribute)
          out += "&#9;";
        else
          out += c;
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string message_of(const engine::Failure& f) {
  const auto& v = f.violation;
  std::string m = v.clause + ": expected " + v.expected + "; got " + v.actual;
  return truncate_utf8(visible_text(m, /*one_line=*/true), kMaxMessageChars);
}

// The body of a <failure> or <flakyFailure>: plain text, sanitized later.
std::string details(const engine::Failure& failure, const spec::Clause* clause, const RunInfo& info,
                    bool reproduced) {
  engine::Failure f = redact_failure(failure, engine::SecretHeaders(info.secret_headers));
  std::ostringstream out;
  const auto& v = f.violation;
  out << "clause: " << v.clause;
  if (clause) {
    out << " [" << spec::to_string(clause->provenance) << "]";
    if (!clause->summary.empty()) out << " - " << clause->summary;
  }
  out << "\n";
  if (clause && !clause->reason.empty()) out << "why: " << clause->reason << "\n";
  if (!v.operation.empty()) out << "operation: " << v.operation << "\n";
  out << "expected: " << v.expected << "\nactual:   " << v.actual << "\n";
  out << "seed: " << f.seed << "\n";
  for (const auto& a : f.after)
    out << "after: " << after_note(a, info) << "\n";
  if (!reproduced) out << "did not reproduce: the clause passed when the sequence was replayed\n";
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%.2f",
                std::isfinite(f.seconds_to_first) ? f.seconds_to_first : 0.0);
  out << "first failure after " << f.sequences_before << " passing sequences, " << f.calls_to_first
      << " calls, " << seconds << " s; minimal sequence (" << f.trace.size() << " steps, "
      << f.shrinks << " shrink steps):\n";
  write_trace(out, f);
  if (const engine::TraceStep* step = failing_step(f))
    out << "the failing call with curl: " << curl_command(*step, info) << "\n";
  if (!info.reproduce.empty()) out << "reproduce: " << info.reproduce << "\n";
  return out.str();
}

std::string body(const engine::Failure& f, const spec::Clause* c, const RunInfo& info,
                 bool reproduced) {
  return xml_text(visible_text(details(f, c, info, reproduced)));
}

std::vector<Case> cases_of(const spec::Spec& spec, const engine::RunResult& result,
                           const RunInfo& info, const std::vector<engine::Failure>* flaky) {
  std::vector<Case> cases;
  for (const spec::Clause* c : spec.clauses()) {
    ClauseVerdict v = clause_verdict(*c, result, info, flaky);
    Case k{c->area.empty() ? "contract" : c->area, c->id, v.status, v.reason, c, {}, v.failure};
    cases.push_back(std::move(k));
  }
  auto find = [&](const std::string& id) -> Case* {
    for (auto& k : cases)
      if (k.name == id) return &k;
    return nullptr;
  };
  // A failure of a clause the spec does not list still fails the report.
  // "harness.internal" is the harness's own fault, not the target's: an <error>.
  for (const auto& f : result.failures) {
    const std::string& id = f.violation.clause;
    if (!find(id))
      cases.push_back(
          {"run", id, id == "harness.internal" ? "error" : "failed", "", nullptr, {}, &f});
  }
  if (flaky) {
    for (const auto& f : *flaky) {
      Case* k = find(f.violation.clause);
      if (!k) {
        cases.push_back({"run", f.violation.clause, "passed", "", nullptr, {}, nullptr});
        k = &cases.back();
      }
      if (k->status == "skipped") k->status = "passed";  // it ran: it failed once
      k->flaky.push_back(&f);
    }
  }
  // An interrupted run is never a pass: one <error> says it is incomplete.
  if (result.interrupted)
    cases.push_back({"run",
                     "run.incomplete",
                     "incomplete",
                     "INCOMPLETE: the run ended before its budget was spent" +
                         (result.ended_early.empty() ? "" : " (" + result.ended_early + ")") +
                         " (" + std::to_string(result.sequences) + " sequences, " +
                         std::to_string(result.calls) +
                         " calls); clauses not failed are not known to conform",
                     nullptr,
                     {},
                     nullptr});
  return cases;
}

}  // namespace

std::string xml_text(std::string_view s) {
  return escape(s, false);
}
std::string xml_attribute(std::string_view s) {
  return escape(s, true);
}

std::string junit_time(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) seconds = 0;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f", seconds);
  return buf;
}

void write_junit(std::ostream& out, const spec::Spec& spec, const engine::RunResult& result,
                 const RunInfo& info, const std::vector<engine::Failure>* flaky, JunitRoot root) {
  auto attr = [](std::string_view s) { return xml_attribute(visible_text(s, true)); };
  std::vector<Case> cases = cases_of(spec, result, info, flaky);
  int failures = 0, skipped = 0, errors = 0;
  std::string flaky_ids;
  for (const auto& k : cases) {
    failures += k.status == "failed";
    skipped += k.status == "skipped";
    errors += k.status == "error" || k.status == "incomplete";
    if (!k.flaky.empty()) flaky_ids += (flaky_ids.empty() ? "" : ",") + k.name;
  }
  const std::string tests = std::to_string(cases.size());
  const std::string time = junit_time(result.seconds);
  const std::string suite_name = "conformance." + spec.service_name;

  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  std::string in = "";
  if (root == JunitRoot::testsuites) {
    out << "<testsuites name=\"conformance\" tests=\"" << tests << "\" failures=\"" << failures
        << "\" errors=\"" << errors << "\" time=\"" << time << "\">\n";
    in = "  ";
  }
  out << in << "<testsuite name=\"" << attr(suite_name) << "\" tests=\"" << tests
      << "\" failures=\"" << failures << "\" errors=\"" << errors << "\" skipped=\"" << skipped
      << "\" time=\"" << time << "\">\n";

  out << in << "  <properties>\n";
  auto property = [&](const std::string& name, const std::string& value) {
    out << in << "    <property name=\"" << attr(name) << "\" value=\"" << attr(value) << "\"/>\n";
  };
  property("seed", std::to_string(result.seed));
  property("target", info.target);
  property("binding", info.binding);
  property("spec_file", info.spec_file);
  property("spec_sha256", info.spec_sha256);
  property("strictness", info.strictness);
  property("harness_version", info.version);
  property("sequences", std::to_string(result.sequences));
  property("calls", std::to_string(result.calls));
  property("interrupted", result.interrupted ? "true" : "false");
  property("verdict", verdict_word(result));
  if (!flaky_ids.empty()) property("flaky", flaky_ids);
  if (!info.reproduce.empty()) property("reproduce", info.reproduce);
  out << in << "  </properties>\n";

  for (const auto& k : cases) {
    out << in << "  <testcase classname=\"" << attr(k.classname) << "\" name=\"" << attr(k.name)
        << "\" time=\"" << junit_time(0) << "\"";
    if (k.status == "passed" && k.flaky.empty()) {
      out << "/>\n";
      continue;
    }
    out << ">\n";
    if (k.status == "incomplete") {
      out << in << "    <error message=\"" << attr(k.reason) << "\" type=\"incomplete\"/>\n";
    } else if (k.status == "error") {
      const engine::Failure& f = *k.failure;
      out << in << "    <error message=\"" << xml_attribute(message_of(f))
          << "\" type=\"internal\">" << body(f, nullptr, info, true) << "</error>\n";
    } else if (k.status == "failed" && !k.failure) {
      // Violated during the run, without a minimal sequence of its own.
      out << in << "    <failure message=\"" << attr(k.name + ": " + k.reason)
          << "\" type=\"violation\"/>\n";
    } else if (k.status == "failed") {
      const engine::Failure& f = *k.failure;
      std::string text = body(f, k.clause, info, true);
      // Failures of this clause that did not reproduce: mentioned, not separate children.
      for (const auto* fl : k.flaky)
        text +=
            xml_text(visible_text("\nalso seen once, did not reproduce: " + fl->violation.expected +
                                  " expected; got " + fl->violation.actual + "\n"));
      out << in << "    <failure message=\"" << xml_attribute(message_of(f))
          << "\" type=\"violation\">" << text << "</failure>\n";
    } else if (k.status == "skipped") {
      out << in << "    <skipped message=\"" << attr(k.reason) << "\"/>\n";
    } else {
      for (const auto* fl : k.flaky)
        out << in << "    <flakyFailure message=\"" << xml_attribute(message_of(*fl))
            << "\" type=\"violation\">\n"
            << in << "      <stackTrace>" << body(*fl, k.clause, info, false) << "</stackTrace>\n"
            << in << "    </flakyFailure>\n";
    }
    out << in << "  </testcase>\n";
  }
  out << in << "</testsuite>\n";
  if (root == JunitRoot::testsuites) out << "</testsuites>\n";
}

JunitReporter::JunitReporter(std::string path, const spec::Spec& spec, const RunInfo& info,
                             JunitRoot root)
    : path_(std::move(path)), spec_(spec), info_(info), root_(root) {}

void JunitReporter::checkpoint(const engine::Checkpoint& e) {
  write(e.partial, nullptr);
}

void JunitReporter::run_finished(const engine::RunFinished& e) {
  write(e.result, e.flaky.empty() ? nullptr : &e.flaky);
}

void JunitReporter::write(const engine::RunResult& result,
                          const std::vector<engine::Failure>* flaky) {
  std::ostringstream s;
  write_junit(s, spec_, result, info_, flaky, root_);
  write_file_atomically(path_, s.str());
}

}  // namespace conformance::reports
