// dsmock: an in-process mock of the vSphere Content Library download-session REST API
// (both the /api and the deprecated /rest binding). See docs/mock.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace dsmock {

struct FileFixture {
  std::string name;
  std::int64_t size = 0;
};

struct ItemFixture {
  std::string id;
  std::string content_version;
  std::vector<FileFixture> files;
};

struct FaultInfo {
  std::string name;
  std::string clause;
  std::string description;
  std::string binding = "";  // the one binding the fault acts on ("jsonrpc"), or "" for all
  // A race: only concurrent calls hit it, so sequential runs cannot see it (conformance run
  // --parallel does); the kill matrix leaves it out.
  bool race = false;
  bool applies_to(const std::string& b) const { return binding.empty() || binding == b; }
};

// A behaviour variant: a legitimate choice where the reference leaves a point open or
// docs/mock.md says "the mock decides". Unlike a fault, no value breaks a documented clause.
struct VariantInfo {
  std::string name;
  std::string default_value;        // today's behaviour; values.front()
  std::vector<std::string> values;  // allowed values; "prefix<...>" accepts prefix + any text
  // What it concerns: clause ids of specs/downloadsession.json, or reference sections ("§5.2").
  std::vector<std::string> clauses;
  // The values that take the alternative of an `inferred` clause: the harness is only lenient
  // about them under --strictness documented. Every other value is conforming at any strictness.
  std::vector<std::string> documented_values;
  std::string description;
};

struct Options {
  std::string bind = "127.0.0.1";
  int port = 0;                              // 0 = ephemeral
  std::map<std::string, std::string> users;  // empty = defaults: alice/alice-pass, bob/bob-pass
  std::vector<ItemFixture> items;            // empty = built-in default fixtures
  std::chrono::milliseconds session_timeout{300000};
  bool virtual_clock = false;
  std::set<std::string> faults;                 // names from fault_catalogue()
  std::map<std::string, std::string> variants;  // name -> value, from variant_catalogue()
  std::chrono::milliseconds prepare_delay{0};   // 0 = prepare completes at once
  bool log_requests = false;                    // to stderr; secrets are never logged
  std::string tls_cert, tls_key;                // both set = HTTPS
};

// Thrown by Server::start() when the listening socket cannot be bound (e.g. port in use).
class BindError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::vector<ItemFixture> default_fixtures();
// Reads the JSON fixture format of docs/mock.md; throws std::runtime_error("<path>: <reason>").
std::vector<ItemFixture> load_fixtures(const std::string& path);
const std::vector<FaultInfo>& fault_catalogue();
const std::vector<VariantInfo>& variant_catalogue();
// Adds "NAME=VALUE" to options.variants. Throws std::invalid_argument (naming the variant and
// the allowed values) for a malformed assignment, an unknown name, a bad value, or a name
// already given another value.
void add_variant(Options& options, const std::string& assignment);

class Server {
 public:
  explicit Server(Options options);
  ~Server();  // stops if running
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds, starts a background thread and returns the port once it accepts connections.
  // Throws std::invalid_argument for bad options (unknown fault, unknown variant or bad variant
  // value, half-configured or unloadable TLS), BindError when the address cannot be bound,
  // std::runtime_error for other failures.
  int start();
  void stop();  // idempotent, joins the thread
  std::string url() const;
  const Options& options() const;  // with defaults filled in (users, items)

  // Serves one connection's worth of raw bytes without a network: cpp-httplib's request parser,
  // the mock's routing and handlers, and httplib's response writer run over `input` (keep-alive
  // requests one after the other, at most 100, as on a socket whose client then half-closes),
  // and the bytes the server would have sent come back. It shares the state of the running
  // server; before start() it works on its own state, which start() then replaces. Plain HTTP
  // only (TLS options only change the scheme of download URIs). Thread-safe, but not
  // concurrently with start() or stop(). Throws like start() for bad options. For fuzzing and
  // tests (suites/mocks/fuzz/).
  std::string serve_raw(std::string_view input);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dsmock
