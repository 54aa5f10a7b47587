// conformance-bench: how much the harness finds per CI minute, in one run on one
// machine. Prints a table (Markdown) of
//   1. harness calls/s against the in-process mock over HTTP, next to a bare
//      cpp-httplib client replaying the very same requests (recorded by an untimed
//      run of the same seed, control calls included) over one keep-alive
//      connection, and their ratio: medians of 3 alternating rounds;
//   2. mock requests/s with 1, 8 and 64 connections (mock-load --mix throughput);
//   3. per mock fault: median seconds and calls to the first failure over N seeds;
//   4. peak RSS of `conformance fuzz --target mock` at 100k and at 1M calls;
//   5. the wall-clock mode without reset (the mock on the wall clock, --session-timeout 2,
//      with 1 worker and with the URL default of --workers,
//      no clock control): the default run's duration, calls/s and the clauses it reaches
//      next to the virtual-clock run of the same seed, and per fault the time to the first
//      failure (not in --smoke unless asked for with --part 5).
// --smoke runs every part with tiny budgets (CI): the figures are then meaningless,
// but every part is exercised and checked for sanity.
//
// Exit: 0 figures printed (targets met or not: they are reported, not asserted);
// 1 a part could not measure (a child failed, a fault was not caught, the bare
// replay disagreed with the recorded answers); 2 bad flags; 4 internal error.
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>
#include <httplib.h>
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "conformance/engine/campaign.hpp"
#include "conformance/engine/workers.hpp"
#include "conformance/spec/loader.hpp"
#include "embedded_mock.hpp"
#include "mutants.hpp"

extern char** environ;

using namespace conformance;
using nlohmann::json;
using tools::fmt;

namespace {

std::string thousands(double v) {
  std::string digits = fmt(v, 0), out;
  int n = 0;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    if (n && n % 3 == 0 && *it != '-') out.insert(out.begin(), ',');
    out.insert(out.begin(), *it);
    ++n;
  }
  return out;
}

// ---- 1. harness vs bare client --------------------------------------------------

struct Recorded {
  bool control;
  engine::HttpRequest request;
  int status;
  std::optional<std::string> id;  // the id a successful call answered, if any
};

struct Throughput {
  long api_calls = 0;
  long control_calls = 0;
  std::vector<double> harness_s, bare_s;  // one per round
  long agreed = 0;                        // bare answers with the recorded status (last round)
};

// The id a success answer carries as a JSON string ("..." or {"value": "..."}), if any.
std::optional<std::string> string_result(const std::string& body) {
  json j = json::parse(body, nullptr, false);
  if (j.is_object() && j.size() == 1 && j.contains("value")) j = j["value"];
  if (j.is_string()) return j.get<std::string>();
  return std::nullopt;
}

// Replaces each segment of a request target (between '/', '?', '&' and '=') that is
// a key of `ids` by its value.
std::string map_segments(const std::string& target,
                         const std::unordered_map<std::string, std::string>& ids) {
  std::string out;
  out.reserve(target.size());
  std::size_t start = 0;
  for (std::size_t i = 0; i <= target.size(); ++i) {
    if (i < target.size() && std::string_view("/?&=").find(target[i]) == std::string_view::npos)
      continue;
    std::string seg = target.substr(start, i - start);
    auto it = ids.find(seg);
    out += it == ids.end() ? seg : it->second;
    if (i < target.size()) out += target[i];
    start = i + 1;
  }
  return out;
}

