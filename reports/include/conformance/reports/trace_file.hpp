// Replayable traces: a failure saved as JSON (the symbolic calls, expected and
// observed answers, seed, spec hash, target), loaded back for `conformance replay`.
#pragma once

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "conformance/engine/campaign.hpp"
#include "conformance/engine/events.hpp"
#include "conformance/reports/run_info.hpp"

namespace conformance::reports {

struct TraceFile {
  std::string path;
  std::uint64_t seed = 0;
  std::string spec_sha256;
  std::string target;  // "mock" or a URL
  std::string binding;
  std::vector<std::string> faults;  // mock faults the failure was found with
  std::string clause;               // the clause it broke
  std::string expected, actual;
  std::vector<nlohmann::json> commands;
  // Clauses the sequence violated before its own, already reported on their own (the
  // run went on past them): a replay tolerates them. Optional in the file.
  std::vector<std::string> after;
};

class TraceError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

nlohmann::json trace_to_json(const engine::Failure& failure, const RunInfo& info,
                             const std::vector<std::string>& faults);
// The file name a failure is saved under: <clause>-<seed>.json (stable across runs).
std::string trace_file_name(const engine::Failure& failure);
// Throws TraceError naming the file, the JSON pointer and the reason.
TraceFile load_trace(const std::string& path);

// The trace file as the engine replays it (a regression, `conformance replay`).
engine::SavedTrace saved_trace(const TraceFile& t);

// Saves the failure of a run (not an internal error) and its flaky failures as trace
// files in `dir` (created if need be), each atomically, at the end of the run.
class TraceReporter : public engine::Reporter {
 public:
  TraceReporter(std::string dir, const RunInfo& info, std::vector<std::string> faults);
  void run_finished(const engine::RunFinished& e) override;

 private:
  std::string dir_;
  const RunInfo& info_;
  std::vector<std::string> faults_;
};

}  // namespace conformance::reports
