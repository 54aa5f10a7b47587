// The wire: requests encoded from the spec's binding, answers decoded, login.
#include <boost/test/unit_test.hpp>

#include "conformance/engine/wire.hpp"
#include "shipped_spec.hpp"

// Its own namespace: the suites build as one file (CMAKE_UNITY_BUILD) with the others.
namespace test_wire {

using namespace conformance;
using nlohmann::json;

namespace {

using testing::shipped;

const spec::Operation& op(const std::string& name) {
  const spec::Operation* o = shipped().find_operation(name);
  BOOST_REQUIRE(o);
  return *o;
}

std::string header(const engine::HttpRequest& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return "";
}

engine::HttpResponse answer(int status, const std::string& body) {
  engine::HttpResponse r;
  r.status = status;
  r.body = body;
  r.content_type = "application/json";
  return r;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(wire)

BOOST_AUTO_TEST_CASE(path_parameters_are_percent_encoded_and_the_token_goes_in_the_header) {
  const auto& b = shipped().bindings.at("api");
  auto r = engine::encode(b, op("DownloadSession.get"), {{"download_session_id", "a b:c"}}, "tok");
  BOOST_TEST(r.method == "GET");
  BOOST_TEST(r.path.find("/a%20b:c") != std::string::npos);
  BOOST_TEST(!r.body.has_value());
  BOOST_TEST(header(r, b.session_header) == "tok");
  auto anonymous = engine::encode(b, op("DownloadSession.get"), {{"download_session_id", "x"}}, "");
  BOOST_TEST(header(anonymous, b.session_header).empty());
}

BOOST_AUTO_TEST_CASE(a_broken_request_is_broken_as_asked) {
  const auto& b = shipped().bindings.at("api");
  const auto& create = op("DownloadSession.create");
  json args = {{"create_spec", {{"library_item_id", "item"}}}};
  auto ok = engine::encode(b, create, args, "t");
  BOOST_REQUIRE(ok.body.has_value());
  BOOST_TEST(json::parse(*ok.body).is_object());
  auto malformed = engine::encode(b, create, args, "t", engine::Breakage::MalformedBody);
  BOOST_TEST(json::parse(*malformed.body, nullptr, false).is_discarded());
  auto omitted = engine::encode(b, create, args, "t", engine::Breakage::OmitParam, "create_spec");
  BOOST_TEST(omitted.body.value_or("").find("item") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(answers_decode_to_results_errors_or_transport_failures) {
  const auto& spec = shipped();
  for (const auto& [name, b] : spec.bindings) {
    if (b.rpc) continue;  // test_rpc_wire.cpp
    const auto& get = op("DownloadSession.get");
    json session = {{"id", "s"}, {"state", "ACTIVE"}};
    json body = b.result_style == "wrapped" ? json{{b.result_key, session}} : session;
    auto d = engine::decode(spec, b, get, answer(200, body.dump()));
    BOOST_TEST((d.kind == engine::Decoded::Kind::Success), name);
    BOOST_TEST(d.result == session, name);

    engine::HttpResponse none;
    none.transport_error = "reset";
    auto t = engine::decode(spec, b, get, none);
    BOOST_TEST((t.kind == engine::Decoded::Kind::Transport), name);
    BOOST_TEST(t.transport_error == "reset");

    auto e = engine::decode(spec, b, get, answer(404, "not json"));
    BOOST_TEST((e.kind == engine::Decoded::Kind::Error), name);
    BOOST_TEST(!e.envelope_problems.empty(), name);
  }
}

BOOST_AUTO_TEST_CASE(an_error_names_its_catalogue_entry) {
  const auto& spec = shipped();
  const auto& b = spec.bindings.at("rest");
  const auto& def = spec.errors.at("NOT_FOUND");
  json body = b.error_style == "typed"
                  ? json{{b.error_type_key, def.rest_type},
                         {b.error_value_key,
                          {{b.error_name_key, "NOT_FOUND"}, {b.error_messages_key, json::array()}}}}
                  : json{{b.error_name_key, "NOT_FOUND"}, {b.error_messages_key, json::array()}};
  auto d = engine::decode(spec, b, op("DownloadSession.get"), answer(404, body.dump()));
  BOOST_TEST((d.kind == engine::Decoded::Kind::Error));
  BOOST_TEST(d.error_name == "NOT_FOUND");
  BOOST_TEST(d.envelope_problems.empty());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace test_wire
