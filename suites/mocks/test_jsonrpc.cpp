// The mock's vAPI JSON-RPC binding (POST /api): what an SDK client sends is accepted, its
// answers have the forms the client demands (reference §7a), broken requests get the right
// JSON-RPC or vAPI error, and each rpc-* fault breaks exactly its own rule.
#include <boost/test/data/test_case.hpp>
#include <map>
#include <set>

#include "mock_client.hpp"

namespace bdata = boost::unit_test::data;
using namespace mt;

namespace {

const std::string kDs = "com.vmware.content.library.item.download_session";
const std::string kFile = "com.vmware.content.library.item.downloadsession.file";
const std::string kModel = "com.vmware.content.library.item.download_session_model";

json opt(json v) {
  return {{"OPTIONAL", std::move(v)}};
}

// A JSON-RPC client of the mock, written as §7a describes the SDK's.
struct Rpc {
  int port;
  std::string token;
  int next_id = 0;

  Resp raw(const std::string& body) const {
    return Http(port).post("/api", body, {{"Accept", "application/vnd.vmware.vapi.framed"}});
  }
  json envelope(const std::string& service, const std::string& operation, json input,
                json security) {
    return {{"jsonrpc", "2.0"},
            {"method", "invoke"},
            {"id", "req-" + std::to_string(++next_id)},
            {"params",
             {{"serviceId", service},
              {"operationId", operation},
              {"input", {{"STRUCTURE", {{"operation-input", std::move(input)}}}}},
              {"ctx", {{"appCtx", {{"op_id", "op-1"}}}, {"securityCtx", std::move(security)}}}}}};
  }
  json session_ctx() const {
    return {{"schemeId", "com.vmware.vapi.std.security.session_id"}, {"sessionId", token}};
  }
  Resp call(const std::string& service, const std::string& operation, json input) {
    return raw(envelope(service, operation, std::move(input), session_ctx()).dump());
  }
  std::string login(const std::string& user, const std::string& password) {
    json sec = {
        {"schemeId", "com.vmware.vapi.std.security.user_pass"},
        {"userName", user},
        {"password", password},
        {"timestamp",
         {{"created", "2030-01-01T00:00:00.000Z"}, {"expires", "2030-01-01T00:10:00.000Z"}}}};
    Resp r = raw(envelope("com.vmware.cis.session", "create", json::object(), sec).dump());
    BOOST_REQUIRE_MESSAGE(r.status == 200, r);
    token = r.j["result"]["output"]["SECRET"].get<std::string>();
    return token;
  }
  // create as the SDK sends it: every model field, the unused ones {"OPTIONAL": null}.
  Resp create(const std::string& item, json client_token = nullptr) {
    json spec = {{"id", opt(nullptr)},
                 {"library_item_id", opt(item)},
                 {"library_item_content_version", opt(nullptr)},
                 {"error_message", opt(nullptr)},
                 {"client_progress", opt(nullptr)},
                 {"state", opt(nullptr)},
                 {"expiration_time", opt(nullptr)}};
    return call(kDs, "create",
                {{"client_token", opt(std::move(client_token))},
                 {"create_spec", {{"STRUCTURE", {{kModel, spec}}}}}});
  }
};

const json& output(const Resp& r) {
  BOOST_REQUIRE_MESSAGE(r.status == 200 && r.j.is_object() && r.j.contains("result") &&
                            r.j["result"].contains("output"),
                        r);
  return r.j["result"]["output"];
}
// The std error name of a result.error (e.g. com.vmware.vapi.std.errors.not_found).
std::string error_name(const Resp& r) {
  if (!r.j.is_object() || !r.j.contains("result") || !r.j["result"].contains("error")) return "";
  const json& e = r.j["result"]["error"];
  return e.contains("ERROR") && e["ERROR"].is_object() && !e["ERROR"].empty()
             ? e["ERROR"].begin().key()
             : "";
}
int rpc_code(const Resp& r) {
  return r.j.is_object() && r.j.contains("error") ? r.j["error"].value("code", 0) : 0;
}

struct RpcFx {
  explicit RpcFx(std::set<std::string> faults = {}, std::map<std::string, std::string> v = {})
      : mock([&] {
          auto o = Mock::virtual_opts();
          o.faults = std::move(faults);
          o.variants = std::move(v);
          return o;
        }()),
        rpc{mock.port, ""} {
    rpc.login("alice", "alice-pass");
  }
  Mock mock;
  Rpc rpc;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(jsonrpc)

BOOST_AUTO_TEST_CASE(login_answers_a_secret_and_bad_credentials_a_typed_error) {
  Mock m;
  Rpc rpc{m.port, ""};
  BOOST_TEST(!rpc.login("alice", "alice-pass").empty());
  Resp bad = rpc.raw(rpc.envelope("com.vmware.cis.session", "create", json::object(),
                                  {{"schemeId", "com.vmware.vapi.std.security.user_pass"},
                                   {"userName", "alice"},
                                   {"password", "wrong"}})
                         .dump());
  BOOST_TEST(bad.status == 200);
  BOOST_TEST(error_name(bad) == "com.vmware.vapi.std.errors.unauthenticated");
  // Logout answers output null; the token is then refused.
  BOOST_TEST(output(rpc.call("com.vmware.cis.session", "delete", json::object())).is_null());
  BOOST_TEST(error_name(rpc.call(kDs, "list", {{"library_item_id", opt(nullptr)}})) ==
             "com.vmware.vapi.std.errors.unauthenticated");
}

BOOST_AUTO_TEST_CASE(the_sdk_forms_are_accepted_and_answered_as_the_sdk_demands) {
  RpcFx f;
  Resp made = f.rpc.create(kItemA, "tok-1");
  BOOST_TEST_REQUIRE(output(made).is_string());
  const std::string id = output(made).get<std::string>();
  BOOST_TEST(made.j["id"] == "req-2");  // the request's id (req-1 was the login) is echoed
  BOOST_TEST(made.j["jsonrpc"] == "2.0");
  BOOST_TEST(output(f.rpc.create(kItemA, "tok-1")) == id);  // client_token replay

  const json got = output(f.rpc.call(kDs, "get", {{"download_session_id", id}}));
  BOOST_TEST_REQUIRE(got["STRUCTURE"].contains(kModel));
  const json& m = got["STRUCTURE"][kModel];
  BOOST_TEST(m["state"] == opt("ACTIVE"));
  BOOST_TEST(m["client_progress"] == opt(0));
  BOOST_TEST(m["error_message"] == opt(nullptr));
  BOOST_TEST(std::regex_match(m["expiration_time"]["OPTIONAL"].get<std::string>(),
                              std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")));

  Resp alive = f.rpc.call(kDs, "keep_alive", {{"download_session_id", id}, {"progress", opt(40)}});
  BOOST_TEST(alive.j["result"].contains("output"));
  BOOST_TEST(output(alive).is_null());
  BOOST_TEST(output(f.rpc.call(kDs, "list", {{"library_item_id", opt(kItemA)}})) ==
             json::array({id}));

  const json files = output(f.rpc.call(kFile, "list", {{"download_session_id", id}}));
  BOOST_TEST_REQUIRE(files.size() == 3u);
  const std::string info = "com.vmware.content.library.item.downloadsession.file.info";
  const json& first = files[0]["STRUCTURE"][info];
  BOOST_TEST(first["status"] == "UNPREPARED");
  BOOST_TEST(first["download_endpoint"] == opt(nullptr));
  const std::string name = first["name"];
  const json prepared = output(f.rpc.call(
      kFile, "prepare",
      {{"download_session_id", id}, {"file_name", name}, {"endpoint_type", opt("HTTPS")}}));
  BOOST_TEST(prepared["STRUCTURE"][info]["name"] == name);
  f.mock.advance(60000);
  const json later =
      output(f.rpc.call(kFile, "get", {{"download_session_id", id}, {"file_name", name}}));
  const json& ep = later["STRUCTURE"][info]["download_endpoint"]["OPTIONAL"];
  BOOST_TEST(ep["STRUCTURE"].contains("com.vmware.content.library.item.transfer_endpoint"));
}

BOOST_AUTO_TEST_CASE(a_service_error_is_typed_in_the_result_with_http_200) {
  RpcFx f;
  Resp r = f.rpc.call(kDs, "get", {{"download_session_id", kUnknownId}});
  BOOST_TEST(r.status == 200);
  BOOST_TEST(error_name(r) == "com.vmware.vapi.std.errors.not_found");
  const json& e = r.j["result"]["error"]["ERROR"]["com.vmware.vapi.std.errors.not_found"];
  BOOST_TEST(e["error_type"] == opt("NOT_FOUND"));
  BOOST_TEST(e["data"] == opt(nullptr));
  BOOST_TEST_REQUIRE(e["messages"].size() == 1u);
  BOOST_TEST(e["messages"][0]["STRUCTURE"].contains("com.vmware.vapi.std.localizable_message"));
  BOOST_TEST(!r.j["result"].contains("output"));
}

BOOST_AUTO_TEST_CASE(broken_envelopes_get_the_json_rpc_error_codes) {
  RpcFx f;
  auto env = [&] {
    return f.rpc.envelope(kDs, "list", {{"library_item_id", opt(nullptr)}}, f.rpc.session_ctx());
  };
  Resp parse = f.rpc.raw("{\"jsonrpc\": \"2.0\", ");
  BOOST_TEST(rpc_code(parse) == -32700);
  BOOST_TEST(parse.j["id"].is_null());
  BOOST_TEST(parse.status == 200);
  json v1 = env();
  v1["jsonrpc"] = "1.0";
  BOOST_TEST(rpc_code(f.rpc.raw(v1.dump())) == -32600);
  BOOST_TEST(rpc_code(f.rpc.raw("[1, 2]")) == -32600);
  json method = env();
  method["method"] = "call";
  Resp m = f.rpc.raw(method.dump());
  BOOST_TEST(rpc_code(m) == -32601);
  BOOST_TEST(m.j["id"] == method["id"]);
  json no_params = env();
  no_params.erase("params");
  BOOST_TEST(rpc_code(f.rpc.raw(no_params.dump())) == -32602);
  json no_service = env();
  no_service["params"].erase("serviceId");
  BOOST_TEST(rpc_code(f.rpc.raw(no_service.dump())) == -32602);
  // GET /api is not the binding.
  BOOST_TEST(Http(f.mock.port).get("/api").status == 405);
}

BOOST_AUTO_TEST_CASE(unknown_ids_and_badly_encoded_values_get_typed_errors) {
  RpcFx f;
  const std::string nf = "com.vmware.vapi.std.errors.operation_not_found";
  const std::string ia = "com.vmware.vapi.std.errors.invalid_argument";
  BOOST_TEST(error_name(f.rpc.call("no.such.service", "get", json::object())) == nf);
  BOOST_TEST(error_name(f.rpc.call(kDs, "pause", json::object())) == nf);
  const std::string id = output(f.rpc.create(kItemA)).get<std::string>();
  // input not an operation-input structure
  json bare = f.rpc.envelope(kDs, "get", {{"download_session_id", id}}, f.rpc.session_ctx());
  bare["params"]["input"] = {{"download_session_id", id}};
  BOOST_TEST(error_name(f.rpc.raw(bare.dump())) == ia);
  // missing required, wrongly typed, an optional not wrapped, a required one wrapped, an
  // unknown parameter, a create_spec of another structure or with a bare optional field
  BOOST_TEST(error_name(f.rpc.call(kDs, "get", json::object())) == ia);
  BOOST_TEST(error_name(f.rpc.call(kDs, "get", {{"download_session_id", 7}})) == ia);
  BOOST_TEST(error_name(f.rpc.call(kDs, "list", {{"library_item_id", kItemA}})) == ia);
  BOOST_TEST(error_name(f.rpc.call(kDs, "get", {{"download_session_id", opt(id)}})) == ia);
  BOOST_TEST(error_name(f.rpc.call(kDs, "get", {{"download_session_id", id}, {"x", 1}})) == ia);
  BOOST_TEST(error_name(f.rpc.call(kDs, "keep_alive",
                                   {{"download_session_id", id}, {"progress", opt("10")}})) == ia);
  BOOST_TEST(error_name(f.rpc.call(
                 kDs, "create",
                 {{"client_token", opt(nullptr)},
                  {"create_spec",
                   {{"STRUCTURE", {{"other", {{"library_item_id", opt(kItemA)}}}}}}}})) == ia);
  BOOST_TEST(error_name(f.rpc.call(
                 kDs, "create",
                 {{"client_token", opt(nullptr)},
                  {"create_spec", {{"STRUCTURE", {{kModel, {{"library_item_id", kItemA}}}}}}}})) ==
             ia);
  // No security context: unauthenticated.
  json anon = f.rpc.envelope(kDs, "list", {{"library_item_id", opt(nullptr)}}, nullptr);
  BOOST_TEST(error_name(f.rpc.raw(anon.dump())) == "com.vmware.vapi.std.errors.unauthenticated");
  // The session still serves well-formed calls.
  BOOST_TEST(output(f.rpc.call(kDs, "get", {{"download_session_id", id}})).is_object());
}

BOOST_AUTO_TEST_CASE(store_faults_and_variants_act_on_the_json_rpc_binding_too) {
  {
    RpcFx f({"cancel-stays-active"});
    const std::string id = output(f.rpc.create(kItemA)).get<std::string>();
    BOOST_TEST(output(f.rpc.call(kDs, "cancel", {{"download_session_id", id}})).is_null());
    BOOST_TEST(output(f.rpc.call(kDs, "get",
                                 {{"download_session_id", id}}))["STRUCTURE"][kModel]["state"] ==
               opt("ACTIVE"));
  }
  {
    // The serializer writes .sssZ whatever form the service chose (datetime-form=offset).
    RpcFx f({}, {{"datetime-form", "offset"}});
    const std::string id = output(f.rpc.create(kItemA)).get<std::string>();
    const json m =
        output(f.rpc.call(kDs, "get", {{"download_session_id", id}}))["STRUCTURE"][kModel];
    const std::string t = m["expiration_time"]["OPTIONAL"];
    BOOST_TEST(t.back() == 'Z');
    BOOST_TEST(t.size() == 24u);
  }
  {
    RpcFx f({"wrong-success-status"});
    const std::string id = output(f.rpc.create(kItemA)).get<std::string>();
    BOOST_TEST(f.rpc.call(kDs, "delete", {{"download_session_id", id}}).status == 204);
  }
}

// Each rpc-* fault breaks exactly its own rule: a battery of the rules, by clause id.
namespace {
using Check = std::function<bool(RpcFx&)>;  // true: the rule holds
const std::map<std::string, Check>& rules() {
  static const std::map<std::string, Check> r = {
      {"jsonrpc.optional_wrapped",
       [](RpcFx& f) {
         auto id = output(f.rpc.create(kItemA)).get<std::string>();
         json m = output(f.rpc.call(kDs, "get", {{"download_session_id", id}}));
         json fields = m.contains("STRUCTURE") ? m["STRUCTURE"][kModel] : m;  // either way
         return fields.value("state", json()) == opt("ACTIVE");
       }},
      {"jsonrpc.structure_wrapped",
       [](RpcFx& f) {
         auto id = output(f.rpc.create(kItemA)).get<std::string>();
         return output(f.rpc.call(kDs, "get", {{"download_session_id", id}})).contains("STRUCTURE");
       }},
      {"jsonrpc.datetime_millis_z",
       [](RpcFx& f) {
         auto id = output(f.rpc.create(kItemA)).get<std::string>();
         json m = output(f.rpc.call(kDs, "get", {{"download_session_id", id}}));
         std::string t = m.dump();
         return t.find("+00:00") == std::string::npos && t.find(".000Z") != std::string::npos;
       }},
      {"jsonrpc.errors_at_http_200",
       [](RpcFx& f) {
         return f.rpc.call(kDs, "get", {{"download_session_id", kUnknownId}}).status == 200;
       }},
      {"jsonrpc.id_echoed",
       [](RpcFx& f) {
         Resp r = f.rpc.call(kDs, "list", {{"library_item_id", opt(nullptr)}});
         return r.j["id"] == "req-" + std::to_string(f.rpc.next_id);
       }},
      {"jsonrpc.void_output_null",
       [](RpcFx& f) {
         auto id = output(f.rpc.create(kItemA)).get<std::string>();
         return output(f.rpc.call(kDs, "cancel", {{"download_session_id", id}})).is_null();
       }},
      {"jsonrpc.rejects_wrong_version",
       [](RpcFx& f) {
         json e =
             f.rpc.envelope(kDs, "list", {{"library_item_id", opt(nullptr)}}, f.rpc.session_ctx());
         e["jsonrpc"] = "1.0";
         return rpc_code(f.rpc.raw(e.dump())) == -32600;
       }},
      {"jsonrpc.envelope",
       [](RpcFx& f) {
         return f.rpc.call(kDs, "list", {{"library_item_id", opt(nullptr)}}).j["jsonrpc"] == "2.0";
       }},
      {"jsonrpc.rejects_unknown_service",
       [](RpcFx& f) {
         return error_name(f.rpc.call("no.such.service", "get", json::object())) ==
                "com.vmware.vapi.std.errors.operation_not_found";
       }},
  };
  return r;
}
std::string broken(std::set<std::string> faults) {
  std::string out;
  for (const auto& [clause, holds] : rules()) {
    RpcFx f(faults);
    if (!holds(f)) out += (out.empty() ? "" : ", ") + clause;
  }
  return out.empty() ? "(none)" : out;
}
std::vector<std::string> rpc_faults() {
  std::vector<std::string> out;
  for (const auto& f : dsmock::fault_catalogue())
    if (f.binding == "jsonrpc") out.push_back(f.name);
  return out;
}
std::string clause_of(const std::string& fault) {
  for (const auto& f : dsmock::fault_catalogue())
    if (f.name == fault) return f.clause;
  return "";
}
}  // namespace

BOOST_AUTO_TEST_CASE(the_clean_mock_keeps_every_json_rpc_rule) {
  BOOST_TEST(broken({}) == "(none)");
  BOOST_TEST(rules().size() == rpc_faults().size());
}

BOOST_DATA_TEST_CASE(an_rpc_fault_breaks_exactly_its_rule, bdata::make(rpc_faults()), name) {
  BOOST_TEST(broken({name}) == clause_of(name));
}

BOOST_AUTO_TEST_SUITE_END()
