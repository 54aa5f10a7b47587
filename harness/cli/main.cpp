// The `conformance` command line. Exit codes (README, "Exit codes"):
//   0 conforms / ok, 1 violations, 2 bad usage, spec or profile,
//   3 target unreachable or login failed, 4 internal error.
#include <CLI/CLI.hpp>
#include <atomic>
#include <csignal>
#include <exception>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>

#include "conformance/engine/runner.hpp"
#include "conformance/reports/console.hpp"
#include "conformance/spec/loader.hpp"
#include "embedded_mock.hpp"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitViolations = 1;
constexpr int kExitUsage = 2;
constexpr int kExitTarget = 3;
constexpr int kExitInternal = 4;

std::atomic<bool> g_stop{false};
extern "C" void on_signal(int) { g_stop = true; }

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

int spec_check(const std::string& file) {
  auto spec = conformance::spec::load_spec(file);
  std::cout << file << ": ok (" << spec.operations().size() << " operations, " << spec.clauses().size()
            << " clauses, " << spec.bindings.size() << " bindings)\n";
  return kExitOk;
}

int spec_show(const std::string& file, bool dot) {
  auto spec = conformance::spec::load_spec(file);
  std::cout << (dot ? conformance::spec::to_dot(spec) : conformance::spec::describe(spec));
  return kExitOk;
}

struct RunOptions {
  std::string target = "mock";
  std::string profile;
  std::string spec = CONFORMANCE_DEFAULT_SPEC;
  std::string binding;
  std::string strictness = "inferred";
  std::uint64_t seed = 0;
  bool seed_given = false;
  int sequences = 200;
  int max_steps = 40;
  bool no_shrink = false;
  double shrink_budget = 60;
  std::vector<std::string> faults;
  std::string ca_file;
  bool insecure = false;
  double mock_prepare_delay = 2;
};

std::string reproduce_command(const RunOptions& o, std::uint64_t seed) {
  std::ostringstream cmd;
  cmd << "conformance run --target " << o.target;
  if (!o.profile.empty()) cmd << " --profile " << o.profile;
  if (o.spec != CONFORMANCE_DEFAULT_SPEC) cmd << " --spec " << o.spec;
  if (!o.binding.empty()) cmd << " --binding " << o.binding;
  for (const auto& f : o.faults) cmd << " --fault " << f;
  if (o.strictness != "inferred") cmd << " --strictness " << o.strictness;
  cmd << " --seed " << seed << " --sequences " << o.sequences << " --max-steps " << o.max_steps;
  return cmd.str();
}

