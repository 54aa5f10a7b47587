// download-session-mock: the standalone mock server. See docs/mock.md.
#include <pthread.h>
#include <CLI/CLI.hpp>
#include <cmath>
#include <csignal>
#include <fstream>
#include <iostream>

#include "dsmock/server.hpp"

namespace {

constexpr int kExitUsage = 2;
constexpr int kExitBind = 3;

int usage_error(const std::string& msg) {
  std::cerr << "download-session-mock: " << msg << std::endl;
  return kExitUsage;
}

// "user:password,user2:password2" (a password may contain ':' but not ',').
bool parse_users(const std::string& spec, std::map<std::string, std::string>& out,
                 std::string& err) {
  std::size_t pos = 0;
  while (pos <= spec.size()) {
    auto comma = spec.find(',', pos);
    std::string entry =
        spec.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    auto colon = entry.find(':');
    if (colon == std::string::npos || colon == 0) {
      err = "--users: expected user:password, got '" + entry + "'";
      return false;
    }
    out[entry.substr(0, colon)] = entry.substr(colon + 1);
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return true;
}

bool to_millis(double seconds, const char* flag, std::chrono::milliseconds& out, std::string& err) {
  if (!std::isfinite(seconds) || seconds < 0 || seconds > 315360000.0) {  // 10 years
    err = std::string(flag) + ": must be between 0 and 315360000 seconds";
    return false;
  }
  out = std::chrono::milliseconds(std::llround(seconds * 1000.0));
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Mock vSphere Content Library download-session server (/api, /rest and JSON-RPC at POST "
      "/api)",
      "download-session-mock"};
  dsmock::Options opts;
  std::string users, fixtures, clock = "wall", tls_cert, tls_key;
  double session_timeout = 300, prepare_delay = 0;
  std::vector<std::string> faults, variants;
  bool list_faults = false, list_variants = false;
  app.add_option("--port", opts.port, "TCP port (0 = ephemeral; the URL is printed)")
      ->check(CLI::Range(0, 65535));
  app.add_option("--bind", opts.bind, "address to bind")->capture_default_str();
  app.add_option("--users", users, "user:password,... (default alice:alice-pass,bob:bob-pass)");
  app.add_option("--fixtures", fixtures, "JSON fixture file (see docs/mock.md)");
  app.add_option("--session-timeout", session_timeout, "download-session idle timeout, seconds")
      ->capture_default_str();
  app.add_option("--prepare-delay", prepare_delay, "time a file prepare takes, seconds")
      ->capture_default_str();
  app.add_option("--clock", clock, "wall or virtual")
      ->check(CLI::IsMember({"wall", "virtual"}))
      ->capture_default_str();
  app.add_option("--fault", faults, "inject a named fault (repeatable; see --list-faults)");
  app.add_flag("--list-faults", list_faults, "print the fault catalogue and exit");
  app.add_option("--variant", variants,
                 "NAME=VALUE: a behaviour variant (repeatable; see --list-variants)");
  app.add_flag("--list-variants", list_variants, "print the variant catalogue and exit");
  app.add_flag("--log-requests", opts.log_requests, "log requests to stderr (secrets redacted)");
  app.add_option("--tls-cert", tls_cert, "PEM certificate (with --tls-key: serve HTTPS)");
  app.add_option("--tls-key", tls_key, "PEM private key");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << app.help();
    return 0;
  } catch (const CLI::ParseError& e) {
    std::string what = e.what();
    for (char& c : what)
      if (c == '\n') c = ' ';
    return usage_error(what);
  }

  if (list_faults) {
    for (const auto& f : dsmock::fault_catalogue())
      std::cout << f.name << '\t' << f.clause << '\t' << f.description << '\n';
    std::cout.flush();
    return 0;
  }

  if (list_variants) {
    for (const auto& v : dsmock::variant_catalogue()) {
      std::string values, clauses;
      for (const auto& x : v.values)
        values += (values.empty() ? "" : "|") + x;
      for (const auto& c : v.clauses)
        clauses += (clauses.empty() ? "" : ",") + c;
      std::string documented;
      for (const auto& x : v.documented_values)
        documented += (documented.empty() ? "" : "|") + x;
      std::cout << v.name << '\t' << v.default_value << '\t' << values << '\t' << clauses << '\t'
                << v.description << '\t' << documented << '\n';
    }
    std::cout.flush();
    return 0;
  }

  std::string err;
  for (const auto& v : variants) {
    try {
      dsmock::add_variant(opts, v);
    } catch (const std::invalid_argument& e) {
      return usage_error(std::string("--variant: ") + e.what());
    }
  }
  if (!users.empty() && !parse_users(users, opts.users, err)) return usage_error(err);
  if (!to_millis(session_timeout, "--session-timeout", opts.session_timeout, err) ||
      !to_millis(prepare_delay, "--prepare-delay", opts.prepare_delay, err))
    return usage_error(err);
  opts.virtual_clock = clock == "virtual";
  opts.faults.insert(faults.begin(), faults.end());
  if (tls_cert.empty() != tls_key.empty())
    return usage_error("--tls-cert and --tls-key must be given together");
  for (const auto* f : {&tls_cert, &tls_key})
    if (!f->empty() && !std::ifstream(*f)) return usage_error("cannot read '" + *f + "'");
  opts.tls_cert = tls_cert;
  opts.tls_key = tls_key;
  if (!fixtures.empty()) {
    try {
      opts.items = dsmock::load_fixtures(fixtures);
    } catch (const std::exception& e) {
      return usage_error(std::string("--fixtures: ") + e.what());
    }
  }

  // Block the stop signals in every thread; the main thread waits for them with sigwait.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  dsmock::Server server(opts);
  try {
    server.start();
  } catch (const dsmock::BindError& e) {
    std::cerr << "download-session-mock: " << e.what() << std::endl;
    return kExitBind;
  } catch (const std::invalid_argument& e) {
    return usage_error(e.what());
  } catch (const std::exception& e) {
    std::cerr << "download-session-mock: " << e.what() << std::endl;
    return 1;
  }
  std::cout << server.url() << std::endl;

  int sig = 0;
  sigwait(&stop_signals, &sig);
  server.stop();
  return 0;
}
