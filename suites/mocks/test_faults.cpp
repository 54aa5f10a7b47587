// Fault injection: every catalogued fault breaks exactly its clause.
//
// A battery of clause checks (one per clause id of the catalogue) runs against the clean mock
// (all hold) and against the mock with each fault (exactly the fault's clause fails). Explicit
// tests then pin the faulted behaviour each fault describes.
#include <boost/test/data/test_case.hpp>
#include <functional>
#include <map>
#include <thread>

#include "mock_client.hpp"

using namespace mt;
namespace bdata = boost::unit_test::data;

namespace {

constexpr long long kTimeout = 10000;  // battery session timeout (virtual ms)
constexpr long long kDelay = 3000;     // battery prepare delay (virtual ms)

dsmock::Options battery_opts(std::set<std::string> faults = {}) {
  dsmock::Options o = Mock::virtual_opts();
  o.session_timeout = std::chrono::milliseconds(kTimeout);
  o.prepare_delay = std::chrono::milliseconds(kDelay);
  o.faults = std::move(faults);
  return o;
}

struct Env {
  const MockFx& fx;
  Ds a(B b = B::Api) const { return fx.as_alice(b); }
  Ds bob(B b = B::Api) const { return fx.as_bob(b); }
};

std::string id_of(const Resp& r) {
  return r.v().is_string() ? r.v().get<std::string>() : "";
}

// clause id -> check; true = the clause holds. Checks avoid depending on other clauses.
const std::map<std::string, std::function<bool(const Env&)>>& clause_checks() {
  static const std::map<std::string, std::function<bool(const Env&)>> checks = {
      {"cancel.sets_canceled",
       [](const Env& e) {
         std::string id = e.a().make();
         return e.a().cancel(id).status == 204 && e.a().get(id).j["state"] == "CANCELED";
       }},
      {"cancel.requires_active",
       [](const Env& e) {
         std::string id = e.a().make();
         e.a().fail(id, "x");
         const json before = e.a().get(id).j["state"];
         Resp r = e.a().cancel(id);
         return r.status == 400 && r.error_type() == "NOT_ALLOWED_IN_CURRENT_STATE" &&
                e.a().get(id).j["state"] == before;
       }},
      {"fail.sets_error",
       [](const Env& e) {
         std::string id = e.a().make();
         return e.a().fail(id, "boom").status == 204 && e.a().get(id).j["state"] == "ERROR";
       }},
      {"fail.stores_message",
       [](const Env& e) {
         std::string id = e.a().make();
         e.a().fail(id, "boom");
         json m = e.a().get(id).j.value("error_message", json());
         return m.is_object() && m.value("default_message", "") == "boom" &&
                m.value("id", "") == "com.vmware.content.library.item.downloadsession.client_error";
       }},
      {"create.client_token_idempotent",
       [](const Env& e) {
         Resp r1 = e.a().create(kItemA, "tok"), r2 = e.a().create(kItemA, "tok");
         return r1.status == 201 && r2.status == 201 && id_of(r1) == id_of(r2) &&
                e.a().list().j.size() == 1u;
       }},
      {"keep_alive.extends_lease",
       [](const Env& e) {
         std::string id = e.a().make();
         std::string before = e.a().get(id).j["expiration_time"];
         e.fx.mock.advance(2000);
         bool ok = e.a().keep_alive(id).status == 204;
         std::string after = e.a().get(id).j["expiration_time"];
         return ok && after > before;
       }},
      {"lease.not_before_expiration",
       [](const Env& e) {
         std::string id = e.a().make();
         e.fx.mock.advance(kTimeout / 2 + 1);
         bool mid = e.a().get(id).status == 200;
         e.fx.mock.advance(kTimeout - (kTimeout / 2 + 1));  // exactly expiration_time
         return mid && e.a().get(id).status == 200 && contains(e.a().list().j, id);
       }},
      {"lease.expires_after_timeout",
       [](const Env& e) {
         std::string id = e.a().make();
         e.fx.mock.advance(kTimeout + 1);
         Resp d = e.a().del(id);  // not get: get's 404 is its own clause
         return !contains(e.a().list().j, id) && d.status == 404;
       }},
      {"delete.removes",
       [](const Env& e) {
         std::string id = e.a().make();
         int s = e.a().del(id).status;
         Resp k = e.a().keep_alive(id);
         return s >= 200 && s < 300 && !contains(e.a().list().j, id) && k.status == 404;
       }},
      {"get.requires_exists",
       [](const Env& e) {
         Resp r = e.a().get(kUnknownId);
         return r.status == 404 && r.error_type() == "NOT_FOUND";
       }},
      {"keep_alive.requires_active",
       [](const Env& e) {
         std::string id = e.a().make();
         e.a().fail(id, "x");
         Resp r = e.a().keep_alive(id);
         return r.status == 400 && r.error_type() == "NOT_ALLOWED_IN_CURRENT_STATE";
       }},
      {"list.owner_only",
       [](const Env& e) {
         std::string id = e.a().make();
         std::string bobs = e.bob().make();
         json l = e.bob().list().j;
         return !contains(l, id) && contains(l, bobs) && !contains(e.a().list().j, bobs);
       }},
      {"list.filter_by_item",
       [](const Env& e) {
         std::string a = e.a().make(kItemA), b = e.a().make(kItemB);
         json l = e.a().list(kItemA).j;
         return contains(l, a) && !contains(l, b) && e.a().list(kUnknownItem).status == 404;
       }},
      {"create.requires_item_exists",
       [](const Env& e) {
         Resp r = e.a().create(kUnknownItem);
         return r.status == 404 && r.error_type() == "NOT_FOUND" && e.a().list().j.empty();
       }},
      {"keep_alive.sets_progress",
       [](const Env& e) {
         std::string id = e.a().make();
         e.a().keep_alive(id, json{{"progress", 42}});
         return e.a().get(id).j["client_progress"] == 42;
       }},
      {"model.datetime_format",
       [](const Env& e) {
         std::string id = e.a().make();
         return is_datetime(e.a().get(id).j["expiration_time"]) &&
                is_datetime(e.a(B::Rest).get(id).v()["expiration_time"]);
       }},
      {"binding.success_status",
       [](const Env& e) {
         bool ok = true;
         for (B b : kBindings) {
           Ds ds = e.a(b);
           Resp c = ds.create(kItemA);
           std::string id = id_of(c);
           ok = ok && c.status == ds.ok_create() && ds.get(id).status == 200 &&
                ds.list().status == 200 && ds.keep_alive(id).status == ds.ok_void() &&
                ds.file_list(id).status == 200 && ds.cancel(id).status == ds.ok_void() &&
                ds.del(id).status == ds.ok_void();
         }
         return ok;
       }},
      {"auth.requires_session",
       [](const Env& e) {
         for (B b : kBindings) {
           for (const std::string& t : {std::string(), std::string("bogus")}) {
             Resp r = e.fx.http().send("GET", Ds::sessions(b), "",
                                       t.empty() ? httplib::Headers{} : auth(t), b);
             if (r.status != 401 || r.error_type() != "UNAUTHENTICATED") return false;
           }
         }
         return true;
       }},
      {"create.client_token_concurrent",
       [](const Env& e) {
         // Only meaningful where sequential replays are idempotent (its own clause).
         if (id_of(e.a().create(kItemA, "seq")) != id_of(e.a().create(kItemA, "seq"))) return true;
         e.fx.mock.reset();
         std::vector<std::string> ids(4);
         std::vector<std::thread> ts;
         for (int i = 0; i < 4; ++i)
           ts.emplace_back([&, i] { ids[i] = id_of(e.a().create(kItemA, "race")); });
         for (auto& t : ts)
           t.join();
         for (const auto& id : ids)
           if (id.empty() || id != ids[0]) return false;
         return e.a().list().j.size() == 1u;
       }},
      {"file.prepare.completes",
       [](const Env& e) {
         std::string id = e.a().make(kItemB);
         e.a().file_prepare(id, "tools.iso");
         e.fx.mock.advance(kDelay);
         Resp g = e.a().file_get(id, "tools.iso");
         if (g.j["status"] != "PREPARED") return false;
         return e.fx.http().get(uri_path(g.j["download_endpoint"]["uri"])).body.size() == 32768u;
       }},
      {"file.get.requires_known_file",
       [](const Env& e) {
         std::string id = e.a().make(kItemB);
         Resp r = e.a().file_get(id, "nope.bin");
         return r.status == 400 && r.error_type() == "INVALID_ARGUMENT";
       }},
  };
  return checks;
}

// The clauses that fail on a mock with the given faults.
std::set<std::string> failing_clauses(const std::set<std::string>& faults) {
  MockFx fx(battery_opts(faults));
  Env env{fx};
  std::set<std::string> failing;
  for (const auto& [clause, check] : clause_checks()) {
    fx.mock.reset();
    if (!check(env)) failing.insert(clause);
  }
  return failing;
}

// The faults of every binding: the battery runs on /api (the JSON-RPC faults are checked in
// test_jsonrpc.cpp).
std::vector<std::string> fault_names() {
  std::vector<std::string> names;
  for (const auto& f : dsmock::fault_catalogue())
    if (f.binding.empty() && !f.race) names.push_back(f.name);
  return names;
}

std::vector<std::string> race_names() {
  std::vector<std::string> names;
  for (const auto& f : dsmock::fault_catalogue())
    if (f.race) names.push_back(f.name);
  return names;
}

const dsmock::FaultInfo& fault(const std::string& name) {
  for (const auto& f : dsmock::fault_catalogue())
    if (f.name == name) return f;
  throw std::logic_error("no fault " + name);
}

std::string join(const std::set<std::string>& s) {
  std::string out;
  for (const auto& e : s)
    out += (out.empty() ? "" : ", ") + e;
  return out.empty() ? "(none)" : out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(faults)

BOOST_AUTO_TEST_CASE(catalogue) {
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"cancel-stays-active", "cancel.sets_canceled"},
      {"cancel-any-state", "cancel.requires_active"},
      {"fail-sets-canceled", "fail.sets_error"},
      {"fail-loses-message", "fail.stores_message"},
      {"client-token-ignored", "create.client_token_idempotent"},
      {"keepalive-no-extend", "keep_alive.extends_lease"},
      {"early-expiry", "lease.not_before_expiration"},
      {"never-expire", "lease.expires_after_timeout"},
      {"delete-noop", "delete.removes"},
      {"unknown-id-500", "get.requires_exists"},
      {"wrong-error-type", "keep_alive.requires_active"},
      {"list-shows-others", "list.owner_only"},
      {"list-filter-ignored", "list.filter_by_item"},
      {"create-unknown-item-ok", "create.requires_item_exists"},
      {"keepalive-drops-progress", "keep_alive.sets_progress"},
      {"bad-datetime", "model.datetime_format"},
      {"wrong-success-status", "binding.success_status"},
      {"no-auth", "auth.requires_session"},
      {"token-race", "create.client_token_concurrent"},
      {"file-prepare-stuck", "file.prepare.completes"},
      {"file-unknown-name-ok", "file.get.requires_known_file"},
      {"rpc-bare-optional", "jsonrpc.optional_wrapped"},
      {"rpc-unwrapped-structure", "jsonrpc.structure_wrapped"},
      {"rpc-datetime-offset", "jsonrpc.datetime_millis_z"},
      {"rpc-error-http-status", "jsonrpc.errors_at_http_200"},
      {"rpc-id-not-echoed", "jsonrpc.id_echoed"},
      {"rpc-void-empty-object", "jsonrpc.void_output_null"},
      {"rpc-any-version", "jsonrpc.rejects_wrong_version"},
      {"rpc-no-version", "jsonrpc.envelope"},
      {"rpc-unknown-service-protocol-error", "jsonrpc.rejects_unknown_service"},
      {"keepalive-cancel-race", "cancel.sets_canceled"},
      {"delete-get-race", "delete.removes"},
      {"progress-lost-update", "keep_alive.sets_progress"},
  };
  const auto& cat = dsmock::fault_catalogue();
  BOOST_TEST_REQUIRE(cat.size() == expected.size());
  std::size_t all_bindings = 0;
  for (std::size_t i = 0; i < cat.size(); ++i) {
    BOOST_TEST(cat[i].name == expected[i].first);
    BOOST_TEST(cat[i].clause == expected[i].second);
    BOOST_TEST(!cat[i].description.empty());
    // The JSON-RPC faults act on that binding only (their battery: test_jsonrpc.cpp).
    BOOST_TEST(cat[i].binding == (cat[i].name.rfind("rpc-", 0) == 0 ? "jsonrpc" : ""));
    // The races: only concurrent calls hit them (harness: conformance run --parallel).
    const std::set<std::string> races = {"keepalive-cancel-race", "delete-get-race",
                                         "progress-lost-update"};
    BOOST_TEST(cat[i].race == (races.count(cat[i].name) > 0));
    if (!cat[i].binding.empty() || cat[i].race) continue;
    ++all_bindings;
    BOOST_TEST(clause_checks().count(cat[i].clause) == 1u);
  }
  BOOST_TEST(clause_checks().size() == all_bindings);
}

