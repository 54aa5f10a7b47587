// The engine is generic: a toy service with other names, paths, envelopes and
// statuses, described only by its spec, is checked by the same code. A toy server
// that breaks one rule is caught on that rule's clause.
#include <httplib.h>

#include <boost/test/unit_test.hpp>
#include <mutex>
#include <thread>

#include "conformance/engine/runner.hpp"
#include "conformance/spec/loader.hpp"

using namespace conformance;
using nlohmann::json;

namespace {

// A tiny widget server, written from the toy spec's prose, not from the engine.
class ToyServer {
 public:
  explicit ToyServer(bool power_on_is_noop) : broken_(power_on_is_noop) {
    auto err = [](httplib::Response& res, int status, const std::string& kind) {
      res.status = status;
      res.set_content(json{{"kind", kind}, {"detail", {{"messages", json::array()}}}}.dump(),
                      "application/json");
    };
    auto user_of = [this](const httplib::Request& req) -> std::string {
      auto it = tokens_.find(req.get_header_value("x-toy-token"));
      return it == tokens_.end() ? "" : it->second;
    };
    svr_.Post("/login", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      std::string token =
          "t" + std::to_string(tokens_.size()) + req.get_header_value("Authorization").substr(6, 4);
      tokens_[token] = req.get_header_value("Authorization");
      res.set_content(json{{"token", token}}.dump(), "application/json");
    });
    svr_.Put("/widgets", [=, this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      std::string user = user_of(req);
      if (user.empty()) return err(res, 401, "toy.unauthenticated");
      json b = json::parse(req.body, nullptr, false);
      if (!b.is_object() || !b.contains("label") || !b["label"].is_string())
        return err(res, 400, "toy.invalid_request");
      std::string id = "w" + std::to_string(next_++);
      widgets_[id] = {user, b["label"].get<std::string>(), "OFF"};
      res.status = 201;
      res.set_content(json{{"data", id}}.dump(), "application/json");
    });
    svr_.Get("/widgets", [=, this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      std::string user = user_of(req);
      if (user.empty()) return err(res, 401, "toy.unauthenticated");
      json ids = json::array();
      for (const auto& [id, w] : widgets_)
        if (w.owner == user) ids.push_back(id);
      res.set_content(json{{"data", ids}}.dump(), "application/json");
    });
    auto find = [this](const httplib::Request& req, const std::string& user) -> Widget* {
      auto it = widgets_.find(req.matches[1]);
      return it == widgets_.end() || it->second.owner != user ? nullptr : &it->second;
    };
    svr_.Get(R"(/widgets/([^/]+))", [=, this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      std::string user = user_of(req);
      if (user.empty()) return err(res, 401, "toy.unauthenticated");
      Widget* w = find(req, user);
      if (!w) return err(res, 404, "toy.missing");
      res.set_content(
          json{{"data", {{"id", req.matches[1]}, {"label", w->label}, {"power", w->power}}}}.dump(),
          "application/json");
    });
    svr_.Post(R"(/widgets/([^/]+)/on)",
              [=, this](const httplib::Request& req, httplib::Response& res) {
                std::lock_guard<std::mutex> lock(mu_);
                std::string user = user_of(req);
                if (user.empty()) return err(res, 401, "toy.unauthenticated");
                Widget* w = find(req, user);
                if (!w) return err(res, 404, "toy.missing");
                if (w->power == "ON") return err(res, 409, "toy.wrong_state");
                if (!broken_) w->power = "ON";
              });
    svr_.Delete(R"(/widgets/([^/]+))",
                [=, this](const httplib::Request& req, httplib::Response& res) {
                  std::lock_guard<std::mutex> lock(mu_);
                  std::string user = user_of(req);
                  if (user.empty()) return err(res, 401, "toy.unauthenticated");
                  if (!find(req, user)) return err(res, 404, "toy.missing");
                  widgets_.erase(req.matches[1]);
                });
    svr_.set_tcp_nodelay(true);
    port_ = svr_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { svr_.listen_after_bind(); });
    while (!svr_.is_running())
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~ToyServer() {
    svr_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  struct Widget {
    std::string owner, label, power;
  };
  bool broken_;
  httplib::Server svr_;
  std::mutex mu_;
  std::map<std::string, std::string> tokens_;
  std::map<std::string, Widget> widgets_;
  int next_ = 0;
  int port_ = 0;
  std::thread thread_;
};

engine::RunResult run_toy(bool broken) {
  static const spec::Spec spec = spec::load_spec(TOY_SPEC);
  ToyServer server(broken);
  engine::RunConfig cfg;
  cfg.spec = &spec;
  cfg.profile.url = server.url();
  cfg.profile.binding = "toy";
  cfg.profile.users = {{"ann", "a", {}}, {"ben", "b", {}}};
  cfg.profile.items = {{"unused", {"unused"}}};
  cfg.profile.session_timeout_s = 300;  // no lease here: no time steps
  cfg.seed = 11;
  cfg.sequences = 150;
  return engine::run(cfg);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(engine_toy_service)

BOOST_AUTO_TEST_CASE(the_engine_checks_a_service_it_has_never_heard_of) {
  auto r = run_toy(false);
  BOOST_TEST(
      r.passed,
      (r.failure() ? r.failure()->violation.clause + ": " + r.failure()->violation.actual : ""));
  BOOST_TEST(r.coverage.clauses.count("widget.power_on.requires_off") == 1u);
  BOOST_TEST(r.coverage.clauses.count("widget.private") == 1u);
  BOOST_TEST(r.coverage.clauses.count("toy.auth") == 1u);
}

BOOST_AUTO_TEST_CASE(a_toy_server_that_breaks_one_rule_is_caught_on_it) {
  auto r = run_toy(true);
  BOOST_REQUIRE(r.failure());
  BOOST_TEST(r.failure()->violation.clause == "widget.power_on.turns_on");
}

BOOST_AUTO_TEST_SUITE_END()
