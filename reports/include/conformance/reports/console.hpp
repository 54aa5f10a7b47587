// The plain-text summary printed at the end of a run.
#pragma once

#include <ostream>

#include "conformance/reports/run_info.hpp"

namespace conformance::reports {

void write_console(std::ostream& out, const spec::Spec& spec, const engine::RunResult& result,
                   const RunInfo& info);
// A failure's minimal sequence as readable HTTP exchanges.
void write_trace(std::ostream& out, const engine::Failure& failure);

}  // namespace conformance::reports
