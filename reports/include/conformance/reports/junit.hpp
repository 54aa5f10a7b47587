// JUnit XML: one <testcase> per contract clause, for CI test-report views (Jenkins
// junit step, GitLab artifacts:reports:junit, GitHub JUnit report actions).
// docs/reports.md describes the file and the schemas it is checked against.
#pragma once

#include <ostream>
#include <vector>

#include "conformance/engine/events.hpp"
#include "conformance/reports/run_info.hpp"

namespace conformance::reports {

// The root element. `testsuites` (the default) wraps the one <testsuite>; it is what
// Jenkins, GitLab and most tools expect. `testsuite` writes the suite as the root:
// the only shape Maven Surefire's schema accepts. Both flavours validate against the
// Jenkins xUnit schema.
enum class JunitRoot { testsuites, testsuite };

// Writes the report. `flaky` lists failures that were seen once but did not
// reproduce: their clauses are reported as passed with a <flakyFailure> child
// (unless the clause failed for real).
void write_junit(std::ostream& out, const spec::Spec& spec, const engine::RunResult& result,
                 const RunInfo& info, const std::vector<engine::Failure>* flaky = nullptr,
                 JunitRoot root = JunitRoot::testsuites);

// XML 1.0 text and attribute escaping (after visible_text(): control characters and
// invalid UTF-8 appear as visible escapes, never raw).
std::string xml_text(std::string_view s);
std::string xml_attribute(std::string_view s);

// A JUnit `time`: seconds, non-negative, exactly three decimals ("0.000" for NaN).
std::string junit_time(double seconds);

// Writes the JUnit file (atomically) at every checkpoint of a long run and at its end.
class JunitReporter : public engine::Reporter {
 public:
  JunitReporter(std::string path, const spec::Spec& spec, const RunInfo& info,
                JunitRoot root = JunitRoot::testsuites);
  void checkpoint(const engine::Checkpoint& e) override;
  void run_finished(const engine::RunFinished& e) override;

 private:
  void write(const engine::RunResult& result, const std::vector<engine::Failure>* flaky);
  std::string path_;
  const spec::Spec& spec_;
  const RunInfo& info_;
  JunitRoot root_;
};

}  // namespace conformance::reports
