// The `conformance` command line. Exit codes (README, "Exit codes"):
//   0 conforms / ok, 1 violations, 2 bad usage, spec or profile,
//   3 target unreachable or login failed (or, with --on-transport-error abort, a
//   request got no complete answer), 4 internal error.
#include <unistd.h>
#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <random>
#include <sstream>

#include "conformance/engine/campaign.hpp"
#include "conformance/engine/target.hpp"
#include "conformance/reports/console.hpp"
#include "conformance/reports/dot.hpp"
#include "conformance/reports/junit.hpp"
#include "conformance/reports/markdown.hpp"
#include "conformance/reports/progress.hpp"
#include "conformance/reports/trace_file.hpp"
#include "conformance/spec/loader.hpp"
#include "embedded_mock.hpp"

namespace {

using namespace conformance;

constexpr int kExitOk = 0;
constexpr int kExitViolations = 1;
constexpr int kExitUsage = 2;
constexpr int kExitTarget = 3;
constexpr int kExitInternal = 4;

std::atomic<bool> g_stop{false};
extern "C" void on_signal(int) {
  g_stop = true;
}

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

int spec_check(const std::string& file) {
  auto spec = conformance::spec::load_spec(file);
  std::cout << file << ": ok (" << spec.operations().size() << " operations, "
            << spec.clauses().size() << " clauses, " << spec.bindings.size() << " bindings)\n";
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
  std::vector<std::string> variants;  // NAME=VALUE, for the embedded mock
  std::string ca_file;
  bool insecure = false;
  double mock_prepare_delay = 2;
  std::string regressions;
  bool min_coverage = false;
  bool target_given = false;
  std::string on_transport_error = "finding";
  bool delete_preexisting = false;
  long max_calls = 0;  // fuzz: also end once this many calls were sent (0 = no limit)
};

std::string reproduce_command(const RunOptions& o, std::uint64_t seed) {
  std::ostringstream cmd;
  cmd << "conformance run --target " << o.target;
  if (!o.profile.empty()) cmd << " --profile " << o.profile;
  if (o.spec != CONFORMANCE_DEFAULT_SPEC) cmd << " --spec " << o.spec;
  if (!o.binding.empty()) cmd << " --binding " << o.binding;
  for (const auto& f : o.faults)
    cmd << " --fault " << f;
  for (const auto& v : o.variants)
    cmd << " --variant " << v;
  if (o.strictness != "inferred") cmd << " --strictness " << o.strictness;
  if (o.on_transport_error != "finding") cmd << " --on-transport-error " << o.on_transport_error;
  if (o.delete_preexisting) cmd << " --delete-preexisting";
  cmd << " --seed " << seed << " --sequences " << o.sequences << " --max-steps " << o.max_steps;
  return cmd.str();
}

// The target a run or a replay talks to: the embedded mock, or a URL with a profile.
struct TargetSetup {
  cli::EmbeddedMock mock;
  engine::Profile profile;
};

void setup_target(TargetSetup& t, const spec::Spec& spec, const RunOptions& o) {
  if (o.target == "mock") {
    if (!o.profile.empty())
      throw UsageError("--profile goes with --target URL, not with the embedded mock");
    try {
      dsmock::Options variants;
      for (const auto& v : o.variants)
        dsmock::add_variant(variants, v);
      t.mock = cli::start_embedded_mock({o.faults.begin(), o.faults.end()}, "api",
                                        o.mock_prepare_delay, variants.variants);
    } catch (const std::invalid_argument& e) {
      throw UsageError(e.what());
    }
    t.profile = t.mock.profile;
  } else {
    if (o.profile.empty())
      throw UsageError("--target URL needs --profile FILE (see README, Profiles)");
    if (!o.faults.empty()) throw UsageError("--fault applies to the embedded mock only");
    if (!o.variants.empty()) throw UsageError("--variant applies to the embedded mock only");
    t.profile = engine::load_profile(o.profile, spec);
    t.profile.url = o.target;
  }
  if (!o.binding.empty()) t.profile.binding = o.binding;
  if (!o.ca_file.empty()) t.profile.ca_file = o.ca_file;
  if (o.insecure) t.profile.tls_verify = false;
  if (!spec.bindings.count(t.profile.binding)) {
    std::string known;
    for (const auto& [name, _] : spec.bindings)
      known += (known.empty() ? "" : ", ") + name;
    throw UsageError("binding '" + t.profile.binding + "' is not in the spec (it declares " +
                     known + ")");
  }
  engine::discover_children(spec, t.profile);
}

engine::RunConfig make_config(const spec::Spec& spec, const engine::Profile& profile,
                              const RunOptions& o) {
  engine::RunConfig cfg;
  cfg.spec = &spec;
  cfg.profile = profile;
  cfg.seed = o.seed;
  cfg.sequences = o.sequences;
  cfg.max_steps = o.max_steps;
  cfg.shrink = !o.no_shrink;
  cfg.shrink_budget_s = o.shrink_budget;
  cfg.strictness =
      o.strictness == "documented" ? engine::Strictness::documented : engine::Strictness::inferred;
  cfg.stop = &g_stop;
  cfg.delete_preexisting = o.delete_preexisting;
  cfg.on_transport_error = o.on_transport_error == "abort" ? engine::OnTransportError::abort
                                                           : engine::OnTransportError::finding;
  return cfg;
}

// Saved traces as the engine replays them; a file that is not a trace is bad usage.
engine::SavedTrace load_saved(const std::string& path) {
  try {
    return reports::saved_trace(reports::load_trace(path));
  } catch (const reports::TraceError& e) {
    throw UsageError(e.what());
  }
}

struct ReportFiles {
  std::string junit, markdown, dot, traces;
};

reports::RunInfo run_info(const RunOptions& o, const spec::Spec& spec,
                          const engine::Profile& profile) {
  reports::RunInfo info;
  info.target = o.target;
  info.binding = profile.binding;
  info.spec_file = o.spec;
  info.spec_sha256 = spec.sha256;
  info.strictness = o.strictness;
  info.version = CONFORMANCE_VERSION;
  info.reproduce = reproduce_command(o, o.seed);
  info.secret_headers = {spec.bindings.at(profile.binding).session_header};
  return info;
}

// The reproduce command names the seed the run ended on (a fuzz round's).
class ReproduceLine : public engine::Reporter {
 public:
  ReproduceLine(reports::RunInfo& info, const RunOptions& o) : info_(info), o_(o) {}
  void run_finished(const engine::RunFinished& e) override {
    info_.reproduce = reproduce_command(o_, e.result.seed);
  }