// Replays the recorded requests over one keep-alive connection, with the ids the
// mock hands out this time in place of the recorded ones; returns the seconds.
double bare_replay(const cli::EmbeddedMock& mock, const std::vector<Recorded>& log, long* agreed) {
  std::string control_prefix = mock.profile.clock_control.substr(mock.profile.url.size());
  httplib::Client cli(mock.profile.url);
  cli.set_keep_alive(true);
  cli.set_tcp_nodelay(true);
  cli.set_url_encode(false);
  cli.set_read_timeout(10, 0);
  std::unordered_map<std::string, std::string> ids;  // recorded id -> id of the replay
  *agreed = 0;
  auto start = std::chrono::steady_clock::now();
  for (const auto& e : log) {
    httplib::Request req;
    req.method = e.request.method;
    req.path = (e.control ? control_prefix : "") + e.request.target();
    for (const auto& [k, v] : e.request.headers)
      req.headers.emplace(k, v);
    if (e.request.body) {
      req.body = *e.request.body;
      req.headers.emplace("Content-Type", "application/json");
    }
    // Ids travel in the path (the spec's bindings put no session id in a body):
    // replace whole path segments, by hash lookup, so the baseline's own
    // bookkeeping stays O(1) per request.
    if (!ids.empty()) req.path = map_segments(req.path, ids);
    httplib::Response res;
    httplib::Error err = httplib::Error::Success;
    if (!cli.send(req, res, err))
      throw std::runtime_error("bare client: " + httplib::to_string(err) + " on " + req.path);
    if (res.status == e.status) ++*agreed;
    if (e.id) {  // only answers that carried an id are parsed in the timed loop
      auto now = string_result(res.body);
      if (now && *e.id != *now) ids[*e.id] = *now;
    }
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// One recording run (not timed: the observer that copies every request is the
// bench's, not the harness's), then `rounds` rounds of a timed harness run (the same
// seed, so the same requests) and a timed bare replay, alternating, so that a slow
// spell of the machine hits both sides alike.
Throughput harness_vs_bare(const spec::Spec& spec, int sequences, int rounds) {
  auto mock = cli::start_embedded_mock({}, "api");
  std::vector<Recorded> log;
  // The campaign users run (one run, no regressions): what is timed is what they get.
  engine::CampaignConfig campaign;
  engine::RunConfig& cfg = campaign.run;
  engine::MultiReporter none;
  cfg.spec = &spec;
  cfg.profile = mock.profile;
  cfg.seed = 1;
  cfg.sequences = sequences;
  cfg.max_steps = 40;
  cfg.on_exchange = [&](bool control, const engine::HttpRequest& rq,
                        const engine::HttpResponse& rs) {
    bool ok = !control && rs.status >= 200 && rs.status < 300;
    log.push_back({control, rq, rs.status, ok ? string_result(rs.body) : std::nullopt});
  };
  auto recorded = engine::run_campaign(campaign, none).result;
  if (!recorded.passed)
    throw std::runtime_error("the clean run failed: the figures would be wrong");

  Throughput t;
  for (const auto& e : log)
    (e.control ? t.control_calls : t.api_calls)++;
  cfg.on_exchange = nullptr;
  for (int i = 0; i < rounds; ++i) {
    auto r = engine::run_campaign(campaign, none).result;
    if (!r.passed || r.calls != recorded.calls)
      throw std::runtime_error("a timed run differed from the recorded one (" +
                               std::to_string(r.calls) + " calls, not " +
                               std::to_string(recorded.calls) + "): the figures would be wrong");
    t.harness_s.push_back(r.seconds);
    t.bare_s.push_back(bare_replay(mock, log, &t.agreed));
  }
  return t;
}

// ---- children: mock-load and conformance fuzz -----------------------------------

struct Child {
  int exit_code = -1;
  std::string out;
  long maxrss_kb = 0;
  double seconds = 0;
};

Child run_child(const std::vector<std::string>& argv) {
  Child c;
  char tmpl[] = "/tmp/conformance-bench-XXXXXX";
  int fd = mkstemp(tmpl);
  if (fd < 0) throw std::runtime_error("mkstemp failed");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fd, STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  std::vector<char*> args;
  for (const auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  auto start = std::chrono::steady_clock::now();
  int rc = posix_spawn(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    close(fd);
    unlink(tmpl);
    throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
  }
  int status = 0;
  rusage ru{};
  wait4(pid, &status, 0, &ru);
  c.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  c.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  c.maxrss_kb = ru.ru_maxrss;
  std::ifstream in(tmpl);
  std::stringstream ss;
  ss << in.rdbuf();
  c.out = ss.str();
  close(fd);
  unlink(tmpl);
  return c;
}

std::string beside_me(const std::string& name) {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? name : (self.parent_path() / name).string();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Benchmarks: harness throughput against a bare-client baseline, mock capacity, "
      "time to detect each fault, memory over long fuzz runs. Prints a Markdown table.\n"
      "Exit: 0 figures printed, 1 a part could not measure, 2 bad flags, 4 internal "
      "error."};
  bool smoke = false;
  int fault_seeds = 10;
  std::string mock_load = beside_me("mock-load"), conformance = beside_me("conformance");
  std::string json_out;
  std::vector<int> parts{1, 2, 3, 4, 5};
  double wall_timeout = 2;
  app.add_flag("--smoke", smoke, "tiny budgets: checks every part works (CI), figures meaningless");
  app.add_option("--fault-seeds", fault_seeds, "seeds per fault")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  app.add_option("--mock-load", mock_load, "the mock-load executable")->capture_default_str();
  app.add_option("--conformance", conformance, "the conformance executable")->capture_default_str();
  app.add_option("--json", json_out, "also write the figures as JSON to this file");
  auto* part_option =
      app.add_option("--part", parts,
                     "only these parts (repeatable: 1 throughput, 2 mock capacity, "
                     "3 time to first failure, 4 memory, 5 wall clock without reset)")
          ->check(CLI::Range(1, 5));
  app.add_option("--wall-clock", wall_timeout, "part 5: the mock's session timeout, seconds")
      ->capture_default_str()
      ->check(CLI::Range(0.5, 600.0));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  for (const auto& exe : {mock_load, conformance})
    if (access(exe.c_str(), X_OK) != 0) {
      std::cerr << "conformance-bench: " << exe << " is not an executable (build it first)\n";
      return 2;
    }
  if (smoke) fault_seeds = std::min(fault_seeds, 2);
  if (smoke && part_option->count() == 0)
    parts.erase(std::remove(parts.begin(), parts.end(), 5), parts.end());

  try {
    const spec::Spec spec = spec::load_spec(CONFORMANCE_DEFAULT_SPEC);
    json figures;
    bool ok = true;
    auto note = [](const std::string& s) { std::cerr << "conformance-bench: " << s << std::endl; };
    std::ostringstream md;
    md << "# conformance-bench" << (smoke ? " (smoke: tiny budgets, figures meaningless)" : "")
       << "\n\nMachine: " << tools::machine_description() << "\n";

    auto want = [&](int part) { return std::count(parts.begin(), parts.end(), part) > 0; };
    // 1.
    if (want(1)) {
      note("1/5 harness vs bare client");
      int seqs = smoke ? 50 : 3000;
      int rounds = smoke ? 1 : 3;
      Throughput t = harness_vs_bare(spec, seqs, rounds);
      double hs = tools::median(t.harness_s), bs = tools::median(t.bare_s);
      double h = t.api_calls / hs, b = t.api_calls / bs;
      std::vector<double> ratios;
      for (std::size_t i = 0; i < t.harness_s.size(); ++i)
        ratios.push_back(t.bare_s[i] / t.harness_s[i]);
      auto [rlo, rhi] = std::minmax_element(ratios.begin(), ratios.end());
      long all = t.api_calls + t.control_calls;
      double agreement = all ? 100.0 * t.agreed / all : 0;
      md << "\n## 1. Harness vs bare client (in-process mock over HTTP, /api, seed 1, " << seqs
         << " sequences; median of " << rounds << " alternating rounds)\n\n"
         << "| | API calls | seconds | calls/s |\n|---|---:|---:|---:|\n"
         << "| harness (`conformance run`: generate, send, check) | " << t.api_calls << " | "
         << fmt(hs, 2) << " | " << thousands(h) << " |\n"
         << "| bare cpp-httplib client, same requests, one keep-alive connection | " << t.api_calls
         << " | " << fmt(bs, 2) << " | " << thousands(b) << " |\n\n"
         << "**Ratio harness/bare: " << fmt(h / b, 2) << "** (rounds: " << fmt(*rlo, 2) << " to "
         << fmt(*rhi, 2) << "; target >= 0.8: " << (h / b >= 0.8 ? "met" : "MISSED")
         << "). Both include the " << t.control_calls
         << " clock-control calls (reset per sequence, time steps) of the run; "
         << fmt(agreement, 1) << "% of the bare client's answers had the recorded status.\n";
      figures["harness_vs_bare"] = {{"api_calls", t.api_calls},
                                    {"control_calls", t.control_calls},
                                    {"harness_seconds", hs},
                                    {"bare_seconds", bs},
                                    {"harness_seconds_rounds", t.harness_s},
                                    {"bare_seconds_rounds", t.bare_s},
                                    {"harness_calls_per_second", h},
                                    {"bare_calls_per_second", b},
                                    {"ratio", h / b},
                                    {"status_agreement_percent", agreement}};
      if (agreement < 95) {
        note("the bare replay's answers disagree with the recorded ones: not a fair baseline");
        ok = false;
      }
    }

    // 2.
    if (want(2)) {
      note("2/5 mock capacity");
      md << "\n## 2. Mock capacity (`mock-load --mix throughput`: get, list, keep_alive)\n\n"
         << "| connections | calls | seconds | requests/s | p50 ms | p99 ms |\n"
            "|---:|---:|---:|---:|---:|---:|\n";
      for (int c : {1, 8, 64}) {
        int per_client = smoke ? 50 : std::max(200, 160000 / c);
        Child ch = run_child({mock_load, "--mix", "throughput", "--clients", std::to_string(c),
                              "--calls", std::to_string(per_client), "--seed", "7", "--json"});
        json j = json::parse(ch.out, nullptr, false);
        if (ch.exit_code != 0 || !j.is_object() || !j.contains("calls_per_second")) {
          note("mock-load with " + std::to_string(c) + " clients exited " +
               std::to_string(ch.exit_code));
          ok = false;
          continue;
        }
        md << "| " << c << " | " << j["calls"] << " | " << fmt(j["wall_seconds"].get<double>(), 2)
           << " | " << thousands(j["calls_per_second"].get<double>()) << " | "
           << fmt(j["latency_us"]["p50"].get<double>() / 1000, 2) << " | "
           << fmt(j["latency_us"]["p99"].get<double>() / 1000, 2) << " |\n";
        figures["mock_capacity"][std::to_string(c)] = {{"calls", j["calls"]},
                                                       {"calls_per_second", j["calls_per_second"]},
                                                       {"p50_us", j["latency_us"]["p50"]},
                                                       {"p99_us", j["latency_us"]["p99"]}};
      }
    }

    // 3.
    if (want(3)) {
      note("3/5 time to first failure per fault");
      tools::MutantRunSettings settings;
      settings.shrink = false;  // the first failure is what is timed; shrinking comes after
      md << "\n## 3. Time to first failure (default run, /api, seeds 1.." << fault_seeds
         << ", no shrinking)\n\n"
         << "| fault | clause | caught | median s | median calls | max s | target |\n"
            "|---|---|---:|---:|---:|---:|---|\n";
      int over = 0;
      for (const auto& f : dsmock::fault_catalogue()) {
        if (!f.applies_to("api") || f.race) continue;  // races: docs/parallel.md
        std::vector<double> secs, calls;
        int caught = 0;
        for (int s = 1; s <= fault_seeds; ++s) {
          auto o =
              tools::run_mutant(spec, settings, {f.name}, "api", static_cast<std::uint64_t>(s));
          if (!o.failed) continue;
          ++caught;
          secs.push_back(o.seconds);
          calls.push_back(static_cast<double>(o.calls));
        }
        bool expiry = f.clause.find("lease") != std::string::npos ||
                      f.clause.find("expir") != std::string::npos;
        double med = tools::median(secs);
        double mx = secs.empty() ? 0 : *std::max_element(secs.begin(), secs.end());
        std::string target = expiry       ? "(expiry: none)"
                             : med <= 1.0 ? "<= 1 s: met"
                                          : "<= 1 s: MISSED";
        if (!expiry && med > 1.0) ++over;
        if (caught < fault_seeds) ok = false;
        md << "| `" << f.name << "` | `" << f.clause << "` | " << caught << "/" << fault_seeds
           << " | " << fmt(med, 3) << " | " << fmt(tools::median(calls), 0) << " | " << fmt(mx, 3)
           << " | " << target << " |\n";
        figures["first_failure"][f.name] = {
            {"clause", f.clause},    {"caught", caught},  {"seeds", fault_seeds},
            {"median_seconds", med}, {"max_seconds", mx}, {"median_calls", tools::median(calls)},
            {"about_expiry", expiry}};
      }
      md << "\nFaults not about expiry over the 1 s target: " << over << ".\n";
    }

    // 4.
    if (want(4)) {
      note("4/5 peak RSS over fuzz runs (this takes a while)");
      md << "\n## 4. Memory: peak RSS of `conformance fuzz --target mock` (mock in-process)\n\n"
         << "| calls | seconds | calls/s | peak RSS MiB |\n|---:|---:|---:|---:|\n";
      std::vector<long> budgets =
          smoke ? std::vector<long>{2000, 10000} : std::vector<long>{100000, 1000000};
      std::vector<double> rss;
      for (long n : budgets) {
        Child ch = run_child({conformance, "fuzz", "--target", "mock", "--seed", "1", "--duration",
                              "2h", "--max-calls", std::to_string(n), "--traces",
                              "/tmp/conformance-bench-traces"});
        if (ch.exit_code != 0) {
          note("conformance fuzz --max-calls " + std::to_string(n) + " exited " +
               std::to_string(ch.exit_code));
          ok = false;
          continue;
        }
        rss.push_back(static_cast<double>(ch.maxrss_kb) / 1024.0);
        md << "| " << thousands(static_cast<double>(n)) << " | " << fmt(ch.seconds, 1) << " | "
           << thousands(static_cast<double>(n) / ch.seconds) << " | " << fmt(rss.back(), 1)
           << " |\n";
        figures["memory"][std::to_string(n)] = {{"seconds", ch.seconds},
                                                {"peak_rss_kib", ch.maxrss_kb}};
      }
      if (rss.size() == 2)
        md << "\nGrowth from " << thousands(static_cast<double>(budgets[0])) << " to "
           << thousands(static_cast<double>(budgets[1])) << " calls: " << fmt(rss[1] - rss[0], 1)
           << " MiB (" << fmt(100.0 * (rss[1] - rss[0]) / rss[0], 1) << "%).\n";
    }

    // 5.
    if (want(5)) {
      note("5/5 wall clock without reset");
      // One worker (a sequence at a time) and the URL default (engine::kDefaultUrlWorkers).
      const std::vector<int> worker_counts{1, engine::kDefaultUrlWorkers};
      auto wall_settings = [&](int workers) {
        tools::MutantRunSettings w;
        w.wall_clock_timeout = wall_timeout;
        w.shrink = false;
        w.workers = workers;
        if (smoke) w.sequences = 20;
        return w;
      };
      tools::MutantRunSettings virt;
      virt.shrink = false;
      virt.sequences = wall_settings(1).sequences;
      auto vclean = tools::run_mutant(spec, virt, {}, "api", 1);
      md << "\n## 5. Wall clock without reset (mock on the wall clock, session timeout "
         << fmt(wall_timeout, 1) << " s, no clock control, /api)\n\n"
         << "Default run (" << virt.sequences << " sequences, seed 1) on the clean mock; the "
         << "virtual-clock run of the same seed reaches " << vclean.clauses_reached.size()
         << " clauses.\n\n| workers | seconds | calls | calls/s | clauses reached | not reached "
            "(reached on the virtual clock) | target <= 60 s "
            "|\n|---:|---:|---:|---:|---:|---|---|\n";
      figures["wall_clock"] = {{"session_timeout_seconds", wall_timeout},
                               {"virtual_clock_clauses_reached", vclean.clauses_reached.size()}};
      for (int w : worker_counts) {
        auto clean = tools::run_mutant(spec, wall_settings(w), {}, "api", 1);
        std::vector<std::string> missing;
        for (const auto& c : vclean.clauses_reached)
          if (!std::count(clean.clauses_reached.begin(), clean.clauses_reached.end(), c))
            missing.push_back(c);
        std::string not_reached;
        for (const auto& m : missing)
          not_reached += (not_reached.empty() ? "`" : ", `") + m + "`";
        md << "| " << w << " | " << fmt(clean.total_seconds, 1) << " | " << clean.calls << " | "
           << thousands(static_cast<double>(clean.calls) / clean.total_seconds) << " | "
           << clean.clauses_reached.size() << " | " << (missing.empty() ? "none" : not_reached)
           << " | " << (clean.total_seconds <= 60 ? "met" : "MISSED")
           << (clean.failed ? "; the clean run FAILED on `" + clean.clause + "`" : "") << " |\n";
        if (clean.failed) ok = false;
        figures["wall_clock"]["default_run"][std::to_string(w)] = {
            {"seconds", clean.total_seconds},
            {"calls", clean.calls},
            {"clauses_reached", clean.clauses_reached.size()},
            {"not_reached_on_the_wall_clock", missing}};
      }
      int wall_seeds = smoke ? 1 : std::min(fault_seeds, 5);
      md << "\nPer fault, seconds from the run's start to the first failure (median over seeds "
         << "1.." << wall_seeds << "; a JSON-RPC fault on /api JSON-RPC):\n\n"
         << "| fault | clause | caught | median s, 1 worker | median s, "
         << engine::kDefaultUrlWorkers << " workers | max s, " << engine::kDefaultUrlWorkers
         << " workers | target (" << engine::kDefaultUrlWorkers
         << " workers) |\n|---|---|---:|---:|---:|---:|---|\n";
      for (const auto& f : dsmock::fault_catalogue()) {
        if (smoke && f.name != "list-shows-others" && f.name != "delete-noop") continue;
        const std::string binding = f.clause.rfind("jsonrpc.", 0) == 0 ? "jsonrpc" : "api";
        std::map<int, std::vector<double>> secs;
        for (int w : worker_counts)
          for (int s = 1; s <= wall_seeds; ++s) {
            auto o = tools::run_mutant(spec, wall_settings(w), {f.name}, binding,
                                       static_cast<std::uint64_t>(s));
            if (o.failed && o.clause == f.clause) secs[w].push_back(o.seconds);
          }
        bool timed = f.clause.find("lease") != std::string::npos ||
                     f.clause.find("expir") != std::string::npos ||
                     f.clause.find("completes") != std::string::npos;
        double limit = timed ? 3 * wall_timeout : 1.0;
        const auto& dflt = secs[engine::kDefaultUrlWorkers];
        double med = tools::median(dflt);
        double mx = dflt.empty() ? 0 : *std::max_element(dflt.begin(), dflt.end());
        for (int w : worker_counts)
          if (static_cast<int>(secs[w].size()) < wall_seeds) ok = false;
        md << "| `" << f.name << "` | `" << f.clause << "` | " << secs[1].size() << "/"
           << wall_seeds << ", " << dflt.size() << "/" << wall_seeds << " | "
           << fmt(tools::median(secs[1]), 3) << " | " << fmt(med, 3) << " | " << fmt(mx, 3)
           << " | <= " << fmt(limit, 0) << " s: "
           << (dflt.empty()   ? "not caught"
               : med <= limit ? "met"
                              : "MISSED")
           << " |\n";
        figures["wall_clock"]["first_failure"][f.name] = {
            {"clause", f.clause},
            {"caught_1_worker", secs[1].size()},
            {"median_seconds_1_worker", tools::median(secs[1])},
            {"caught", dflt.size()},
            {"median_seconds", med}};
      }
    }

    std::cout << md.str();
    if (!json_out.empty()) std::ofstream(json_out) << figures.dump(2) << "\n";
    return ok ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "conformance-bench: " << e.what() << "\n";
    return 4;
  }
}
