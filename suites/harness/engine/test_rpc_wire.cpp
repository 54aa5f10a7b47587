// The wire of an RPC binding (the shipped spec's jsonrpc): the envelope and tagged values
// encoded from the spec, answers decoded with each departure named by its clause, broken
// envelopes as the spec's negatives say, secrets out of recorded requests, and the loader's
// checks of the binding's data.
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>

#include "conformance/engine/rpc_wire.hpp"
#include "conformance/engine/wire.hpp"
#include "conformance/spec/loader.hpp"

// Its own namespace: the suites build as one file (CMAKE_UNITY_BUILD) with the others.
namespace test_rpc_wire {

using namespace conformance;
using nlohmann::json;

namespace {

const spec::Spec& shipped() {
  static const spec::Spec s = spec::load_spec(CONFORMANCE_DEFAULT_SPEC);
  return s;
}
const spec::Binding& rpc() {
  return shipped().bindings.at("jsonrpc");
}
const spec::Operation& op(const std::string& name) {
  const spec::Operation* o = shipped().find_operation(name);
  BOOST_REQUIRE(o);
  return *o;
}
engine::HttpResponse answer(int status, const json& body) {
  engine::HttpResponse r;
  r.status = status;
  r.body = body.dump();
  r.content_type = "application/json";
  return r;
}
json ok(const json& id, json output) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"result", {{"output", std::move(output)}}}};
}
std::vector<std::string> clauses(const engine::Decoded& d) {
  std::vector<std::string> out;
  for (const auto& [c, _] : d.encoding_problems)
    out.push_back(c->id);
  return out;
}
const std::string kModel = "com.vmware.content.library.item.download_session_model";
json opt(json v) {
  return {{"OPTIONAL", std::move(v)}};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(rpc_wire)

BOOST_AUTO_TEST_CASE(a_call_is_an_invoke_envelope_with_tagged_values_and_the_token_in_ctx) {
  auto r = engine::encode(rpc(), op("DownloadSession.create"),
                          {{"create_spec", {{"library_item_id", "item"}}}}, "s3cr3t-tok");
  BOOST_TEST(r.method == "POST");
  BOOST_TEST(r.path == "/api");
  BOOST_TEST(r.headers.empty());  // no session header: the token is in the body
  json b = json::parse(*r.body);
  BOOST_TEST(b["jsonrpc"] == "2.0");
  BOOST_TEST(b["method"] == "invoke");
  BOOST_TEST(b["id"].is_string());
  const json& p = b["params"];
  BOOST_TEST(p["serviceId"] == "com.vmware.content.library.item.download_session");
  BOOST_TEST(p["operationId"] == "create");
  const json& in = p["input"]["STRUCTURE"]["operation-input"];
  BOOST_TEST(in["client_token"] == opt(nullptr));  // an unset optional still travels
  BOOST_TEST(in["create_spec"]["STRUCTURE"][kModel]["library_item_id"] == opt("item"));
  BOOST_TEST(p["ctx"]["securityCtx"]["sessionId"] == "s3cr3t-tok");
  BOOST_TEST(p["ctx"]["appCtx"]["op_id"].is_string());
  auto anonymous =
      engine::encode(rpc(), op("DownloadSession.get"), {{"download_session_id", "x"}}, "");
  BOOST_TEST(!json::parse(*anonymous.body)["params"]["ctx"].contains("securityCtx"));
  // Recorded requests show neither the token nor a password.
  auto shown = engine::redacted(r, engine::secret_headers(rpc()));
  BOOST_TEST(shown.body->find("s3cr3t-tok") == std::string::npos);
  BOOST_TEST(json::parse(*shown.body)["params"]["ctx"]["securityCtx"]["sessionId"] == "<redacted>");
}

BOOST_AUTO_TEST_CASE(broken_requests_break_the_input_or_the_envelope_as_named) {
  const auto& keep = op("DownloadSession.keep_alive");
  json args = {{"download_session_id", "s"}, {"progress", 5}};
  auto wrong = engine::encode(rpc(), keep, args, "t", engine::Breakage::WrongType, "progress");
  BOOST_TEST(
      json::parse(*wrong.body)["params"]["input"]["STRUCTURE"]["operation-input"]["progress"] ==
      opt("not-a-number"));
  auto omitted =
      engine::encode(rpc(), keep, args, "t", engine::Breakage::OmitParam, "download_session_id");
  BOOST_TEST(
      !json::parse(*omitted.body)["params"]["input"]["STRUCTURE"]["operation-input"].contains(
          "download_session_id"));
  auto garbage = engine::encode(rpc(), keep, args, "t", engine::Breakage::MalformedBody, "");
  BOOST_TEST(json::parse(*garbage.body, nullptr, false).is_discarded());
  auto version =
      engine::encode(rpc(), keep, args, "t", engine::Breakage::MalformedBody, "wrong-version");
  BOOST_TEST(json::parse(*version.body)["jsonrpc"] == "1.0");
  auto no_params =
      engine::encode(rpc(), keep, args, "t", engine::Breakage::MalformedBody, "no-params");
  BOOST_TEST(!json::parse(*no_params.body).contains("params"));
  auto unwrapped = engine::encode(rpc(), keep, args, "t", engine::Breakage::MalformedBody,
                                  "input-not-structure");
  BOOST_TEST(json::parse(*unwrapped.body)["params"]["input"]["download_session_id"] == "s");
}

BOOST_AUTO_TEST_CASE(a_well_encoded_answer_decodes_to_the_plain_result) {
  json model = {{"STRUCTURE",
                 {{kModel,
                   {{"id", opt("s")},
                    {"state", opt("ACTIVE")},
                    {"error_message", opt(nullptr)},
                    {"expiration_time", opt("2030-01-01T00:05:00.000Z")}}}}}};
  engine::HttpRequest req;
  req.body = json{{"id", "q1"}}.dump();
  auto d = engine::decode(shipped(), rpc(), op("DownloadSession.get"), answer(200, ok("q1", model)),
                          &req);
  BOOST_TEST((d.kind == engine::Decoded::Kind::Success));
  BOOST_TEST(d.encoding_problems.empty());
  BOOST_TEST(
      d.result ==
      (json{{"id", "s"}, {"state", "ACTIVE"}, {"expiration_time", "2030-01-01T00:05:00.000Z"}}));
  auto v = engine::decode(shipped(), rpc(), op("DownloadSession.cancel"),
                          answer(200, ok("q1", nullptr)), &req);
  BOOST_TEST(v.encoding_problems.empty());
  BOOST_TEST(!v.has_result);
}

BOOST_AUTO_TEST_CASE(each_departure_is_named_by_its_clause) {
  engine::HttpRequest req;
  req.body = json{{"id", "q1"}}.dump();
  const auto& get = op("DownloadSession.get");
  auto decode = [&](const engine::Decoded::Kind kind, const json& body, const spec::Operation& o,
                    int status = 200) {
    auto d = engine::decode(shipped(), rpc(), o, answer(status, body), &req);
    BOOST_TEST((d.kind == kind));
    return d;
  };
  using K = engine::Decoded::Kind;
  json bare = {{"STRUCTURE", {{kModel, {{"state", "ACTIVE"}}}}}};
  BOOST_TEST(clauses(decode(K::Success, ok("q1", bare), get)) ==
             std::vector<std::string>{"jsonrpc.optional_wrapped"});
  json unwrapped = {{"state", opt("ACTIVE")}};
  BOOST_TEST(clauses(decode(K::Success, ok("q1", unwrapped), get)) ==
             std::vector<std::string>{"jsonrpc.structure_wrapped"});
  json offset = {
      {"STRUCTURE", {{kModel, {{"expiration_time", opt("2030-01-01T00:05:00+00:00")}}}}}};
  BOOST_TEST(clauses(decode(K::Success, ok("q1", offset), get)) ==
             std::vector<std::string>{"jsonrpc.datetime_millis_z"});
  BOOST_TEST(clauses(decode(K::Success, ok("q2", nullptr), op("DownloadSession.cancel"))) ==
             std::vector<std::string>{"jsonrpc.id_echoed"});
  BOOST_TEST(clauses(decode(K::Success, ok("q1", json::object()), op("DownloadSession.cancel"))) ==
             std::vector<std::string>{"jsonrpc.void_output_null"});
  json no_version = ok("q1", nullptr);
  no_version.erase("jsonrpc");
  BOOST_TEST(clauses(decode(K::Success, no_version, op("DownloadSession.cancel"))) ==
             std::vector<std::string>{"jsonrpc.envelope"});
  BOOST_TEST(clauses(decode(K::Success, json(), op("DownloadSession.cancel"), 204)) ==
             std::vector<std::string>{"jsonrpc.envelope"});
  // A service error: its catalogue name; a protocol error: the code's.
  json err = {{"jsonrpc", "2.0"},
              {"id", "q1"},
              {"result",
               {{"error",
                 {{"ERROR",
                   {{"com.vmware.vapi.std.errors.not_found",
                     {{"messages", json::array()}, {"error_type", opt("NOT_FOUND")}}}}}}}}}};
  auto e = decode(K::Error, err, get, 404);
  BOOST_TEST(e.error_name == "NOT_FOUND");
  BOOST_TEST(!e.protocol_error);
  BOOST_TEST(e.envelope_problems.empty());
  json proto = {{"jsonrpc", "2.0"}, {"id", "q1"}, {"error", {{"code", -32601}, {"message", "x"}}}};
  auto p = decode(K::Error, proto, get);
  BOOST_TEST(p.protocol_error);
  BOOST_TEST(p.error_name == "OPERATION_NOT_FOUND");
}

BOOST_AUTO_TEST_CASE(the_loader_checks_the_rpc_binding_data) {
  std::ifstream in(CONFORMANCE_DEFAULT_SPEC);
  json doc = json::parse(in);
  auto fails_with = [&](const std::function<void(json&)>& mutate, const std::string& pointer) {
    json d = doc;
    mutate(d);
    auto path = std::filesystem::temp_directory_path() / "rpc_wire_spec.json";
    std::ofstream(path) << d.dump();
    try {
      spec::load_spec(path);
      BOOST_ERROR("accepted: " << pointer);
    } catch (const spec::SpecError& e) {
      BOOST_TEST(e.pointer() == pointer, e.what());
    }
  };
  fails_with([](json& d) { d["bindings"]["jsonrpc"]["protocol_errors"][0]["error"] = "NOPE"; },
             "/bindings/jsonrpc/protocol_errors/0/error");
  fails_with([](json& d) { d["bindings"]["jsonrpc"]["negatives"][1]["errors"][0] = "NOPE"; },
             "/bindings/jsonrpc/negatives/1/errors/0");
  fails_with([](json& d) { d["bindings"]["jsonrpc"]["encoding"]["structures"]["Nope"] = "x"; },
             "/bindings/jsonrpc/encoding/structures/Nope");
  fails_with(
      [](json& d) { d["bindings"]["jsonrpc"]["operations"]["File.get"]["operation"] = "list"; },
      "/bindings/jsonrpc/operations/File.list");
  fails_with([](json& d) { d["bindings"]["jsonrpc"]["envelope"].erase("input_key"); },
             "/bindings/jsonrpc/envelope");
  fails_with(
      [](json& d) {
        d["bindings"]["jsonrpc"]["negatives"][0]["set"] = {{"jsonrpc", 1}};
      },
      "/bindings/jsonrpc/negatives/0/set/jsonrpc");
  fails_with([](json& d) { d["bindings"]["jsonrpc"]["protocol"] = "grpc"; },
             "/bindings/jsonrpc/protocol");
  fails_with([](json& d) { d["bindings"]["jsonrpc"]["operations"].erase("File.get"); },
             "/bindings/jsonrpc/operations");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace test_rpc_wire