BOOST_AUTO_TEST_CASE(clean_mock_satisfies_every_clause) {
  BOOST_TEST(join(failing_clauses({})) == "(none)");
}

BOOST_DATA_TEST_CASE(fault_breaks_exactly_its_clause, bdata::make(fault_names()), name) {
  BOOST_TEST(join(failing_clauses({name})) == fault(name).clause);
}

// A race breaks nothing a sequential client sees (its clause fails under concurrency only:
// suites/harness/cli/test_parallel.sh).
BOOST_DATA_TEST_CASE(race_fault_breaks_nothing_sequentially, bdata::make(race_names()), name) {
  BOOST_TEST(join(failing_clauses({name})) == "(none)");
}

// --- the faulted behaviour, as each fault describes it ------------------------------------

namespace {
struct Faulted : MockFx {
  explicit Faulted(const std::string& fault) : MockFx(battery_opts({fault})) {}
};
}  // namespace

BOOST_AUTO_TEST_CASE(cancel_stays_active) {
  Faulted fx("cancel-stays-active");
  for (B b : kBindings) {
    Ds ds = fx.as_alice(b);
    std::string id = ds.make();
    BOOST_TEST(ds.cancel(id).status == ds.ok_void());
    BOOST_TEST(ds.get(id).v()["state"] == "ACTIVE");
  }
}

