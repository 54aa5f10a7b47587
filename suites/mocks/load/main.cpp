// mock-load: load generator and load test for the download-session mock (docs/mock.md, "Load
// test").
//
// It starts the mock in-process (dsmock::Server, virtual clock, ephemeral port; --fault NAME
// injects faults) or targets --url of a separately started one, then runs --clients C concurrent
// clients x --calls N calls each. Every client has its own login and keep-alive connection
// (TCP_NODELAY) and keeps a ledger of the sessions it believes exist; every answer is checked
// against it (see client.cpp), and at the end every user's list must equal the union of its
// clients' ledgers. Then all sessions are deleted and the clients log out.
//
// Mixes (--mix):
//   realistic   (default) create (plain, fresh client_token, replay of a live session's token,
//               replay of a deleted session's token, unknown item), get, list (with and without
//               the item filter), keep_alive (progress, no body, out of range), cancel, fail,
//               delete, File.list/get/prepare (also unknown names), calls on deleted or unknown
//               ids and on other users' sessions (404), and 1% (--race-per-mille) concurrent
//               creates with one client_token on two connections. A client keeps at most
//               --max-live sessions (default 8) and deletes about as often as it creates, so the
//               mock holds at most clients x max-live sessions at any time.
//   throughput  each client creates 4 sessions before the clock starts, then cycles get,
//               list, keep_alive on them: a fixed cheap mix for "requests/s with C connections".
//
// Users: in-process, each client gets its own user (load-user-NNN) unless --users U < C
// (client i logs in as user i mod U); --credentials u:p,... names the users instead (and, with
// --url, must match the target's users; default alice:alice-pass,bob:bob-pass). When users are
// shared, list is checked per client only for its own sessions and deleted ids, and exactly per
// user at the end. Leftover sessions of the run's users are deleted before the run.
//
// Exit codes: 0 no violation; 1 at least one violation (5xx, transport error, an answer the
// ledger does not predict, a final list that differs from the ledgers); 2 bad flags; 3 the target
// is unreachable, a login fails, or the in-process mock does not start.
//
// --json prints one JSON object on stdout (violations are also listed on stderr):
//   tool            "mock-load"
//   mix             "realistic" | "throughput"
//   binding         "api" | "rest"
//   target          "in-process" | the --url
//   faults          [names injected into the in-process mock]
//   clients, calls_per_client, users, seed, max_live, race_per_mille
//   calls           HTTP calls of the timed phase (all clients; login, setup and final checks
//                   excluded)
//   wall_seconds    duration of the timed phase
//   calls_per_second  calls / wall_seconds
//   cpu_seconds     user + system CPU of this process over the whole run (in-process: includes
//                   the mock)
//   latency_us      {"mean","p50","p90","p99","p999","max"}: per-call latency in microseconds
//                   (log-linear histogram, under 1.6% error)
//   ops             {"create": n, "get": n, ...}: calls per operation (timed phase)
//   status_5xx      answers with a 5xx status
//   transport_errors  calls without an HTTP answer
//   ledger_mismatches answers (non-5xx) the ledgers did not predict, plus final-check mismatches
//   violations      all of the above (the exit code is 1 when it is not 0)
//   first_violations  up to --report details (strings)
//   leftovers_deleted_before  sessions of the run's users deleted before the run
//   sessions_at_end   sessions of all the run's users, by list, after the timed phase
//   sessions_after_cleanup  the same after the final deletes (0 when clean)
//   rss_kb          {"start": before the timed phase, "half": when half the calls were done,
//                    "end": after cleanup, "peak": the larger of getrusage's ru_maxrss and
//                    the samples taken every 10 ms}
//   machine         {"nproc": n, "cpu_model": "..."}
//   exit_code       0 or 1
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <latch>
#include <set>
#include <sstream>
#include <thread>

#include "conn.hpp"
#include "load.hpp"

namespace {

using load::json;

constexpr int kExitViolation = 1;
constexpr int kExitUsage = 2;
constexpr int kExitTarget = 3;

int usage_error(const std::string& msg) {
  std::cerr << "mock-load: " << msg << std::endl;
  return kExitUsage;
}

std::uint64_t rss_kb() {
  std::ifstream f("/proc/self/statm");
  std::uint64_t size = 0, resident = 0;
  f >> size >> resident;
  return resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE)) / 1024;
}

std::uint64_t peak_rss_kb() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<std::uint64_t>(ru.ru_maxrss);  // kilobytes on Linux
}