 private:
  reports::RunInfo& info_;
  const RunOptions& o_;
};

int run(RunOptions o, const ReportFiles& files, double duration_s = 0) {
  auto spec = spec::load_spec(o.spec);
  TargetSetup target;
  setup_target(target, spec, o);
  if (!o.seed_given) o.seed = std::random_device{}() * 4294967296ULL + std::random_device{}();
  reports::RunInfo info = run_info(o, spec, target.profile);

  engine::CampaignConfig campaign;
  campaign.run = make_config(spec, target.profile, o);
  campaign.regressions = o.regressions;
  campaign.load_trace = load_saved;
  campaign.duration_s = duration_s;
  campaign.max_calls = o.max_calls;
  campaign.min_coverage = o.min_coverage;

  // Reporters, in the order they hear each event.
  engine::MultiReporter reporters;
  ReproduceLine reproduce(info, o);
  reporters.add(reproduce);
  reports::ProgressReporter progress;
  if (duration_s > 0 && isatty(STDERR_FILENO)) reporters.add(progress);
  reports::ConsoleReporter console(std::cout, spec, info, files.traces);
  reporters.add(console);
  std::optional<reports::JunitReporter> junit;
  if (!files.junit.empty()) reporters.add(junit.emplace(files.junit, spec, info));
  std::optional<reports::MarkdownReporter> markdown;
  if (!files.markdown.empty()) reporters.add(markdown.emplace(files.markdown, spec, info));
  std::optional<reports::DotReporter> dot;
  if (!files.dot.empty()) reporters.add(dot.emplace(files.dot, spec));
  std::optional<reports::TraceReporter> traces;
  if (!files.traces.empty()) reporters.add(traces.emplace(files.traces, info, o.faults));

  try {
    engine::CampaignResult r = engine::run_campaign(campaign, reporters);
    if (r.internal_error()) return kExitInternal;
    if (r.result.aborted) return kExitTarget;
    bool failed = r.regressions_failing > 0 || r.result.failure || !r.flaky.empty() ||
                  (o.min_coverage && r.never_reached > 0);
    return failed ? kExitViolations : kExitOk;
  } catch (const engine::TargetError& e) {
    std::cerr << "conformance: target " << o.target << ": " << e.what() << "\n";
    return kExitTarget;
  }
}

int replay_command(const std::vector<std::string>& paths, RunOptions o) {
  auto spec = spec::load_spec(o.spec);
  int exit_code = kExitOk;
  reports::RunInfo info;
  reports::ConsoleReporter console(std::cout, spec, info);
  for (const auto& path : paths) {
    reports::TraceFile t;
    try {
      t = reports::load_trace(path);
    } catch (const reports::TraceError& e) {
      throw UsageError(e.what());
    }
    RunOptions ro = o;
    if (!o.target_given) {
      ro.target = t.target;
      if (t.target == "mock" && o.faults.empty()) ro.faults = t.faults;
    }
    if (o.binding.empty()) ro.binding = t.binding;
    TargetSetup target;
    setup_target(target, spec, ro);
    engine::RunConfig cfg = make_config(spec, target.profile, ro);
    try {
      if (engine::replay_saved(cfg, reports::saved_trace(t), console)) exit_code = kExitViolations;
    } catch (const engine::TargetError& e) {
      std::cerr << "conformance: target " << ro.target << ": " << e.what() << "\n";
      return kExitTarget;
    }
  }
  return exit_code;
}

double parse_duration(const std::string& s) {
  std::size_t used = 0;
  double v = 0;
  try {
    v = std::stod(s, &used);
  } catch (const std::exception&) {
    throw UsageError("--duration '" + s + "' is not a duration (e.g. 90, 30s, 10m, 2h)");
  }
  std::string unit = s.substr(used);
  double mult = unit.empty() || unit == "s" ? 1 : unit == "m" ? 60 : unit == "h" ? 3600 : -1;
  if (mult < 0 || v <= 0)
    throw UsageError("--duration '" + s + "' is not a duration (e.g. 90, 30s, 10m, 2h)");
  return v * mult;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "conformance: checks a vSphere download-session service against its declarative spec"};
  app.set_version_flag("--version", std::string("conformance ") + CONFORMANCE_VERSION);
  app.require_subcommand(1);

