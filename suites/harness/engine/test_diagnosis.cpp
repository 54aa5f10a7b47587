// The diagnosis pass: a minimal sequence replayed with read-backs names the first step whose
// observable state differs from the model, not the call that noticed.
#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "conformance/engine/command_json.hpp"
#include "conformance/engine/diagnosis.hpp"
#include "conformance/engine/replay.hpp"
#include "embedded_mock.hpp"
#include "shipped_spec.hpp"

// Its own namespace: the suites build as one file (CMAKE_UNITY_BUILD) with the others.
namespace test_diagnosis {

using namespace conformance;
using nlohmann::json;

namespace {

using testing::shipped;

engine::Call call(const std::string& op, int user, std::map<std::string, engine::Arg> args) {
  engine::Call c;
  c.op = shipped().find_operation(op);
  c.user = user;
  c.args = std::move(args);
  return c;
}

engine::Arg instance(int i) {
  return {engine::Arg::Kind::Instance, json(), i};
}
engine::Arg value(json v) {
  return {engine::Arg::Kind::Value, std::move(v), -1};
}

// A failure whose minimal sequence is these commands, as the replay of them fails.
engine::Failure failure_of(const engine::RunConfig& cfg, const std::vector<json>& commands) {
  auto r = engine::replay(cfg, commands);
  BOOST_REQUIRE_MESSAGE(r.failure, "the sequence does not fail");
  return *r.failure;
}

engine::RunConfig config_of(const cli::EmbeddedMock& mock) {
  engine::RunConfig cfg;
  cfg.spec = &shipped();
  cfg.profile = mock.profile;
  return cfg;
}

// create, cancel, keep_alive of one session.
std::vector<json> create_cancel_keep_alive(const cli::EmbeddedMock& mock) {
  json item = {{"library_item_id", mock.profile.instances_of("LibraryItem").at(0).id}};
  return {engine::call_to_json(call("DownloadSession.create", 0, {{"create_spec", value(item)}})),
          engine::call_to_json(
              call("DownloadSession.cancel", 0, {{"download_session_id", instance(0)}})),
          engine::call_to_json(
              call("DownloadSession.keep_alive", 0, {{"download_session_id", instance(0)}}))};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(engine_diagnosis)

// cancel answers success but leaves the session ACTIVE; a later keep_alive, accepted, is
// where the run noticed. The read-back after the cancel shows the first divergence.
BOOST_AUTO_TEST_CASE(a_cancel_that_does_not_cancel_is_blamed_on_the_cancel_not_the_next_call) {
  auto mock = cli::start_embedded_mock({"cancel-stays-active"});
  engine::RunConfig cfg = config_of(mock);
  const std::vector<json> cmds = create_cancel_keep_alive(mock);
  engine::Failure f = failure_of(cfg, cmds);
  BOOST_TEST(f.violation.clause != "cancel.sets_canceled", "the symptom is already the cause");
  auto d = engine::diagnose(cfg, f);
  BOOST_REQUIRE(d);
  BOOST_TEST(d->step == 2);
  BOOST_TEST(d->violation.clause == "cancel.sets_canceled", d->detail);
  engine::diagnose_failure(cfg, f);
  BOOST_TEST(f.violation.clause == "cancel.sets_canceled");
  BOOST_REQUIRE(f.symptom);
  BOOST_TEST(f.symptom->clause != "cancel.sets_canceled");
  BOOST_TEST(f.diagnosed_step == 2);
}

// Keep going: the cause (cancel.sets_canceled) was found first, so it is tolerated; the
// keep_alive's failure is its own clause, but the read-backs show the tolerated cause
// first: the failure is marked as following from it (grouped under it in the reports).
BOOST_AUTO_TEST_CASE(a_failure_after_a_tolerated_cause_is_marked_as_following_from_it) {
  auto mock = cli::start_embedded_mock({"cancel-stays-active"});
  engine::RunConfig cfg = config_of(mock);
  cfg.tolerated = {"cancel.sets_canceled"};
  const std::vector<json> cmds = create_cancel_keep_alive(mock);
  engine::Failure f = failure_of(cfg, cmds);
  BOOST_TEST(f.after.empty(), "the sequence itself never reads the state back");
  const std::string own = f.violation.clause;
  engine::diagnose_failure(cfg, f);
  BOOST_TEST(f.violation.clause == own, "a tolerated clause is not blamed a second time");
  BOOST_TEST((f.after == std::vector<std::string>{"cancel.sets_canceled"}));
  // Not tolerated: no "after", the cause itself is blamed (the case above).
  cfg.tolerated.clear();
  engine::Failure g = failure_of(cfg, cmds);
  engine::diagnose_failure(cfg, g);
  BOOST_TEST(g.after.empty());
}

// A session that vanishes at half its timeout, met by a File.prepare of a known file: gone
// before the expiration_time the target stated is the lease's clause, whatever call met it.
BOOST_AUTO_TEST_CASE(a_session_gone_before_its_expiration_is_the_lease_clause) {
  auto mock = cli::start_embedded_mock({"early-expiry"});
  engine::RunConfig cfg;
  cfg.spec = &shipped();
  cfg.profile = mock.profile;
  const auto& item = mock.profile.instances_of("LibraryItem").at(0);
  std::vector<json> cmds = {
      engine::call_to_json(call("DownloadSession.create", 0,
                                {{"create_spec", value({{"library_item_id", item.id}})}})),
      engine::advance_to_json(
          static_cast<std::int64_t>(*mock.profile.session_timeout_s * 1000 * 0.75)),
      engine::call_to_json(
          call("File.prepare", 0,
               {{"download_session_id", instance(0)}, {"file_name", value(item.members.at(0))}}))};
  engine::Failure f = failure_of(cfg, cmds);
  auto d = engine::diagnose(cfg, f);
  BOOST_REQUIRE(d);
  BOOST_TEST(d->step == 2);
  BOOST_TEST(d->violation.clause == "lease.not_before_expiration", d->detail);
}

// A conforming target: the sequence does not fail again, nothing is diagnosed.
BOOST_AUTO_TEST_CASE(nothing_is_diagnosed_when_the_sequence_passes) {
  auto mock = cli::start_embedded_mock({});
  engine::RunConfig cfg;
  cfg.spec = &shipped();
  cfg.profile = mock.profile;
  engine::Failure f;
  f.violation = {"cancel.sets_canceled", "", "x", "y"};
  engine::TraceStep s;
  s.command = engine::call_to_json(
      call("DownloadSession.create", 0,
           {{"create_spec",
             value({{"library_item_id", mock.profile.instances_of("LibraryItem").at(0).id}})}}));
  f.trace = {s};
  BOOST_TEST(!engine::diagnose(cfg, f));
  engine::diagnose_failure(cfg, f);
  BOOST_TEST(f.violation.clause == "cancel.sets_canceled");
  BOOST_TEST(!f.symptom);
}

// On the wall clock, a get after a delete answered NOT_FOUND at the wrong HTTP status
// (rpc-error-http-status, JSON-RPC): the diagnosis took the NOT_FOUND for a session gone
// before its expiration and named lease.not_before_expiration. The model had it deleted.
BOOST_AUTO_TEST_CASE(regression_not_found_after_delete_is_not_gone_early) {
  auto mock = cli::start_wall_clock_mock({"rpc-error-http-status"}, "jsonrpc", 2);
  engine::RunConfig cfg = config_of(mock);
  json item = {{"library_item_id", mock.profile.instances_of("LibraryItem").at(0).id}};
  const std::vector<json> cmds = {
      engine::call_to_json(call("DownloadSession.create", 0, {{"create_spec", value(item)}})),
      engine::call_to_json(
          call("DownloadSession.delete", 0, {{"download_session_id", instance(0)}})),
      engine::call_to_json(call("DownloadSession.get", 0, {{"download_session_id", instance(0)}}))};
  engine::Failure f = failure_of(cfg, cmds);
  BOOST_TEST(f.violation.clause == "jsonrpc.errors_at_http_200");
  engine::diagnose_failure(cfg, f);
  BOOST_TEST(f.violation.clause == "jsonrpc.errors_at_http_200", f.diagnosis);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace test_diagnosis
