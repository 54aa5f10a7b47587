// conformance-kill-matrix: runs the default conformance run against the embedded mock
// with every fault, every pair of faults, and no fault, over several seeds and both
// bindings, and writes the mutant kill matrix (docs/kill-matrix.md) that shows what
// the harness catches and how fast.
//
// A mutant (one fault, or a pair) is killed by a run when the run fails and names the
// clause the fault breaks (for a pair: either fault's clause). A run that fails on
// another clause is "killed elsewhere" and counts as a survivor: the harness noticed
// something, but did not say what.
//
// Exit codes: 0 every mutant killed on every seed and every clean run passed; 1 some
// mutant survived or a clean run failed; 2 bad flags; 4 internal error.
#include <sys/utsname.h>
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "conformance/engine/runner.hpp"
#include "conformance/engine/workers.hpp"
#include "conformance/spec/loader.hpp"
#include "embedded_mock.hpp"
#include "mutants.hpp"

using namespace conformance;
using tools::fmt;
using tools::median;
using Outcome = tools::MutantOutcome;
using Settings = tools::MutantRunSettings;

namespace {

struct Mutant {
  std::vector<dsmock::FaultInfo> faults;
  std::string name() const {
    std::string n;
    for (const auto& f : faults)
      n += (n.empty() ? "" : " + ") + f.name;
    return n;
  }
  bool names(const std::string& clause) const {
    return std::any_of(faults.begin(), faults.end(),
                       [&](const dsmock::FaultInfo& f) { return f.clause == clause; });
  }
};

// The seed of a run's variant draw: FNV-1a over the mutant, the binding and the seed, so
// that rows and seeds draw differently and a rerun draws the same.
std::uint64_t draw_seed(const std::string& mutant, const std::string& binding, std::uint64_t seed) {
  std::uint64_t h = 14695981039346656037ull;
  for (char c : mutant + "/" + binding + "/" + std::to_string(seed)) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

struct Row {
  Mutant mutant;
  std::string binding;
  std::vector<Outcome> outcomes;  // one per seed
  int killed() const {
    return static_cast<int>(std::count_if(outcomes.begin(), outcomes.end(), [&](const Outcome& o) {
      return o.failed && mutant.names(o.clause);
    }));
  }
  // The clauses named, most frequent first ("a ×9, b ×1").
  std::string clauses() const {
    std::map<std::string, int> n;
    for (const auto& o : outcomes)
      n[o.failed ? o.clause : "(passed)"]++;
    std::vector<std::pair<std::string, int>> v(n.begin(), n.end());
    std::stable_sort(v.begin(), v.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    std::string out;
    for (const auto& [c, k] : v)
      out += (out.empty() ? "" : ", ") + ("`" + c + "`") +
             (outcomes.size() > 1 ? " ×" + std::to_string(k) : "");
    return out;
  }
  // A field of the runs that killed the mutant (for medians).
  template <typename T>
  std::vector<double> of_killed(T Outcome::*field) const {
    std::vector<double> v;
    for (const auto& o : outcomes)
      if (o.failed && mutant.names(o.clause)) v.push_back(static_cast<double>(o.*field));
    return v;
  }
};

std::string utc_now() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", std::gmtime(&t));
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Runs the default conformance run against every mock fault, every pair of faults "
      "and the clean mock, and writes the mutant kill matrix.\n"
      "Exit: 0 all killed and clean runs pass, 1 a survivor or a failing clean run, "
      "2 bad flags, 4 internal error."};
  std::string out = "-", spec_file = CONFORMANCE_DEFAULT_SPEC;
  int seeds = 3, pair_seeds = 1, clean_seeds = 20;
  std::uint64_t first_seed = 1;
  std::vector<std::string> bindings;  // default: every binding the spec declares
  bool no_pairs = false;
  std::vector<std::string> only;
  Settings s;
  app.add_option("--out", out, "Markdown file to write ('-' = standard output)")
      ->capture_default_str();
  app.add_option("--spec", spec_file, "spec file")->capture_default_str();
  app.add_option("--seeds", seeds, "seeds per single fault and binding")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  app.add_option("--pair-seeds", pair_seeds, "seeds per pair of faults and binding")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  app.add_option("--clean-seeds", clean_seeds, "seeds of the clean mock per binding")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000));
  app.add_option("--first-seed", first_seed, "seeds are first-seed, first-seed+1, ...")
      ->capture_default_str();
  app.add_option("--binding", bindings, "bindings (repeatable; default: all the spec declares)");
  app.add_flag("--no-pairs", no_pairs, "skip the pairs of faults");
  bool random_variants = false;
  app.add_flag("--random-variants", random_variants,
               "run every mutant and the clean mock under a random draw of mock behaviour "
               "variants (conforming at the default strictness; none that concerns a fault's "
               "clause): each fault must still be caught on its own clause");
  bool no_shrink = false;
  app.add_flag("--no-shrink", no_shrink,
               "report first failures unshrunk (faster; the trace column then shows their length)");
  app.add_option("--wall-clock", s.wall_clock_timeout,
                 "SECONDS: run against the mock on the wall clock with this session timeout and "
                 "no clock control (no reset between sequences, real waits), instead of the "
                 "embedded mock's virtual clock")
      ->check(CLI::Range(0.5, 600.0));
  int workers = 0;
  app.add_option("--workers", workers,
                 "sequences at once (conformance --workers; default: 1, and with --wall-clock "
                 "the URL default, 4)")
      ->check(CLI::Range(1, 64));
  app.add_option("--fault", only, "only these faults (repeatable; default: all)");
  app.add_option("--sequences", s.sequences, "passing sequences per run (the run's budget)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  app.add_option("--max-steps", s.max_steps, "longest sequence")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  s.shrink = !no_shrink;
  s.workers = workers > 0 ? workers : s.wall_clock_timeout > 0 ? engine::kDefaultUrlWorkers : 1;
  if (s.workers > 1 && s.wall_clock_timeout <= 0) {
    std::cerr << "conformance-kill-matrix: --workers goes with --wall-clock (the embedded mock "
                 "with clock control runs one sequence at a time here)\n";
    return 2;
  }

  std::optional<spec::Spec> loaded;
  try {
    loaded = spec::load_spec(spec_file);
  } catch (const std::exception& e) {
    std::cerr << "conformance-kill-matrix: " << e.what() << "\n";
    return 2;
  }
  if (bindings.empty())
    for (const auto& [name, _] : loaded->bindings)
      bindings.push_back(name);
  for (const auto& b : bindings)
    if (!loaded->bindings.count(b)) {
      std::cerr << "conformance-kill-matrix: binding '" << b << "' is not in " << spec_file << "\n";
      return 2;
    }
  try {
    const spec::Spec& spec = *loaded;
    std::vector<dsmock::FaultInfo> faults;
    // The races are left out: a sequential run cannot hit them (conformance run --parallel
    // catches them: docs/parallel.md).
    for (const auto& f : dsmock::fault_catalogue())
      if (!f.race && (only.empty() || std::count(only.begin(), only.end(), f.name)))
        faults.push_back(f);
    for (const auto& name : only)
      if (std::none_of(faults.begin(), faults.end(),
                       [&](const dsmock::FaultInfo& f) { return f.name == name; })) {
        bool race = false;
        for (const auto& f : dsmock::fault_catalogue())
          race = race || (f.name == name && f.race);
        std::cerr << "conformance-kill-matrix: "
                  << (race ? "fault '" + name +
                                 "' is a race, which sequential runs cannot hit (conformance run "
                                 "--parallel: docs/parallel.md)"
                           : "unknown fault '" + name + "' (download-session-mock --list-faults)")
                  << "\n";
        return 2;
      }
    for (const auto& f : faults)
      if (!spec.find_clause(f.clause)) {
        std::cerr << "conformance-kill-matrix: fault '" << f.name << "' names clause '" << f.clause
                  << "', which " << spec_file << " does not define\n";
        return 2;
      }

    auto wall_start = std::chrono::steady_clock::now();
    auto progress = [&](const std::string& what) {
      double t =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
      std::cerr << "[" << fmt(t, 0) << " s] " << what << "\n";
    };
    auto run_rows = [&](const std::vector<Mutant>& mutants, int n_seeds) {
      std::vector<Row> rows;
      for (const auto& m : mutants)
        for (const auto& b : bindings) {
          // A fault of one binding (the JSON-RPC encoding) is a mutant of that binding only.
          if (std::any_of(m.faults.begin(), m.faults.end(),
                          [&](const dsmock::FaultInfo& f) { return !f.applies_to(b); }))
            continue;
          Row row{m, b, {}};
          std::set<std::string> names;
          for (const auto& f : m.faults)
            names.insert(f.name);
          std::set<std::string> clauses;
          for (const auto& f : m.faults)
            clauses.insert(f.clause);
          for (int i = 0; i < n_seeds; ++i) {
            std::uint64_t seed = first_seed + static_cast<std::uint64_t>(i);
            auto variants = random_variants
                                ? tools::random_variants(draw_seed(m.name(), b, seed), clauses)
                                : std::map<std::string, std::string>{};
            row.outcomes.push_back(tools::run_mutant(spec, s, names, b, seed, variants));
          }
          progress(m.name() + " on " + b + ": killed " + std::to_string(row.killed()) + "/" +
                   std::to_string(n_seeds) + " (" + row.clauses() + ")");
          rows.push_back(std::move(row));
        }
      return rows;
    };

    std::vector<Mutant> singles, pairs;
    for (const auto& f : faults)
      singles.push_back({{f}});
    if (!no_pairs)
      for (std::size_t i = 0; i < faults.size(); ++i)
        for (std::size_t j = i + 1; j < faults.size(); ++j)
          pairs.push_back({{faults[i], faults[j]}});

    auto single_rows = run_rows(singles, seeds);
    auto pair_rows = run_rows(pairs, pair_seeds);

    // The clean mock, seed after seed: every run must pass.
    std::map<std::string, std::vector<Outcome>> clean;
    for (const auto& b : bindings) {
      for (int i = 0; i < clean_seeds; ++i) {
        std::uint64_t seed = first_seed + static_cast<std::uint64_t>(i);
        auto variants = random_variants ? tools::random_variants(draw_seed("clean", b, seed), {})
                                        : std::map<std::string, std::string>{};
        clean[b].push_back(tools::run_mutant(spec, s, {}, b, seed, variants));
      }
      progress("clean mock on " + b + ": " + std::to_string(clean_seeds) + " seeds");
    }
    double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();

    // Figures.
    int runs = 0, kills = 0, survivors = 0, clean_fail = 0;
    for (const auto* rows : {&single_rows, &pair_rows})
      for (const auto& r : *rows) {
        runs += static_cast<int>(r.outcomes.size());
        kills += r.killed();
        survivors += r.killed() < static_cast<int>(r.outcomes.size()) ? 1 : 0;
      }
    long clean_calls = 0;
    for (const auto& [b, v] : clean)
      for (const auto& o : v) {
        clean_fail += o.failed ? 1 : 0;
        clean_calls += o.calls;
      }

    std::ostringstream md;
    md << "# Mutant kill matrix\n\n"
       << "Generated by `scripts/kill-matrix` (build/bin/conformance-kill-matrix); do not edit by "
          "hand.\n\n"
       << "Every mock fault (`download-session-mock --list-faults`) breaks exactly one clause of "
          "the spec. Each row is the default `conformance run --target mock --fault ...` (budget "
       << s.sequences << " sequences of at most " << s.max_steps << " steps, shrinking "
       << (s.shrink ? "on" : "off") << ") on one binding"
       << (s.wall_clock_timeout > 0
               ? ", against the mock on the wall clock with a " + fmt(s.wall_clock_timeout, 1) +
                     " s session timeout and no clock control (no reset: the harness cleans up "
                     "after itself between sequences; time steps are real waits), " +
                     std::to_string(s.workers) + " worker" + (s.workers > 1 ? "s" : "") +
                     " (`--workers`: sequences at once)"
               : "")
       << ". A mutant is **killed** when the run fails and "
          "names the fault's clause (for a pair, either fault's clause).\n\n"
       << "- Generated " << utc_now() << " on " << tools::machine_description() << ", in "
       << fmt(wall, 0) << " s.\n"
       << "- Seeds " << first_seed << ".." << first_seed + static_cast<std::uint64_t>(seeds) - 1
       << " per single fault, " << first_seed << ".."
       << first_seed + static_cast<std::uint64_t>(pair_seeds) - 1 << " per pair, " << first_seed
       << ".." << first_seed + static_cast<std::uint64_t>(clean_seeds) - 1
       << " for the clean mock.\n"
       << "- **Kill rate: " << kills << "/" << runs << " runs"
       << (runs ? " (" + fmt(100.0 * kills / runs, 1) + "%)" : "") << "; " << survivors
       << " mutant/binding rows with a survivor.**\n"
       << (random_variants ? "- Every run under a random draw of the mock's behaviour variants "
                             "(`--random-variants`: values conforming at the default strictness, "
                             "none that concerns the fault's clause); the draws are listed at the "
                             "end.\n"
                           : "")
       << "- **Clean mock: " << clean_fail << " failing runs out of "
       << clean_seeds * static_cast<int>(bindings.size()) << "** (" << clean_calls << " calls).\n\n"
       << "Columns: *seqs* = passing sequences generated before the first failing one, *calls* "
          "= calls sent up to the first failure, *s* = seconds from the run's start to the first "
          "failure (before shrinking), *trace* = calls in the shrunk minimal sequence. Medians "
          "over the seeds that killed.\n\n";

    md << "## Single faults\n\n"
       << "| fault | binding | clause broken | killed | clause named | seqs | calls | s | trace "
          "|\n|---|---|---|---|---|---:|---:|---:|---:|\n";
    for (const auto& r : single_rows) {
      md << "| `" << r.mutant.name() << "` | " << r.binding << " | `" << r.mutant.faults[0].clause
         << "` | " << r.killed() << "/" << r.outcomes.size()
         << (r.killed() == static_cast<int>(r.outcomes.size()) ? "" : " **SURVIVED**") << " | "
         << r.clauses() << " | " << fmt(median(r.of_killed(&Outcome::sequences)), 1) << " | "
         << fmt(median(r.of_killed(&Outcome::calls)), 0) << " | "
         << fmt(median(r.of_killed(&Outcome::seconds)), 3) << " | "
         << fmt(median(r.of_killed(&Outcome::trace)), 0) << " |\n";
    }
    if (!pair_rows.empty()) {
      md << "\n## Pairs of faults\n\n"
         << "Both faults on at once: the run must still fail and name one of the two clauses.\n\n"
         << "| faults | binding | killed | clause named | seqs | calls | s | trace |\n"
            "|---|---|---|---|---:|---:|---:|---:|\n";
      for (const auto& r : pair_rows)
        md << "| `" << r.mutant.faults[0].name << "` + `" << r.mutant.faults[1].name << "` | "
           << r.binding << " | " << r.killed() << "/" << r.outcomes.size()
           << (r.killed() == static_cast<int>(r.outcomes.size()) ? "" : " **SURVIVED**") << " | "
           << r.clauses() << " | " << fmt(median(r.of_killed(&Outcome::sequences)), 1) << " | "
           << fmt(median(r.of_killed(&Outcome::calls)), 0) << " | "
           << fmt(median(r.of_killed(&Outcome::seconds)), 3) << " | "
           << fmt(median(r.of_killed(&Outcome::trace)), 0) << " |\n";
    }
    if (clean_seeds > 0) {
      md << "\n## Clean mock\n\n| binding | seeds | failing runs | sequences | calls | s |\n"
            "|---|---:|---:|---:|---:|---:|\n";
      for (const auto& [b, v] : clean) {
        long seqs = 0, calls = 0;
        double secs = 0;
        int failed = 0;
        for (const auto& o : v) {
          seqs += o.sequences;
          calls += o.calls;
          secs += o.total_seconds;
          failed += o.failed ? 1 : 0;
        }
        md << "| " << b << " | " << v.size() << " | " << failed << " | " << seqs << " | " << calls
           << " | " << fmt(secs, 1) << " |\n";
      }
      for (const auto& [b, v] : clean)
        for (std::size_t i = 0; i < v.size(); ++i)
          if (v[i].failed)
            md << "\nClean run failed: " << b << " seed " << first_seed + i << " on `"
               << v[i].clause << "`.\n";
    }

    if (random_variants) {
      md << "\n## Variants drawn\n\n";
      for (const auto* rows : {&single_rows, &pair_rows})
        for (const auto& r : *rows)
          for (std::size_t i = 0; i < r.outcomes.size(); ++i)
            md << "- `" << r.mutant.name() << "` on " << r.binding << ", seed " << first_seed + i
               << ": " << r.outcomes[i].variants << "\n";
      for (const auto& [b, v] : clean)
        for (std::size_t i = 0; i < v.size(); ++i)
          md << "- clean mock on " << b << ", seed " << first_seed + i << ": " << v[i].variants
             << "\n";
    }

    if (out == "-") {
      std::cout << md.str();
    } else {
      std::ofstream f(out + ".tmp");
      f << md.str();
      f.close();
      if (!f || std::rename((out + ".tmp").c_str(), out.c_str()) != 0) {
        std::cerr << "conformance-kill-matrix: cannot write " << out << "\n";
        return 4;
      }
    }
    std::cerr << "kill rate " << kills << "/" << runs << ", " << survivors
              << " rows with a survivor; clean mock: " << clean_fail << " failing runs; "
              << fmt(wall, 0) << " s\n";
    return survivors == 0 && clean_fail == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "conformance-kill-matrix: " << e.what() << "\n";
    return 4;
  }
}