  auto* spec_cmd = app.add_subcommand("spec", "Check or show a spec file");
  spec_cmd->require_subcommand(1);
  std::string check_file;
  auto* check =
      spec_cmd->add_subcommand("check", "Validate a spec file (exit 0 if valid, 2 if not)");
  check->add_option("FILE", check_file, "spec file")->required();
  std::string show_file;
  bool dot = false;
  auto* show = spec_cmd->add_subcommand("show", "Print operations, clauses and the state machine");
  show->add_option("FILE", show_file, "spec file")->required();
  show->add_flag("--dot", dot, "print the state machine as Graphviz DOT instead");

  // Options shared by run, fuzz and replay.
  auto add_target_options = [](CLI::App* cmd, RunOptions& o) {
    cmd->add_option("--target", o.target,
                    "'mock' (embedded, virtual clock) or the target's base URL")
        ->capture_default_str();
    cmd->add_option("--profile", o.profile, "profile file for a URL target (README, Profiles)")
        ->check(CLI::ExistingFile);
    cmd->add_option("--spec", o.spec, "spec file")->capture_default_str()->check(CLI::ExistingFile);
    cmd->add_option("--binding", o.binding,
                    "binding to use, one the spec declares (the shipped spec's: api, rest); "
                    "overrides the profile");
    cmd->add_option("--strictness", o.strictness,
                    "inferred (all clauses) or documented (skip inferred clauses)")
        ->check(CLI::IsMember({"inferred", "documented"}))
        ->capture_default_str();
    cmd->add_option("--fault", o.faults,
                    "mock fault to inject (repeatable; see download-session-mock --list-faults)");
    cmd->add_option("--variant", o.variants,
                    "NAME=VALUE: a mock behaviour variant (repeatable; see "
                    "download-session-mock --list-variants)");
    cmd->add_option("--ca-file", o.ca_file, "CA bundle to verify the target's TLS certificate")
        ->check(CLI::ExistingFile);
    cmd->add_flag("--insecure", o.insecure, "do not verify the target's TLS certificate");
  };
  auto add_run_options = [](CLI::App* cmd, RunOptions& o, ReportFiles& files) {
    cmd->add_option("--seed", o.seed, "seed (default: random, printed)");
    cmd->add_option("--max-steps", o.max_steps, "longest sequence")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    cmd->add_flag("--no-shrink", o.no_shrink, "report the first failing sequence as found");
    cmd->add_option("--shrink-budget", o.shrink_budget, "seconds to spend shrinking a failure")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    cmd->add_option("--regressions", o.regressions,
                    "directory of saved traces to replay before the run");
    cmd->add_flag("--min-coverage", o.min_coverage,
                  "fail the run when a (non-open) clause was never reached");
    cmd->add_option("--on-transport-error", o.on_transport_error,
                    "when a request gets no complete answer (refused, reset, truncated, timed "
                    "out, too large): 'finding' = a violation on the clause, shrunk, exit 1; "
                    "'abort' = stop the run there, no shrinking, exit 3 (reports still written)")
        ->check(CLI::IsMember({"finding", "abort"}))
        ->capture_default_str();
    cmd->add_flag("--delete-preexisting", o.delete_preexisting,
                  "without clock control, also delete the sessions the profile's users had "
                  "before the run (by default they are checked and left alone)");
    cmd->add_option("--junit", files.junit, "write a JUnit XML report (one testcase per clause)");
    cmd->add_option("--markdown", files.markdown,
                    "write a Markdown summary (e.g. $GITHUB_STEP_SUMMARY)");
    cmd->add_option("--dot", files.dot,
                    "write the state machine coloured by coverage (Graphviz DOT)");
    cmd->add_option("--traces", files.traces,
                    "directory where failures are saved as replayable traces")
        ->capture_default_str();
  };