double cpu_seconds() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return s(ru.ru_utime) + s(ru.ru_stime);
}

std::string cpu_model() {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("model name", 0) == 0) {
      auto colon = line.find(':');
      return colon == std::string::npos ? "" : line.substr(line.find_first_not_of(' ', colon + 1));
    }
  return "";
}

// "user:password,user2:password2" (a password may contain ':' but not ',').
bool parse_credentials(const std::string& spec, std::vector<load::User>& out, std::string& err) {
  std::stringstream ss(spec);
  std::string entry;
  std::set<std::string> seen;
  while (std::getline(ss, entry, ',')) {
    auto colon = entry.find(':');
    if (colon == std::string::npos || colon == 0) {
      err = "--credentials: expected user:password, got '" + entry + "'";
      return false;
    }
    if (!seen.insert(entry.substr(0, colon)).second) {
      err = "--credentials: user '" + entry.substr(0, colon) + "' appears twice";
      return false;
    }
    out.push_back({entry.substr(0, colon), entry.substr(colon + 1)});
  }
  if (out.empty()) {
    err = "--credentials: no user";
    return false;
  }
  return true;
}

double us(std::uint64_t ns) {
  return static_cast<double>(ns) / 1000.0;
}

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

// Ids in a list answer, or nullopt when it is not a 200 array of strings.
std::optional<std::vector<std::string>> listed(const load::Answer& a) {
  if (a.status != 200 || !a.value().is_array()) return std::nullopt;
  std::vector<std::string> ids;
  for (const auto& e : a.value()) {
    if (!e.is_string()) return std::nullopt;
    ids.push_back(e.get<std::string>());
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

struct Final {
  std::uint64_t leftovers_before = 0, sessions_at_end = 0, after_cleanup = 0, mismatches = 0;
};

// Deletes every session of every user before the run (a --url target may hold some). Returns
// false (after a message) when the target is unreachable or a login fails.
bool clean_before(const load::Config& cfg, Final& fin) {
  for (const auto& u : cfg.users) {
    load::Conn c(cfg.url, cfg.binding, true, nullptr);
    load::Answer a = c.login(u);
    if (c.token().empty()) {
      std::cerr << "mock-load: cannot log in to " << cfg.url << " as '" << u.name
                << "': " << a.brief() << std::endl;
      return false;
    }
    auto ids = listed(c.list());
    if (!ids) {
      std::cerr << "mock-load: list as '" << u.name << "' failed before the run" << std::endl;
      return false;
    }
    for (const auto& id : *ids) {
      c.del(id);
      ++fin.leftovers_before;
    }
    c.logout();
  }
  return true;
}

// After the timed phase: per user, list == union of its clients' ledgers, every ledger session
// reads back as the ledger says; then delete everything, check it is gone, log out.
void final_checks(const load::Config& cfg, load::Shared& sh,
                  const std::vector<load::ClientResult>& results, Final& fin) {
  auto bad = [&](const std::string& s) {
    ++fin.mismatches;
    sh.violations.add("final check: " + s);
  };
  for (std::size_t u = 0; u < cfg.users.size(); ++u) {
    std::vector<const load::ClientResult*> mine;
    for (const auto& r : results)
      if (r.user == u && !r.token.empty()) mine.push_back(&r);
    if (mine.empty()) continue;
    const std::string who = "user " + cfg.users[u].name;
    load::Conn c(cfg.url, cfg.binding, true, nullptr);
    c.set_token(mine.front()->token);
    std::vector<std::string> want;
    for (const auto* r : mine)
      for (const auto& s : r->ledger)
        want.push_back(s.id);
    std::sort(want.begin(), want.end());
    load::Answer a = c.list();
    auto got = listed(a);
    if (!got) {
      bad(who + ": list failed: " + a.brief());
      continue;
    }
    fin.sessions_at_end += got->size();
    std::vector<std::string> missing, extra;
    std::set_difference(want.begin(), want.end(), got->begin(), got->end(),
                        std::back_inserter(missing));
    std::set_difference(got->begin(), got->end(), want.begin(), want.end(),
                        std::back_inserter(extra));
    const bool dup = std::adjacent_find(got->begin(), got->end()) != got->end();
    if (!missing.empty() || !extra.empty() || dup)
      bad(who + ": list has " + std::to_string(got->size()) + " ids, the ledgers " +
          std::to_string(want.size()) + ": " + std::to_string(missing.size()) + " missing (" +
          (missing.empty() ? "" : missing.front()) + "), " + std::to_string(extra.size()) +
          " extra (" + (extra.empty() ? "" : extra.front()) + ")" + (dup ? ", duplicates" : ""));
    for (const auto* r : mine)
      for (const auto& s : r->ledger) {
        load::Answer g = c.get(s.id);
        std::string p = g.status == 200 ? load::info_problem(g.value(), s, cfg.items[s.item])
                                        : "status " + std::to_string(g.status);
        if (!p.empty()) bad(who + ": get " + s.id + ": " + p + "; got " + g.brief());
      }
    // Cleanup: the ledger's sessions, then anything else still listed.
    for (const auto* r : mine)
      for (const auto& s : r->ledger) {
        load::Answer d = c.del(s.id);
        if (d.status != c.ok_void()) bad(who + ": delete " + s.id + " at cleanup: " + d.brief());
      }
    for (const auto& id : extra)
      c.del(id);
    auto after = listed(c.list());
    if (!after) {
      bad(who + ": list after cleanup failed");
    } else if (!after->empty()) {
      fin.after_cleanup += after->size();
      bad(who + ": " + std::to_string(after->size()) + " sessions still listed after deleting " +
          "all (" + after->front() + ")");
    }
    for (const auto* r : mine) {
      c.set_token(r->token);
      load::Answer l = c.logout();
      if (l.status != c.ok_void()) bad(who + ": logout: " + l.brief());
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app{"Load generator and load test for the download-session mock (docs/mock.md)",
               "mock-load"};
  load::Config cfg;
  std::string binding = "api", mix = "realistic", credentials, fixtures;
  int users = 0;
  std::vector<std::string> faults;
  std::uint64_t seed = 0;
  bool json_out = false;
  app.add_option("--clients", cfg.clients, "Concurrent clients (connections), default 64")
      ->check(CLI::Range(1, 1024));
  app.add_option("--calls", cfg.calls, "HTTP calls per client, default 10000")
      ->check(CLI::Range(1, 100000000));
  app.add_option("--mix", mix, "realistic (default) or throughput")
      ->check(CLI::IsMember({"realistic", "throughput"}));
  app.add_option("--binding", binding, "api (default) or rest")
      ->check(CLI::IsMember({"api", "rest"}));
  app.add_option("--url", cfg.url,
                 "Target a running mock (http://host:port) instead of an in-process one");
  app.add_option(
      "--credentials", credentials,
      "Users as user:pass,user2:pass2 (with --url default alice:alice-pass,bob:bob-pass)");
  app.add_option("--users", users, "In-process: number of users (default: one per client)")
      ->check(CLI::Range(1, 1024));
  app.add_option("--fixtures", fixtures, "The target's fixture file (default: built-in items)");
  app.add_option("--fault", faults, "Inject a mock fault (in-process only; repeatable)");
  app.add_option("--max-live", cfg.max_live, "Live sessions per client at most, default 8")
      ->check(CLI::Range(1, 100000));
  app.add_option("--race-per-mille", cfg.race_per_mille,
                 "Realistic mix: concurrent same-token creates per 1000 steps, default 10")
      ->check(CLI::Range(0, 1000));
  auto* seed_opt = app.add_option("--seed", seed, "Random seed (default random, printed)");
  app.add_option("--report", cfg.max_reported, "Violations printed in full, default 5")
      ->check(CLI::Range(0, 10000));
  app.add_flag("--json", json_out, "Print the figures as one JSON object on stdout");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    return 0;
  } catch (const CLI::ParseError& e) {
    return usage_error(e.what());
  }

  cfg.binding = binding == "rest" ? load::Binding::Rest : load::Binding::Api;
  cfg.mix = mix == "throughput" ? load::Mix::Throughput : load::Mix::Realistic;
  if (!seed_opt->count())
    seed = std::random_device{}() | (std::uint64_t{std::random_device{}()} << 32);
  cfg.seed = seed;
  {
    std::mt19937_64 tag(seed ^ static_cast<std::uint64_t>(
                                   std::chrono::system_clock::now().time_since_epoch().count()));
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(tag()));
    cfg.run_tag = buf;
  }
  cfg.in_process = cfg.url.empty();
  if (!cfg.in_process) {
    if (cfg.url.rfind("http://", 0) != 0 && cfg.url.rfind("https://", 0) != 0)
      return usage_error("--url must start with http:// or https://");
    while (cfg.url.size() > 8 && cfg.url.back() == '/')
      cfg.url.pop_back();
    if (!faults.empty()) return usage_error("--fault needs the in-process mock (no --url)");
    if (users) return usage_error("--users needs the in-process mock; use --credentials");
  }
  if (users && !credentials.empty()) return usage_error("give --users or --credentials, not both");
  for (const auto& f : faults) {
    bool known = false;
    for (const auto& info : dsmock::fault_catalogue())
      known = known || info.name == f;
    if (!known)
      return usage_error("unknown fault '" + f + "' (download-session-mock --list-faults)");
  }
  if (!credentials.empty()) {
    std::string err;
    if (!parse_credentials(credentials, cfg.users, err)) return usage_error(err);
  } else if (!cfg.in_process) {
    cfg.users = {{"alice", "alice-pass"}, {"bob", "bob-pass"}};
  } else {
    const int n = users ? users : cfg.clients;
    for (int i = 0; i < n; ++i) {
      char name[32];
      std::snprintf(name, sizeof name, "load-user-%03d", i);
      cfg.users.push_back({name, std::string("pw-") + std::to_string(i)});
    }
  }
  try {
    cfg.items = fixtures.empty() ? dsmock::default_fixtures() : dsmock::load_fixtures(fixtures);
  } catch (const std::exception& e) {
    return usage_error(e.what());
  }
  // A prepared file of an in-process mock (prepare delay 0) is PREPARED at once; a --url
  // target may have a --prepare-delay, so any of the preparing states is accepted there.
  cfg.strict_prepare = cfg.in_process;

  std::unique_ptr<dsmock::Server> server;
  if (cfg.in_process) {
    dsmock::Options o;
    o.virtual_clock = true;  // time stands still: no session expires during the run
    for (const auto& u : cfg.users)
      o.users[u.name] = u.password;
    o.items = cfg.items;
    o.faults = std::set<std::string>(faults.begin(), faults.end());
    server = std::make_unique<dsmock::Server>(o);
    try {
      server->start();
    } catch (const std::invalid_argument& e) {
      return usage_error(e.what());
    } catch (const std::exception& e) {
      std::cerr << "mock-load: the in-process mock did not start: " << e.what() << std::endl;
      return kExitTarget;
    }
    cfg.url = server->url();
  }

  Final fin;
  if (!clean_before(cfg, fin)) return kExitTarget;

  const std::string target = cfg.in_process ? "in-process" : cfg.url;
  if (!json_out) {
    std::cout << "mock-load: mix " << mix << ", binding " << binding << ", target " << target
              << (cfg.in_process ? " (" + cfg.url + ", virtual clock)" : std::string()) << ", "
              << cfg.clients << " clients x " << cfg.calls << " calls, " << cfg.users.size()
              << " users, seed " << seed;
    for (const auto& f : faults)
      std::cout << ", fault " << f;
    std::cout << std::endl;
  }

  load::Shared shared(cfg);
  std::vector<load::ClientResult> results(static_cast<std::size_t>(cfg.clients));
  std::latch ready(cfg.clients), go(1);
  std::vector<std::thread> threads;
  for (int i = 0; i < cfg.clients; ++i) {
    auto& r = results[static_cast<std::size_t>(i)];
    r.index = i;
    r.user = static_cast<std::size_t>(i) % cfg.users.size();
    threads.emplace_back([&shared, &r, &ready, &go] {
      load::run_client(shared, r, [&] {
        ready.count_down();
        go.wait();
      });
    });
  }
  ready.wait();
  bool logins_ok = true;
  for (const auto& r : results)
    logins_ok = logins_ok && !r.token.empty();
  if (!logins_ok) shared.abort = true;
  const std::uint64_t rss_start = rss_kb();
  std::atomic<bool> done{false};
  std::atomic<std::uint64_t> rss_half{0}, rss_sampled_max{rss_start};
  const std::uint64_t total = static_cast<std::uint64_t>(cfg.clients) * cfg.calls;
  std::thread monitor([&] {
    while (!done.load()) {
      const std::uint64_t now = rss_kb();
      if (now > rss_sampled_max.load()) rss_sampled_max = now;
      if (!rss_half.load() && shared.calls.load() >= total / 2) rss_half = now;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  });
  const auto t0 = std::chrono::steady_clock::now();
  go.count_down();
  for (auto& t : threads)
    t.join();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  done = true;
  monitor.join();
  if (!logins_ok) {
    for (const auto& v : shared.violations.first())
      std::cerr << "mock-load: " << v << std::endl;
    return kExitTarget;
  }

  load::Stats all;
  for (const auto& r : results)
    all.merge(r.stats);
  final_checks(cfg, shared, results, fin);
  // ru_maxrss is the kernel's high-water mark, which it updates lazily: also take the samples.
  const std::uint64_t rss_end = rss_kb();
  const std::uint64_t rss_peak = std::max({peak_rss_kb(), rss_sampled_max.load(), rss_end});
  if (!rss_half.load()) rss_half = rss_end;

  const std::uint64_t violations = shared.violations.count();
  const int code = violations ? kExitViolation : 0;
  const auto& h = all.latency;
  const double cps = wall > 0 ? static_cast<double>(all.calls) / wall : 0.0;
  const auto first = shared.violations.first();
  for (const auto& v : first)
    std::cerr << "mock-load: violation: " << v << std::endl;
  if (violations > first.size())
    std::cerr << "mock-load: ... and " << violations - first.size() << " more violations"
              << std::endl;

  if (json_out) {
    json ops = json::object();
    for (const auto& [k, v] : all.ops)
      ops[k] = v;
    json out = {
        {"tool", "mock-load"},
        {"mix", mix},
        {"binding", binding},
        {"target", target},
        {"faults", faults},
        {"clients", cfg.clients},
        {"calls_per_client", cfg.calls},
        {"users", cfg.users.size()},
        {"seed", seed},
        {"max_live", cfg.max_live},
        {"race_per_mille", cfg.race_per_mille},
        {"calls", all.calls},
        {"wall_seconds", wall},
        {"calls_per_second", cps},
        {"cpu_seconds", cpu_seconds()},
        {"latency_us",
         {{"mean", h.mean() / 1000.0},
          {"p50", us(h.percentile(50))},
          {"p90", us(h.percentile(90))},
          {"p99", us(h.percentile(99))},
          {"p999", us(h.percentile(99.9))},
          {"max", us(h.max())}}},
        {"ops", ops},
        {"status_5xx", all.status_5xx},
        {"transport_errors", all.transport_errors},
        {"ledger_mismatches", all.mismatches + fin.mismatches},
        {"violations", violations},
        {"first_violations", first},
        {"leftovers_deleted_before", fin.leftovers_before},
        {"sessions_at_end", fin.sessions_at_end},
        {"sessions_after_cleanup", fin.after_cleanup},
        {"rss_kb",
         {{"start", rss_start}, {"half", rss_half.load()}, {"end", rss_end}, {"peak", rss_peak}}},
        {"machine", {{"nproc", std::thread::hardware_concurrency()}, {"cpu_model", cpu_model()}}},
        {"exit_code", code}};
    std::cout << out.dump() << std::endl;
    return code;
  }

  std::string op_line;
  for (const auto& [k, v] : all.ops)
    op_line += (op_line.empty() ? "" : ", ") + k + " " + std::to_string(v);
  std::cout << "calls              " << all.calls << " in " << fixed(wall, 2)
            << " s: " << fixed(cps, 0) << " calls/s (CPU " << fixed(cpu_seconds(), 1) << " s, "
            << std::thread::hardware_concurrency() << " CPUs)\n"
            << "latency            p50 " << fixed(us(h.percentile(50)), 0) << " us, p90 "
            << fixed(us(h.percentile(90)), 0) << " us, p99 " << fixed(us(h.percentile(99)), 0)
            << " us, max " << fixed(us(h.max()), 0) << " us\n"
            << "operations         " << op_line << "\n"
            << "5xx                " << all.status_5xx << "\n"
            << "transport errors   " << all.transport_errors << "\n"
            << "ledger mismatches  " << all.mismatches + fin.mismatches << "\n"
            << "sessions           " << fin.sessions_at_end << " at the end (all "
            << cfg.users.size() << " users, by list), " << fin.after_cleanup << " after cleanup; "
            << fin.leftovers_before << " leftovers deleted before\n"
            << "RSS (kB)           start " << rss_start << ", half " << rss_half.load() << ", end "
            << rss_end << ", peak " << rss_peak << "\n"
            << (code ? "FAILED: " + std::to_string(violations) + " violations"
                     : std::string("PASSED: no violations"))
            << std::endl;
  return code;
}
