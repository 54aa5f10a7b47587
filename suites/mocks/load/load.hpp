// mock-load: shared types of the load generator (see main.cpp for the flags and the JSON keys).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "dsmock/server.hpp"

namespace load {

using json = nlohmann::json;

enum class Binding { Api, Rest };
enum class Mix { Realistic, Throughput };

struct User {
  std::string name, password;
};

struct Config {
  int clients = 64;
  int calls = 10000;  // per client, timed phase only
  Binding binding = Binding::Api;
  Mix mix = Mix::Realistic;
  std::string url;  // the target's base URL, "http://host:port"
  bool in_process = true;
  std::uint64_t seed = 0;
  std::vector<User> users;                 // client i logs in as users[i % users.size()]
  std::vector<dsmock::ItemFixture> items;  // the target's library items
  int max_live = 8;                        // per client (realistic mix)
  int race_per_mille = 10;                 // realistic mix: concurrent client_token creates
  bool strict_prepare = true;              // prepare delay 0 known: prepared files are PREPARED
  int max_reported = 5;                    // violations printed in full
  std::string run_tag;                     // makes client tokens unique per run
};

// Log-linear latency histogram (nanoseconds, 64 sub-buckets per power of two: <1.6% error).
class Histogram {
 public:
  static constexpr int kSub = 64;
  static constexpr int kBuckets = 64 * 44;
  void add(std::uint64_t ns);
  void merge(const Histogram& o);
  std::uint64_t count() const { return count_; }
  std::uint64_t max() const { return max_; }
  double mean() const { return count_ ? static_cast<double>(sum_) / count_ : 0.0; }
  std::uint64_t percentile(double p) const;  // p in [0, 100]

 private:
  static int index(std::uint64_t v);
  static std::uint64_t upper(int idx);
  std::vector<std::uint64_t> b_ = std::vector<std::uint64_t>(kBuckets, 0);
  std::uint64_t count_ = 0, sum_ = 0, max_ = 0;
};

// Per-client figures, merged at the end.
struct Stats {
  std::uint64_t calls = 0, status_5xx = 0, transport_errors = 0, mismatches = 0;
  std::map<std::string, std::uint64_t> ops;  // operation -> calls
  Histogram latency;
  void merge(const Stats& o);
};

// Violations of all clients: counted, the first few kept in full.
class Violations {
 public:
  explicit Violations(int keep) : keep_(keep) {}
  void add(std::string detail);
  std::uint64_t count() const { return count_.load(); }
  std::vector<std::string> first() const;

 private:
  int keep_;
  std::atomic<std::uint64_t> count_{0};
  mutable std::mutex mu_;
  std::vector<std::string> first_;
};

// State shared by the client threads.
struct Shared {
  explicit Shared(const Config& c)
      : cfg(c), violations(c.max_reported), published(static_cast<std::size_t>(c.clients)) {}
  const Config& cfg;
  Violations violations;
  std::atomic<std::uint64_t> calls{0};  // all clients, timed phase
  std::atomic<std::uint64_t> transport_errors{0};
  std::atomic<bool> abort{false};  // set when the target looks gone
  // The latest session id each client created, for ownership probes by other users' clients.
  struct Slot {
    std::mutex mu;
    std::string id;
  };
  std::vector<Slot> published;
};

// One session as a client believes it to be.
enum class State { Active, Canceled, Error };
const char* state_name(State s);

struct Session {
  std::string id;
  std::size_t item = 0;  // index into Config::items
  State state = State::Active;
  std::int64_t progress = 0;
  std::optional<std::string> token;  // client_token it was created with
  std::string error_message;         // set by fail
  std::vector<bool> prepared;        // per file of the item
};

// What in a DownloadSession get result disagrees with the ledger ("" = nothing).
std::string info_problem(const json& v, const Session& s, const dsmock::ItemFixture& item);

// A client's login and ledger, kept after its thread ends for the final checks.
struct ClientResult {
  int index = 0;
  std::size_t user = 0;  // index into Config::users
  std::string token;     // login token ("" if the login failed)
  std::vector<Session> ledger;
  Stats stats;
};

// One client: logs in (out.token), calls ready_and_wait() (the start barrier), then runs
// cfg.calls calls of the mix, checking every answer against its ledger.
void run_client(Shared& shared, ClientResult& out, const std::function<void()>& ready_and_wait);

}  // namespace load