BOOST_AUTO_TEST_CASE(cancel_any_state) {
  Faulted fx("cancel-any-state");
  Ds ds = fx.as_alice(B::Api);
  std::string failed = ds.make(), canceled = ds.make();
  ds.fail(failed, "x");
  BOOST_TEST(ds.cancel(failed).status == 204);
  BOOST_TEST(ds.get(failed).j["state"] == "CANCELED");
  BOOST_TEST(ds.cancel(canceled).status == 204);
  BOOST_TEST(ds.cancel(canceled).status == 204);
  BOOST_TEST(ds.get(canceled).j["state"] == "CANCELED");
}

BOOST_AUTO_TEST_CASE(fail_sets_canceled_and_fail_loses_message) {
  {
    Faulted fx("fail-sets-canceled");
    Ds ds = fx.as_alice(B::Api);
    std::string id = ds.make();
    BOOST_TEST(ds.fail(id, "m").status == 204);
    BOOST_TEST(ds.get(id).j["state"] == "CANCELED");
    BOOST_TEST(ds.get(id).j["error_message"]["default_message"] == "m");
  }
  {
    Faulted fx("fail-loses-message");
    Ds ds = fx.as_alice(B::Rest);
    std::string id = ds.make();
    BOOST_TEST(ds.fail(id, "m").status == 200);
    BOOST_TEST(ds.get(id).v()["state"] == "ERROR");
    BOOST_TEST(!ds.get(id).v().contains("error_message"));
  }
}

