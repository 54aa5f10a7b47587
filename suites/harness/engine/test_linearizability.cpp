// The linearizability check on hand-written histories: linearizable ones accepted,
// impossible ones rejected naming the clause, calls without an answer, the bound.
#include <boost/test/unit_test.hpp>

#include "conformance/engine/linearizability.hpp"
#include "conformance/spec/loader.hpp"

// Its own namespace: the suites build as one file (CMAKE_UNITY_BUILD) with the others.
namespace test_linearizability {

using namespace conformance;
using engine::Arg;
using engine::Call;
using engine::LinearizeResult;
using nlohmann::json;

namespace {

struct History {
  spec::Spec spec = spec::load_spec(CONFORMANCE_DEFAULT_SPEC);
  engine::Profile profile;
  engine::CheckState start;
  engine::History h;
  History() {
    profile.users = {{"alice", "x", {}}, {"bob", "y", {}}};
    profile.instances["LibraryItem"] = {{"item-1", {"a.ovf"}}};
    profile.missing_instance_id = "item-missing";
    profile.clock_control = "http://control";
    start.model = engine::initial_model(spec, profile, engine::Strictness::inferred);
    Call c;
    c.op = spec.find_operation("DownloadSession.create");
    c.args["create_spec"] = Arg{Arg::Kind::Value, {{"library_item_id", "item-1"}}, -1};
    engine::settle(start.model, c, engine::expect(start.model, c), engine::Observed::Success);
    start.memory.ids = {"s-1"};
    start.memory.clock_base_ms = *engine::parse_datetime("2030-01-01T00:00:00.000Z");
  }
  // A call on session #0 by alice, on `branch`, from `from` to `to` ms, answered with
  // `status` and `body` (status 0: no answer).
  void add(int branch, const std::string& op, double from, double to, int status,
           const std::string& body = "") {
    engine::HistoryOp o;
    o.branch = branch;
    Call c;
    c.op = spec.find_operation(op);
    c.args["download_session_id"] = Arg{Arg::Kind::Instance, nullptr, 0};
    o.call = std::make_shared<const Call>(c);
    o.invoked_ms = from;
    if (status == 0) {
      o.response.transport_error = "connection reset";
    } else {
      o.response.status = status;
      o.response.content_type = "application/json";
      o.response.body = body;
      o.answered_ms = to;
    }
    o.answer = engine::decode(spec, spec.bindings.at("api"), *c.op, o.response);
    h.push_back(std::move(o));
  }
  static std::string session(const std::string& state) {
    return json{{"library_item_id", "item-1"},
                {"library_item_content_version", "1"},
                {"client_progress", 0},
                {"state", state},
                {"expiration_time", "2030-01-01T00:05:00.000Z"}}
        .dump();
  }
  static std::string not_active() {
    return json{
        {"error_type", "NOT_ALLOWED_IN_CURRENT_STATE"},
        {"messages", {{{"id", "x"}, {"default_message", "not ACTIVE"}, {"args", json::array()}}}}}
        .dump();
  }
  LinearizeResult check(engine::LinearizeLimits limits = {}) {
    return engine::linearize(start, h, spec.bindings.at("api"), {}, limits);
  }
};

using Verdict = LinearizeResult::Verdict;

}  // namespace

BOOST_FIXTURE_TEST_SUITE(engine_linearizability, History)

BOOST_AUTO_TEST_CASE(overlapping_cancels_one_refused_are_linearizable) {
  add(0, "DownloadSession.cancel", 0, 5, 204);
  add(1, "DownloadSession.cancel", 1, 4, 400, not_active());
  auto r = check();
  BOOST_TEST(static_cast<int>(r.verdict) == static_cast<int>(Verdict::Linearizable));
  BOOST_TEST(r.order == (std::vector<int>{0, 1}));
}

BOOST_AUTO_TEST_CASE(a_read_overlapping_a_cancel_may_see_either_state) {
  add(0, "DownloadSession.cancel", 0, 5, 204);
  add(1, "DownloadSession.get", 1, 4, 200, session("ACTIVE"));
  add(1, "DownloadSession.get", 4.5, 4.8, 200, session("CANCELED"));
  BOOST_TEST(static_cast<int>(check().verdict) == static_cast<int>(Verdict::Linearizable));
}

BOOST_AUTO_TEST_CASE(a_read_after_a_cancel_answered_must_see_it) {
  add(0, "DownloadSession.cancel", 0, 1, 204);
  add(1, "DownloadSession.get", 2, 3, 200, session("ACTIVE"));
  auto r = check();
  BOOST_TEST(static_cast<int>(r.verdict) == static_cast<int>(Verdict::NotLinearizable));
  BOOST_TEST(r.violation.clause == "cancel.sets_canceled");
  BOOST_TEST(r.failed_op == 1);
  BOOST_TEST(r.deepest == (std::vector<int>{0}));
  std::string text = engine::timeline_text(h, r, profile);
  BOOST_TEST(text.find("b2.1") != std::string::npos);
  BOOST_TEST(text.find("<-- cancel.sets_canceled") != std::string::npos);
  BOOST_TEST(engine::timeline_mermaid(h, r, profile).find("crit") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(two_successful_cancels_break_requires_active) {
  add(0, "DownloadSession.cancel", 0, 5, 204);
  add(1, "DownloadSession.cancel", 1, 4, 204);
  auto r = check();
  BOOST_TEST(static_cast<int>(r.verdict) == static_cast<int>(Verdict::NotLinearizable));
  BOOST_TEST(r.violation.clause == "cancel.requires_active");
}

BOOST_AUTO_TEST_CASE(a_call_without_an_answer_may_or_may_not_have_taken_effect) {
  add(0, "DownloadSession.cancel", 0, 0, 0);  // no answer
  add(1, "DownloadSession.get", 2, 3, 200, session("ACTIVE"));
  add(1, "DownloadSession.get", 4, 5, 200, session("CANCELED"));
  auto r = check();
  BOOST_TEST(static_cast<int>(r.verdict) == static_cast<int>(Verdict::Linearizable));
  BOOST_TEST(r.order == (std::vector<int>{1, 0, 2}));
}

BOOST_AUTO_TEST_CASE(a_call_without_an_answer_cannot_explain_the_impossible) {
  add(0, "DownloadSession.cancel", 0, 0, 0);  // no answer: canceled, or not
  add(1, "DownloadSession.get", 2, 3, 200, session("CANCELED"));
  add(1, "DownloadSession.get", 4, 5, 200, session("ACTIVE"));  // not back to ACTIVE
  auto r = check();
  BOOST_TEST(static_cast<int>(r.verdict) == static_cast<int>(Verdict::NotLinearizable));
  BOOST_TEST(r.failed_op == 2);
}

BOOST_AUTO_TEST_CASE(the_bound_gives_not_checked_never_a_verdict) {
  add(0, "DownloadSession.cancel", 0, 5, 204);
  add(1, "DownloadSession.cancel", 1, 4, 204);
  add(2, "DownloadSession.get", 1, 4, 200, session("CANCELED"));
  engine::LinearizeLimits tiny;
  tiny.max_states = 2;
  auto r = check(tiny);
  BOOST_TEST(static_cast<int>(r.verdict) == static_cast<int>(Verdict::NotChecked));
  BOOST_TEST(r.why_not_checked.find("model steps") != std::string::npos);
  engine::LinearizeLimits short_histories;
  short_histories.max_ops = 2;
  r = check(short_histories);
  BOOST_TEST(static_cast<int>(r.verdict) == static_cast<int>(Verdict::NotChecked));
  BOOST_TEST(r.why_not_checked.find("3 calls") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(memoisation_keeps_wide_histories_cheap) {
  // 12 overlapping reads of one ACTIVE session: 12! orders, one state after each set.
  for (int i = 0; i < 12; ++i)
    add(i % 4, "DownloadSession.get", 0, 10, 200, session("ACTIVE"));
  auto r = check();
  BOOST_TEST(static_cast<int>(r.verdict) == static_cast<int>(Verdict::Linearizable));
  BOOST_TEST(r.states <= 12);
  // With one impossible answer among them, every set of placed reads is tried once.
  h.back().response.body = session("CANCELED");
  h.back().answer =
      engine::decode(spec, spec.bindings.at("api"), *h.back().call->op, h.back().response);
  r = check();
  BOOST_TEST_MESSAGE("12 reads, one impossible: " << r.states << " model steps in " << r.millis
                                                  << " ms");
  BOOST_TEST(static_cast<int>(r.verdict) == static_cast<int>(Verdict::NotLinearizable));
  BOOST_TEST(r.states <= 12 * 4096);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace test_linearizability
