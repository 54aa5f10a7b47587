// The checker: each check fires on an answer that breaks exactly its clause.
#include <boost/test/unit_test.hpp>

#include "conformance/engine/checker.hpp"
#include "conformance/spec/loader.hpp"

// Its own namespace: the suites build as one file (CMAKE_UNITY_BUILD) with the others.
namespace test_checker {

using namespace conformance;
using engine::Arg;
using engine::Call;
using engine::Decoded;
using nlohmann::json;

namespace {

struct Fixture {
  spec::Spec spec = spec::load_spec(CONFORMANCE_DEFAULT_SPEC);
  engine::Profile profile;
  engine::Memory mem;
  engine::Model pre;
  Fixture() {
    profile.users = {{"alice", "x", {}}, {"bob", "y", {}}};
    profile.instances["LibraryItem"] = {{"item-1", {"a.ovf"}}};
    profile.missing_instance_id = "item-missing";
    profile.clock_control = "http://control";
    pre = engine::initial_model(spec, profile, engine::Strictness::inferred);
    Call c = create();
    engine::apply(pre, c);
    mem.ids = {"s-1"};
    mem.clock_base_ms = *engine::parse_datetime("2030-01-01T00:00:00.000Z");
  }
  Call create() {
    Call c;
    c.op = spec.find_operation("DownloadSession.create");
    c.args["create_spec"] = Arg{Arg::Kind::Value, {{"library_item_id", "item-1"}}, -1};
    return c;
  }
  Call on(const std::string& op) {
    Call c;
    c.op = spec.find_operation(op);
    c.args["download_session_id"] = Arg{Arg::Kind::Instance, nullptr, 0};
    return c;
  }
  // Checks an answer on the given binding; returns the clause ids that fired.
  std::vector<std::string> verdicts(const Call& c, const engine::HttpResponse& r,
                                    const std::string& binding = "api") {
    engine::Model post = pre;
    engine::apply(post, c);
    auto e = engine::expect(pre, c);
    const auto& b = spec.bindings.at(binding);
    Decoded d = engine::decode(spec, b, *c.op, r);
    auto v = engine::check_answer(pre, post, c, e, b, d, mem);
    std::vector<std::string> ids;
    for (const auto& x : v.violations)
      ids.push_back(x.clause);
    return ids;
  }
  static engine::HttpResponse answer(int status, const std::string& body) {
    engine::HttpResponse r;
    r.status = status;
    r.content_type = "application/json";
    r.body = body;
    return r;
  }
  json good_model() const {
    return {{"library_item_id", "item-1"},
            {"library_item_content_version", "1"},
            {"client_progress", 0},
            {"state", "ACTIVE"},
            {"expiration_time", "2030-01-01T00:05:00.000Z"}};
  }
};

using V = std::vector<std::string>;

}  // namespace

BOOST_FIXTURE_TEST_SUITE(engine_checker, Fixture)

BOOST_AUTO_TEST_CASE(a_conforming_get_passes) {
  BOOST_TEST(verdicts(on("DownloadSession.get"), answer(200, good_model().dump())) == V{});
  BOOST_TEST(verdicts(on("DownloadSession.get"), answer(200, json{{"value", good_model()}}.dump()),
                      "rest") == V{});
}

BOOST_AUTO_TEST_CASE(each_body_check_fires_on_its_own_break) {
  auto get = on("DownloadSession.get");
  json m = good_model();
  m["state"] = "CANCELED";
  BOOST_TEST(verdicts(get, answer(200, m.dump())) == V{"create.initial_state"});
  m = good_model();
  m["client_progress"] = 7;
  BOOST_TEST(verdicts(get, answer(200, m.dump())) == V{"create.initial_state"});
  m = good_model();
  m["expiration_time"] = "2030-01-01 00:05:00";
  BOOST_TEST(verdicts(get, answer(200, m.dump())) == V{"model.datetime_format"});
  m = good_model();
  m["expiration_time"] = "2030-01-01T00:04:59.000Z";  // earlier than create + 300 s
  BOOST_TEST(verdicts(get, answer(200, m.dump())) == V{"lease.expiration_is_timeout_ahead"});
  m = good_model();
  m.erase("state");
  BOOST_TEST(verdicts(get, answer(200, m.dump())) == V{"model.shape"});
  m = good_model();
  m["error_message"] = nullptr;
  BOOST_TEST(verdicts(get, answer(200, m.dump())) == V{"model.shape"});
  BOOST_TEST(verdicts(get, answer(200, good_model().dump()), "rest") ==
             V{"model.shape"});  // not wrapped
}

BOOST_AUTO_TEST_CASE(status_and_envelope_checks) {
  BOOST_TEST(verdicts(on("DownloadSession.delete"), answer(200, "")) ==
             V{"binding.success_status"});
  BOOST_TEST(verdicts(on("DownloadSession.delete"), answer(204, "")) == V{});
  BOOST_TEST(verdicts(on("DownloadSession.delete"), answer(200, ""), "rest") == V{});
  // An error where success was expected, with the wrong status for its type.
  Call gone;
  gone.op = spec.find_operation("DownloadSession.get");
  gone.args["download_session_id"] = Arg{Arg::Kind::Fresh, nullptr, 0};
  BOOST_TEST(verdicts(gone, answer(404, R"({"error_type":"NOT_FOUND","messages":[]})")) == V{});
  BOOST_TEST(verdicts(gone, answer(400, R"({"error_type":"NOT_FOUND","messages":[]})")) ==
             V{"binding.error_status"});
  BOOST_TEST(verdicts(gone, answer(404, R"({"error_type":"NOT_FOUND"})")) ==
             V{"binding.error_envelope"});
  BOOST_TEST(
      verdicts(gone, answer(500, R"({"error_type":"INTERNAL_SERVER_ERROR","messages":[]})")) ==
      V{"get.requires_exists"});
  BOOST_TEST(
      verdicts(
          gone,
          answer(404, R"({"type":"com.vmware.vapi.std.errors.not_found","value":{"messages":[]}})"),
          "rest") == V{});
  BOOST_TEST(verdicts(gone, answer(200, good_model().dump())) == V{"get.requires_exists"});
}

BOOST_AUTO_TEST_CASE(a_transport_error_is_a_finding_not_a_crash) {
  engine::HttpResponse r;
  r.transport_error = "Connection reset";
  BOOST_TEST(verdicts(on("DownloadSession.get"), r) == V{"binding.success_status"});
}

BOOST_AUTO_TEST_CASE(date_time_parsing_is_rfc3339_and_lenient) {
  BOOST_TEST(engine::parse_datetime("2030-01-01T00:00:00.000Z").has_value());
  BOOST_TEST(engine::parse_datetime("2030-01-01T00:00:00Z").has_value());
  BOOST_TEST(*engine::parse_datetime("2030-01-01T01:00:00+01:00") ==
             *engine::parse_datetime("2030-01-01T00:00:00Z"));
  BOOST_TEST(!engine::parse_datetime("2030-01-01 00:00:00").has_value());
  BOOST_TEST(!engine::parse_datetime("2030-13-01T00:00:00Z").has_value());
  BOOST_TEST(engine::format_datetime(*engine::parse_datetime("2030-01-01T00:00:00.123Z")) ==
             "2030-01-01T00:00:00.123Z");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace test_checker