BOOST_AUTO_TEST_CASE(client_token_ignored) {
  Faulted fx("client-token-ignored");
  for (B b : kBindings) {
    Ds ds = fx.as_alice(b);
    BOOST_TEST(id_of(ds.create(kItemA, "t")) != id_of(ds.create(kItemA, "t")));
  }
}

BOOST_AUTO_TEST_CASE(keepalive_no_extend_and_drops_progress) {
  {
    Faulted fx("keepalive-no-extend");
    Ds ds = fx.as_alice(B::Api);
    std::string id = ds.make();
    fx.mock.advance(4000);
    BOOST_TEST(ds.keep_alive(id, json{{"progress", 3}}).status == 204);
    BOOST_TEST(ds.get(id).j["expiration_time"] == "2030-01-01T00:00:10.000Z");
    BOOST_TEST(ds.get(id).j["client_progress"] == 3);
  }
  {
    Faulted fx("keepalive-drops-progress");
    Ds ds = fx.as_alice(B::Api);
    std::string id = ds.make();
    fx.mock.advance(4000);
    BOOST_TEST(ds.keep_alive(id, json{{"progress", 3}}).status == 204);
    BOOST_TEST(ds.get(id).j["client_progress"] == 0);
    BOOST_TEST(ds.get(id).j["expiration_time"] == "2030-01-01T00:00:14.000Z");
  }
}