  RunOptions ro;
  ReportFiles run_files{"", "", "", "conformance-traces"};
  auto* run_cmd =
      app.add_subcommand("run", "Generate call sequences and check a target against the spec");
  add_target_options(run_cmd, ro);
  add_run_options(run_cmd, ro, run_files);
  run_cmd->add_option("--sequences", ro.sequences, "passing sequences wanted")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();

  RunOptions fo;
  ReportFiles fuzz_files{"", "", "", "conformance-traces"};
  std::string duration = "10m";
  auto* fuzz_cmd =
      app.add_subcommand("fuzz", "Run until a time budget is spent (Ctrl-C ends it cleanly)");
  add_target_options(fuzz_cmd, fo);
  add_run_options(fuzz_cmd, fo, fuzz_files);
  fuzz_cmd->add_option("--duration", duration, "time budget: 90, 30s, 10m, 2h")
      ->capture_default_str();
  fuzz_cmd
      ->add_option("--max-calls", fo.max_calls,
                   "also end after this many calls (0 = no limit; the benchmark's memory runs)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);

  RunOptions rpo;
  std::vector<std::string> replay_paths;
  auto* replay_cmd =
      app.add_subcommand("replay", "Replay saved traces; say whether each still fails");
  add_target_options(replay_cmd, rpo);
  replay_cmd->add_option("TRACE", replay_paths, "trace files")
      ->required()
      ->check(CLI::ExistingFile);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }
  ro.seed_given = run_cmd->count("--seed") > 0;
  fo.seed_given = fuzz_cmd->count("--seed") > 0;
  rpo.target_given = replay_cmd->count("--target") > 0;
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  try {
    if (check->parsed()) return spec_check(check_file);
    if (show->parsed()) return spec_show(show_file, dot);
    if (run_cmd->parsed()) return run(ro, run_files);
    if (fuzz_cmd->parsed()) return run(fo, fuzz_files, parse_duration(duration));
    if (replay_cmd->parsed()) return replay_command(replay_paths, rpo);
  } catch (const conformance::spec::SpecError& e) {
    std::cerr << "conformance: invalid spec: " << e.what() << "\n";
    return kExitUsage;
  } catch (const conformance::engine::ProfileError& e) {
    std::cerr << "conformance: invalid profile: " << e.what() << "\n";
    return kExitUsage;
  } catch (const conformance::reports::TraceError& e) {
    std::cerr << "conformance: invalid trace: " << e.what() << "\n";
    return kExitUsage;
  } catch (const conformance::engine::BadTrace& e) {
    std::cerr << "conformance: " << e.what() << "\n";
    return kExitUsage;
  } catch (const conformance::engine::TargetError& e) {
    std::cerr << "conformance: target: " << e.what() << "\n";
    return kExitTarget;
  } catch (const UsageError& e) {
    std::cerr << "conformance: " << e.what() << "\n";
    return kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << "conformance: internal error: " << e.what() << "\n";
    return kExitInternal;
  }
  return kExitUsage;
}
