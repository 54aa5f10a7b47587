// A tiny widget server implementing suites/harness/toy/toy_spec.json, written from the
// toy spec's prose and sharing no code with the engine. It exists to show that a new
// service needs spec data, not engine code: the harness checks it through the CLI
// (toy_cli.sh) and in-process (engine/test_toy_service.cpp).
//
// Virtual clock only: time starts at 2030-01-01T00:00:00.000Z and moves through the
// clock-control protocol (docs/mock.md) under /control: GET /control/clock,
// POST /control/clock/advance, POST /control/reset.
#pragma once

#include <httplib.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace toy {

struct Options {
  std::string host = "127.0.0.1";
  int port = 0;  // 0: any free port
  std::map<std::string, std::string> users = {{"ann", "ann-pass"}, {"ben", "ben-pass"}};
  // Kits (the spec's external resource) and their part names.
  std::map<std::string, std::vector<std::string>> kits = {{"kit-1", {"axle", "wheel"}},
                                                          {"kit-2", {"lamp"}}};
  std::int64_t lease_ms = 60000;  // the spec's lease timeout_seconds
  std::set<std::string> faults;   // names from faults()
};

// The faults the server can inject, each breaking exactly one clause: name -> clause id.
const std::map<std::string, std::string>& faults();

class Server {
 public:
  // Throws std::invalid_argument for an unknown fault, std::runtime_error when it
  // cannot bind.
  explicit Server(Options options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  std::string url() const;
  int port() const { return port_; }
  void stop();

 private:
  struct Widget {
    std::string owner, label, kit, power;
    std::int64_t expires_ms = 0;
    std::map<std::string, std::string> parts;  // name -> fit
  };
  void routes();
  std::string user_of(const httplib::Request& req) const;
  Widget* find(const std::string& user, const std::string& id);
  void expire();
  bool fault(const char* name) const { return options_.faults.count(name) > 0; }

  Options options_;
  httplib::Server svr_;
  std::mutex mu_;
  std::int64_t now_ms_;
  std::map<std::string, std::string> sessions_;  // token -> user
  std::map<std::string, Widget> widgets_;
  std::map<std::pair<std::string, std::string>, std::string> request_tokens_;  // (user, token)
  std::uint64_t next_ = 0;
  int port_ = 0;
  std::thread thread_;
};

}  // namespace toy