BOOST_AUTO_TEST_CASE(early_expiry_and_never_expire) {
  {
    Faulted fx("early-expiry");
    Ds ds = fx.as_alice(B::Api);
    std::string id = ds.make();
    BOOST_TEST(ds.get(id).j["expiration_time"] == "2030-01-01T00:00:10.000Z");
    fx.mock.advance(kTimeout / 2);
    BOOST_TEST(ds.get(id).status == 200);
    fx.mock.advance(1);
    check_error(ds.get(id), B::Api, 404, "NOT_FOUND");  // gone before expiration_time
  }
  {
    Faulted fx("never-expire");
    Ds ds = fx.as_alice(B::Api);
    std::string id = ds.make();
    fx.mock.advance(kTimeout * 1000);
    BOOST_TEST(ds.get(id).status == 200);
  }
}

BOOST_AUTO_TEST_CASE(delete_noop) {
  Faulted fx("delete-noop");
  for (B b : kBindings) {
    Ds ds = fx.as_alice(b);
    std::string id = ds.make();
    BOOST_TEST(ds.del(id).status == ds.ok_void());
    BOOST_TEST(ds.get(id).status == 200);
  }
}

BOOST_AUTO_TEST_CASE(unknown_id_500) {
  Faulted fx("unknown-id-500");
  for (B b : kBindings) {
    Ds ds = fx.as_alice(b);
    check_error(ds.get(kUnknownId), b, 500, "INTERNAL_SERVER_ERROR");
    std::string id = ds.make();
    ds.del(id);
    check_error(ds.get(id), b, 500, "INTERNAL_SERVER_ERROR");
    check_error(ds.keep_alive(id), b, 404, "NOT_FOUND");  // only get is affected
  }
}

BOOST_AUTO_TEST_CASE(wrong_error_type) {
  Faulted fx("wrong-error-type");
  for (B b : kBindings) {
    Ds ds = fx.as_alice(b);
    std::string id = ds.make();
    ds.cancel(id);
    check_error(ds.keep_alive(id), b, 400, "INVALID_ARGUMENT");
    check_error(ds.cancel(id), b, 400, "NOT_ALLOWED_IN_CURRENT_STATE");
  }
}

BOOST_AUTO_TEST_CASE(list_faults) {
  {
    Faulted fx("list-shows-others");
    std::string id = fx.as_alice(B::Api).make();
    BOOST_TEST(contains(fx.as_bob(B::Api).list().j, id));
    check_error(fx.as_bob(B::Api).get(id), B::Api, 404, "NOT_FOUND");
  }
  {
    Faulted fx("list-filter-ignored");
    Ds ds = fx.as_alice(B::Rest);
    std::string a = ds.make(kItemA), b = ds.make(kItemB);
    BOOST_TEST(ds.list(kItemA).v().size() == 2u);
    check_error(ds.list(kUnknownItem), B::Rest, 404, "NOT_FOUND");
    check_error(fx.as_bob(B::Rest).get(a), B::Rest, 404, "NOT_FOUND");
  }
}

BOOST_AUTO_TEST_CASE(create_unknown_item_ok) {
  Faulted fx("create-unknown-item-ok");
  for (B b : kBindings) {
    Ds ds = fx.as_alice(b);
    Resp r = ds.create(kUnknownItem);
    BOOST_TEST(r.status == ds.ok_create());
    BOOST_TEST(ds.get(id_of(r)).v()["library_item_id"] == kUnknownItem);
    check_error(ds.create_raw("{}"), b, 400, "INVALID_ARGUMENT");
  }
}

