// A Markdown summary of a run, fit for a CI job summary (GitHub $GITHUB_STEP_SUMMARY,
// a GitLab/Jenkins artifact): verdict, run facts, the failure with its minimal trace,
// clause coverage, the operation x state x outcome matrix, and what was observed
// where the contract is silent.
#pragma once

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "conformance/engine/events.hpp"
#include "conformance/reports/run_info.hpp"

namespace conformance::reports {

// `flaky`: failures that did not reproduce (listed in their own section).
void write_markdown(std::ostream& out, const spec::Spec& spec, const engine::RunResult& result,
                    const RunInfo& info, const std::vector<engine::Failure>* flaky = nullptr);

// Inline text safe in a Markdown paragraph or GFM table cell: one line, Markdown
// punctuation (including '|' and '`') backslash-escaped, '<' '>' '&' as entities.
std::string markdown_text(std::string_view s);
// An inline code span that survives any backticks in `s`; with `in_table`, '|' is
// escaped as GFM tables require (even inside code spans).
std::string markdown_code(std::string_view s, bool in_table);
// A fenced code block whose fence is longer than any backtick run in `s`.
std::string markdown_fence(std::string_view s, std::string_view info = "text");

// Writes the Markdown summary (atomically) at every checkpoint of a long run and at
// its end.
class MarkdownReporter : public engine::Reporter {
 public:
  MarkdownReporter(std::string path, const spec::Spec& spec, const RunInfo& info);
  void checkpoint(const engine::Checkpoint& e) override;
  void run_finished(const engine::RunFinished& e) override;

 private:
  void write(const engine::RunResult& result, const std::vector<engine::Failure>* flaky);
  std::string path_;
  const spec::Spec& spec_;
  const RunInfo& info_;
};

}  // namespace conformance::reports
