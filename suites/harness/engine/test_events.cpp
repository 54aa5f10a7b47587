// The event stream: the multi-reporter fans out; the driver and the campaign tell a
// reporter what happens, in order, against the embedded mock.
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "conformance/engine/campaign.hpp"
#include "conformance/engine/command_json.hpp"
#include "conformance/engine/driver.hpp"
#include "conformance/engine/selection.hpp"
#include "conformance/spec/loader.hpp"
#include "embedded_mock.hpp"

// Its own namespace: the suites build as one file (CMAKE_UNITY_BUILD) with the others.
namespace test_events {

using namespace conformance;

namespace {

const spec::Spec& shipped() {
  static const spec::Spec s = spec::load_spec(CONFORMANCE_DEFAULT_SPEC);
  return s;
}

// Writes down the events it hears.
struct Log : engine::Reporter {
  std::vector<std::string> events;
  long calls = 0;
  int sequences = 0;
  void run_started(const engine::RunStarted&) override { events.push_back("run_started"); }
  void sequence_started(const engine::SequenceStarted&) override {}
  void sequence_finished(const engine::SequenceFinished& e) override {
    sequences = e.progress.sequences;
  }
  void call_checked(const engine::CallChecked&) override { ++calls; }
  void failure_found(const engine::FailureFound& e) override {
    events.push_back("failure_found " + e.failure.violation.clause);
  }
  void shrink_step(const engine::ShrinkStep&) override {
    if (events.back() != "shrink_step") events.push_back("shrink_step");
  }
  void recheck_done(const engine::RecheckDone& e) override {
    events.push_back(std::string("recheck_done ") + (e.reproduced ? "reproduced" : "flaky"));
  }
  void checkpoint(const engine::Checkpoint&) override { events.push_back("checkpoint"); }
  void interrupted(const engine::Interrupted&) override { events.push_back("interrupted"); }
  void run_finished(const engine::RunFinished& e) override {
    events.push_back(std::string("run_finished ") + (e.result.passed ? "passed" : "failed"));
  }
};

engine::CampaignConfig campaign(const cli::EmbeddedMock& mock, std::uint64_t seed, int sequences) {
  engine::CampaignConfig c;
  c.run.spec = &shipped();
  c.run.profile = mock.profile;
  c.run.seed = seed;
  c.run.sequences = sequences;
  c.run.max_steps = 40;
  return c;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(events)

BOOST_AUTO_TEST_CASE(a_multi_reporter_tells_every_reporter_in_order) {
  struct Named : engine::Reporter {
    std::string name;
    std::vector<std::string>* out;
    Named(std::string n, std::vector<std::string>* o) : name(std::move(n)), out(o) {}
    void regressions_finished(const engine::RegressionsFinished&) override { out->push_back(name); }
  };
  std::vector<std::string> heard;
  Named a("a", &heard), b("b", &heard);
  engine::MultiReporter multi;
  BOOST_TEST(multi.empty());
  multi.add(a);
  multi.add(b);
  multi.regressions_finished({});
  multi.run_started({engine::RunConfig{}, 0});  // no reporter listens: nothing happens
  BOOST_TEST(heard == (std::vector<std::string>{"a", "b"}));
}

BOOST_AUTO_TEST_CASE(a_clean_campaign_counts_every_call_and_sequence) {
  auto mock = cli::start_embedded_mock({}, "api");
  Log log;
  auto r = engine::run_campaign(campaign(mock, 3, 30), log);
  BOOST_TEST(r.result.passed);
  // One event per call judged; a concurrent replay sends several requests in one call.
  BOOST_TEST(log.calls > 0);
  BOOST_TEST(log.calls <= r.result.calls);
  BOOST_TEST(log.sequences == r.result.sequences);
  BOOST_TEST(log.events == (std::vector<std::string>{"run_started", "run_finished passed"}));
}

BOOST_AUTO_TEST_CASE(a_failure_is_found_shrunk_and_rechecked) {
  auto mock = cli::start_embedded_mock({"delete-noop"}, "api");
  Log log;
  auto r = engine::run_campaign(campaign(mock, 1, 200), log);
  BOOST_TEST(!r.result.passed);
  BOOST_TEST(r.result.failure()->violation.clause == "delete.removes");
  BOOST_TEST(log.events ==
             (std::vector<std::string>{"run_started", "failure_found delete.removes", "shrink_step",
                                       "recheck_done reproduced", "run_finished failed"}));
}

BOOST_AUTO_TEST_CASE(a_stopped_run_is_interrupted_not_passed_by_the_property) {
  auto mock = cli::start_embedded_mock({}, "api");
  std::atomic<bool> stop{true};
  auto c = campaign(mock, 1, 50);
  c.run.stop = &stop;
  Log log;
  auto r = engine::run_campaign(c, log);
  BOOST_TEST(r.result.sequences == 0);
  BOOST_TEST(r.result.calls == 0);
  BOOST_TEST(r.result.interrupted);
  BOOST_TEST(!r.result.failure());
}

BOOST_AUTO_TEST_CASE(a_fuzz_campaign_ends_when_its_call_budget_is_spent) {
  auto mock = cli::start_embedded_mock({}, "api");
  auto c = campaign(mock, 1, 20);
  c.duration_s = 600;
  c.max_calls = 500;
  Log log;
  auto r = engine::run_campaign(c, log);
  BOOST_TEST(r.result.passed);
  BOOST_TEST(r.result.calls >= 500);
  BOOST_TEST(!r.result.interrupted);  // a spent budget is not an interruption
}

BOOST_AUTO_TEST_CASE(commands_round_trip_through_json) {
  const auto& spec = shipped();
  engine::Call c;
  c.op = spec.find_operation("DownloadSession.keep_alive");
  c.user = 1;
  c.args["download_session_id"] = {engine::Arg::Kind::Instance, nullptr, 2};
  c.args["progress"] = {engine::Arg::Kind::Value, 42, -1};
  c.variant = engine::Call::Variant::WrongType;
  c.variant_param = "progress";
  auto back = engine::call_from_json(spec, engine::call_to_json(c));
  BOOST_TEST(back.op == c.op);
  BOOST_TEST(back.user == 1);
  BOOST_TEST((back.variant == engine::Call::Variant::WrongType));
  BOOST_TEST(back.variant_param == "progress");
  BOOST_TEST(back.args.at("download_session_id").index == 2);
  BOOST_TEST(back.args.at("progress").value == 42);
  BOOST_TEST(engine::advance_from_json(engine::advance_to_json(1500)) == 1500);
  BOOST_CHECK_THROW(engine::call_from_json(spec, {{"operation", "Nope.x"}, {"user", 0}}),
                    std::invalid_argument);
  BOOST_CHECK_THROW(engine::advance_from_json({{"advance_ms", -1}}), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(a_campaign_keeps_going_and_gives_each_broken_clause_its_own_failure) {
  auto mock = cli::start_embedded_mock({"list-shows-others", "fail-loses-message"}, "api");
  auto c = campaign(mock, 2, 200);
  c.max_failures = 0;
  Log log;
  auto r = engine::run_campaign(c, log);
  std::set<std::string> clauses;
  for (const auto& f : r.result.failures) {
    clauses.insert(f.violation.clause);
    BOOST_TEST(!f.trace.empty());
    // The minimal sequence of each ends on its own clause.
    BOOST_TEST(f.trace.back().violations.front().clause == f.violation.clause);
  }
  BOOST_TEST(r.result.failures.size() == clauses.size());  // distinct
  BOOST_TEST(clauses == (std::set<std::string>{"list.owner_only", "fail.stores_message"}));
  BOOST_TEST(!r.result.interrupted);
  // Stopping at the first failure keeps today's behaviour.
  c.max_failures = 1;
  auto first = engine::run_campaign(c, log);
  BOOST_TEST(first.result.failures.size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_tolerated_clause_is_counted_and_the_sequence_goes_on) {
  auto mock = cli::start_embedded_mock({"list-shows-others"}, "api");
  auto c = campaign(mock, 2, 60);
  c.run.tolerated = {"list.owner_only"};
  Log log;
  auto r = engine::run_campaign(c, log);
  BOOST_TEST(r.result.failures.empty());
  BOOST_TEST(r.result.coverage.violations.at("list.owner_only") > 0);
  // The sequences went on past it: the clause was violated more often than once per
  // sequence that ends at it, and calls followed.
  BOOST_TEST(r.result.passed);
}

BOOST_AUTO_TEST_CASE(a_run_stopped_mid_way_ends_at_once_incomplete) {
  auto mock = cli::start_embedded_mock({}, "api");
  std::atomic<bool> stop{false};
  auto c = campaign(mock, 1, 1000000);
  c.run.stop = &stop;
  std::chrono::steady_clock::time_point stopped_at;
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    stopped_at = std::chrono::steady_clock::now();
    stop = true;
  });
  Log log;
  auto r = engine::run_campaign(c, log);
  auto ended = std::chrono::steady_clock::now();
  stopper.join();
  BOOST_TEST(std::chrono::duration<double>(ended - stopped_at).count() < 1.0);
  BOOST_TEST(r.result.interrupted);
  BOOST_TEST(r.result.failures.empty());  // none invented
  BOOST_TEST(r.result.sequences > 0);
}

BOOST_AUTO_TEST_CASE(selection_by_clause_glob_and_by_operation) {
  const auto& spec = shipped();
  auto s = engine::select(spec, {}, {"cancel.*"});
  BOOST_TEST(s.excluded_clauses.count("cancel.requires_active"));
  BOOST_TEST(!s.excluded_clauses.count("fail.requires_active"));
  BOOST_TEST(s.excluded_operations.empty());
  s = engine::select(spec, {"DownloadSession.get"}, {});
  BOOST_TEST(!s.excluded_clauses.count("get.requires_exists"));
  BOOST_TEST(s.excluded_clauses.at("cancel.requires_active") == "not selected by --include");
  s = engine::select(spec, {}, {"DownloadSession.fail"});
  BOOST_TEST(s.excluded_operations == (std::set<std::string>{"DownloadSession.fail"}));
  BOOST_TEST(s.excluded_clauses.count("fail.stores_message"));
  BOOST_CHECK_THROW(engine::select(spec, {"no.such.*"}, {}), std::invalid_argument);
  BOOST_CHECK_THROW(engine::select(spec, {}, {"*"}), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(an_excluded_operation_is_never_called) {
  auto mock = cli::start_embedded_mock({"fail-loses-message"}, "api");
  auto c = campaign(mock, 3, 60);
  auto sel = engine::select(shipped(), {}, {"DownloadSession.fail"});
  c.run.excluded_operations = sel.excluded_operations;
  for (const auto& [id, _] : sel.excluded_clauses)
    c.run.tolerated.insert(id);
  c.max_failures = 0;
  Log log;
  auto r = engine::run_campaign(c, log);
  BOOST_TEST(r.result.passed);
  BOOST_TEST(!r.result.coverage.matrix.count("DownloadSession.fail"));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace test_events