BOOST_AUTO_TEST_CASE(bad_datetime) {
  Faulted fx("bad-datetime");
  for (B b : kBindings) {
    Ds ds = fx.as_alice(b);
    std::string id = ds.make();
    BOOST_TEST(ds.get(id).v()["expiration_time"] == "2030-01-01 00:00:10");
  }
  BOOST_TEST(fx.mock.now() == "2030-01-01T00:00:00.000Z");  // the clock itself is fine
}

BOOST_AUTO_TEST_CASE(wrong_success_status) {
  Faulted fx("wrong-success-status");
  Ds api = fx.as_alice(B::Api), rest = fx.as_alice(B::Rest);
  BOOST_TEST(api.del(api.make()).status == 200);
  BOOST_TEST(rest.del(rest.make()).status == 204);
  BOOST_TEST(api.create(kItemA).status == 201);
  BOOST_TEST(api.keep_alive(api.make()).status == 204);
}

BOOST_AUTO_TEST_CASE(no_auth) {
  Faulted fx("no-auth");
  for (B b : kBindings) {
    Resp r =
        fx.http().send("POST", Ds::sessions(b),
                       b == B::Api ? json{{"library_item_id", kItemA}}.dump()
                                   : json{{"create_spec", {{"library_item_id", kItemA}}}}.dump(),
                       {}, b);
    BOOST_TEST(r.status == (b == B::Api ? 201 : 200));
    // The session belongs to alice.
    BOOST_TEST(fx.as_alice(b).get(id_of(r)).status == 200);
    check_error(fx.as_bob(b).get(id_of(r)), b, 404, "NOT_FOUND");
    // An unknown token is still refused.
    check_error(Ds(fx.mock.port, b, "bogus").list(), b, 401, "UNAUTHENTICATED");
  }
}

BOOST_AUTO_TEST_CASE(token_race) {
  Faulted fx("token-race");
  Ds ds = fx.as_alice(B::Api);
  // Sequential creates still behave.
  BOOST_TEST(id_of(ds.create(kItemA, "seq")) == id_of(ds.create(kItemA, "seq")));
  std::vector<std::string> ids(2);
  std::thread t1([&] { ids[0] = id_of(ds.create(kItemA, "conc")); });
  std::thread t2([&] { ids[1] = id_of(ds.create(kItemA, "conc")); });
  t1.join();
  t2.join();
  BOOST_TEST(ids[0] != ids[1]);
  BOOST_TEST(ds.list().j.size() == 3u);
}

BOOST_AUTO_TEST_CASE(file_faults) {
  {
    Faulted fx("file-prepare-stuck");
    Ds ds = fx.as_alice(B::Api);
    std::string id = ds.make(kItemB);
    ds.file_prepare(id, "tools.iso");
    fx.mock.advance(kDelay * 3);  // well past the delay, within the session timeout
    BOOST_TEST(ds.file_get(id, "tools.iso").j["status"] == "PREPARE_REQUESTED");
  }
  {
    Faulted fx("file-unknown-name-ok");
    for (B b : kBindings) {
      Ds ds = fx.as_alice(b);
      std::string id = ds.make(kItemB);
      Resp r = ds.file_get(id, "ghost.vmdk");
      BOOST_TEST(r.status == 200);
      BOOST_TEST(
          r.v() ==
          (json{{"name", "ghost.vmdk"}, {"bytes_transferred", 0}, {"status", "UNPREPARED"}}));
      check_error(ds.file_prepare(id, "ghost.vmdk"), b, 400, "INVALID_ARGUMENT");
    }
  }
}

BOOST_AUTO_TEST_CASE(faults_combine) {
  MockFx fx(battery_opts({"no-auth", "bad-datetime"}));
  Resp r = fx.http().post(Ds::sessions(B::Api), json{{"library_item_id", kItemA}}.dump());
  BOOST_TEST(r.status == 201);
  BOOST_TEST(fx.as_alice(B::Api).get(id_of(r)).j["expiration_time"] == "2030-01-01 00:00:10");
}

BOOST_AUTO_TEST_SUITE_END()
