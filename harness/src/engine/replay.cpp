#include "conformance/engine/replay.hpp"

#include "conformance/engine/command_json.hpp"
#include "conformance/engine/commands.hpp"
#include "conformance/engine/trace.hpp"

namespace conformance::engine {

using nlohmann::json;

CmdSP command_from_json(const RunConfig& config, const Model& m, const json& j) {
  if (is_advance(j)) return std::make_shared<AdvanceCommand>(advance_from_json(j));
  Call c = call_from_json(*config.spec, j);
  if (c.user >= static_cast<int>(config.profile.users.size()))
    throw std::invalid_argument("trace command: user " + std::to_string(c.user) +
                                " is not in the profile");
  for (const auto& [_, a] : c.args)
    if (a.kind == Arg::Kind::Instance && a.index >= static_cast<int>(m.instances.size()))
      throw std::invalid_argument("trace command: instance #" + std::to_string(a.index) +
                                  " does not exist yet");
  return std::make_shared<CallCommand>(std::move(c));
}

ReplayResult replay(const RunConfig& given, const std::vector<json>& commands) {
  // A replay is short: it runs to its end even when the run is asked to stop.
  RunConfig config = given;
  config.stop = nullptr;
  const spec::Spec& spec = *config.spec;
  Target target = open_target(config);
  Recorder rec;
  Sut sut = begin_sequence(target, config, rec);
  Model m = initial_model(spec, config.profile, config.strictness);
  ReplayResult out;
  try {
    for (const auto& j : commands) {
      auto cmd = command_from_json(config, m, j);
      cmd->run(m, sut);
      cmd->apply(m);
    }
  } catch (const SequenceFailed&) {
    out.failure = rec.last;
  }
  if (!rec.aborted) target.sweep();
  out.trace = render(sut.trace, spec, config.profile);
  return out;
}

std::vector<json> commands_of(const Failure& failure) {
  std::vector<json> commands;
  for (const auto& step : failure.trace)
    commands.push_back(step.command);
  return commands;
}

}  // namespace conformance::engine