int run(RunOptions o) {
  using namespace conformance;
  auto spec = spec::load_spec(o.spec);
  engine::RunConfig cfg;
  cfg.spec = &spec;
  cli::EmbeddedMock mock;
  if (o.target == "mock") {
    if (!o.profile.empty()) throw UsageError("--profile goes with --target URL, not with the embedded mock");
    try {
      mock = cli::start_embedded_mock({o.faults.begin(), o.faults.end()}, "api", o.mock_prepare_delay);
    } catch (const std::invalid_argument& e) {
      throw UsageError(e.what());
    }
    cfg.profile = mock.profile;
  } else {
    if (o.profile.empty()) throw UsageError("--target URL needs --profile FILE (see README, Profiles)");
    if (!o.faults.empty()) throw UsageError("--fault applies to the embedded mock only");
    cfg.profile = engine::load_profile(o.profile);
    cfg.profile.url = o.target;
  }
  if (!o.binding.empty()) cfg.profile.binding = o.binding;
  if (!o.ca_file.empty()) cfg.profile.ca_file = o.ca_file;
  if (o.insecure) cfg.profile.tls_verify = false;
  if (!spec.bindings.count(cfg.profile.binding)) throw UsageError("binding '" + cfg.profile.binding + "' is not in the spec");
  if (!o.seed_given) o.seed = std::random_device{}() * 4294967296ULL + std::random_device{}();
  cfg.seed = o.seed;
  cfg.sequences = o.sequences;
  cfg.max_steps = o.max_steps;
  cfg.shrink = !o.no_shrink;
  cfg.shrink_budget_s = o.shrink_budget;
  cfg.strictness = o.strictness == "documented" ? engine::Strictness::documented : engine::Strictness::inferred;
  cfg.stop = &g_stop;

  engine::RunResult result;
  try {
    result = engine::run(cfg);
  } catch (const engine::TargetError& e) {
    std::cerr << "conformance: target " << (o.target == "mock" ? "mock" : o.target) << ": " << e.what() << "\n";
    return kExitTarget;
  }
  reports::RunInfo info;
  info.target = o.target;
  info.binding = cfg.profile.binding;
  info.spec_file = o.spec;
  info.spec_sha256 = spec.sha256;
  info.strictness = o.strictness;
  info.version = CONFORMANCE_VERSION;
  info.reproduce = reproduce_command(o, o.seed);
  reports::write_console(std::cout, spec, result, info);
  if (result.failure && result.failure->violation.clause == "harness.internal") return kExitInternal;
  return result.passed ? kExitOk : kExitViolations;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"conformance: checks a vSphere download-session service against its declarative spec"};
  app.set_version_flag("--version", std::string("conformance ") + CONFORMANCE_VERSION);
  app.require_subcommand(1);

  auto* spec_cmd = app.add_subcommand("spec", "Check or show a spec file");
  spec_cmd->require_subcommand(1);
  std::string check_file;
  auto* check = spec_cmd->add_subcommand("check", "Validate a spec file (exit 0 if valid, 2 if not)");
  check->add_option("FILE", check_file, "spec file")->required();
  std::string show_file;
  bool dot = false;
  auto* show = spec_cmd->add_subcommand("show", "Print operations, clauses and the state machine");
  show->add_option("FILE", show_file, "spec file")->required();
  show->add_flag("--dot", dot, "print the state machine as Graphviz DOT instead");

  RunOptions ro;
  auto* run_cmd = app.add_subcommand("run", "Generate call sequences and check a target against the spec");
  run_cmd->add_option("--target", ro.target, "'mock' (embedded, virtual clock) or the target's base URL")
      ->capture_default_str();
  run_cmd->add_option("--profile", ro.profile, "profile file for a URL target (README, Profiles)")->check(CLI::ExistingFile);
  run_cmd->add_option("--spec", ro.spec, "spec file")->capture_default_str()->check(CLI::ExistingFile);
  run_cmd->add_option("--binding", ro.binding, "binding to use: api or rest (overrides the profile)")
      ->check(CLI::IsMember({"api", "rest"}));
  run_cmd->add_option("--strictness", ro.strictness, "inferred (all clauses) or documented (skip inferred clauses)")
      ->check(CLI::IsMember({"inferred", "documented"}))
      ->capture_default_str();
  auto* seed_opt = run_cmd->add_option("--seed", ro.seed, "seed (default: random, printed)");
  run_cmd->add_option("--sequences", ro.sequences, "passing sequences wanted")->check(CLI::PositiveNumber)->capture_default_str();
  run_cmd->add_option("--max-steps", ro.max_steps, "longest sequence")->check(CLI::PositiveNumber)->capture_default_str();
  run_cmd->add_flag("--no-shrink", ro.no_shrink, "report the first failing sequence as found");
  run_cmd->add_option("--shrink-budget", ro.shrink_budget, "seconds to spend shrinking a failure")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  run_cmd->add_option("--fault", ro.faults, "mock fault to inject (repeatable; see download-session-mock --list-faults)");
  run_cmd->add_option("--ca-file", ro.ca_file, "CA bundle to verify the target's TLS certificate")->check(CLI::ExistingFile);
  run_cmd->add_flag("--insecure", ro.insecure, "do not verify the target's TLS certificate");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }
  ro.seed_given = seed_opt->count() > 0;
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  try {
    if (check->parsed()) return spec_check(check_file);
    if (show->parsed()) return spec_show(show_file, dot);
    if (run_cmd->parsed()) return run(ro);
  } catch (const conformance::spec::SpecError& e) {
    std::cerr << "conformance: invalid spec: " << e.what() << "\n";
    return kExitUsage;
  } catch (const conformance::engine::ProfileError& e) {
    std::cerr << "conformance: invalid profile: " << e.what() << "\n";
    return kExitUsage;
  } catch (const UsageError& e) {
    std::cerr << "conformance: " << e.what() << "\n";
    return kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << "conformance: internal error: " << e.what() << "\n";
    return kExitInternal;
  }
  return kExitUsage;
}
