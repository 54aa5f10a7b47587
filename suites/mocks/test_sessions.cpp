// DownloadSession operations on both bindings: create/get/list/keep_alive/cancel/fail/delete,
// their documented errors, user isolation and client_token idempotency.
#include <boost/test/data/test_case.hpp>

#include <thread>

#include "mock_client.hpp"

using namespace mt;
namespace bdata = boost::unit_test::data;

BOOST_AUTO_TEST_SUITE(sessions)

BOOST_DATA_TEST_CASE(create_and_get, bdata::make(kBindings), b) {
  MockFx fx;
  Ds ds = fx.as_alice(b);
  Resp c = ds.create(kItemA);
  BOOST_TEST(c.status == ds.ok_create());
  BOOST_TEST_REQUIRE(is_session_id(c.v()));
  if (b == B::Api) BOOST_TEST(c.j.is_string());
  if (b == B::Rest) BOOST_TEST((c.j.is_object() && c.j.size() == 1u));
  const std::string id = c.v().get<std::string>();

  Resp g = ds.get(id);
  BOOST_TEST(g.status == 200);
  const json& s = g.v();
  BOOST_TEST(s.size() == 6u);  // no error_message, no nulls
  BOOST_TEST(s["id"] == id);
  BOOST_TEST(s["library_item_id"] == kItemA);
  BOOST_TEST(s["library_item_content_version"] == "2");
  BOOST_TEST(s["client_progress"] == 0);
  BOOST_TEST(s["state"] == "ACTIVE");
  BOOST_TEST(s["expiration_time"] == "2030-01-01T00:05:00.000Z");
  BOOST_TEST(g.headers.find("Content-Type")->second == "application/json");

  // Other items carry their own content version.
  const std::string id_c = ds.make(kItemC);
  BOOST_TEST(ds.get(id_c).v()["library_item_content_version"] == "7");
  BOOST_TEST(id_c != id);
}

BOOST_DATA_TEST_CASE(list_and_filter, bdata::make(kBindings), b) {
  MockFx fx;
  Ds ds = fx.as_alice(b);
  Resp empty = ds.list();
  BOOST_TEST(empty.status == 200);
  BOOST_TEST((empty.v().is_array() && empty.v().empty()));
  const std::string a1 = ds.make(kItemA), a2 = ds.make(kItemA), bb = ds.make(kItemB);
  Resp all = ds.list();
  BOOST_TEST(all.status == 200);
  BOOST_TEST(all.v().size() == 3u);
  for (const auto& id : {a1, a2, bb})
    BOOST_TEST(contains(all.v(), id));
  Resp fa = ds.list(kItemA);
  BOOST_TEST(fa.status == 200);
  BOOST_TEST(fa.v().size() == 2u);
  BOOST_TEST((contains(fa.v(), a1) && contains(fa.v(), a2)));
  Resp fc = ds.list(kItemC);
  BOOST_TEST(fc.status == 200);
  BOOST_TEST(fc.v().empty());
  check_error(ds.list(kUnknownItem), b, 404, "NOT_FOUND");
}

BOOST_DATA_TEST_CASE(create_errors, bdata::make(kBindings), b) {
  MockFx fx;
  Ds ds = fx.as_alice(b);
  check_error(ds.create(kUnknownItem), b, 404, "NOT_FOUND");
  auto body = [&](json spec) {
    return b == B::Api ? spec.dump() : json{{"create_spec", spec}}.dump();
  };
  check_error(ds.create_raw(body(json::object())), b, 400, "INVALID_ARGUMENT");
  check_error(ds.create_raw(body({{"library_item_id", 42}})), b, 400, "INVALID_ARGUMENT");
  check_error(ds.create_raw(body({{"library_item_id", nullptr}})), b, 400, "INVALID_ARGUMENT");
  check_error(ds.create_raw(body({{"library_item_id", json::array({kItemA})}})), b, 400,
              "INVALID_ARGUMENT");
  check_error(ds.create_raw(""), b, 400, "INVALID_ARGUMENT");  // empty body = {}
  if (b == B::Rest) {
    check_error(ds.create_raw(json{{"library_item_id", kItemA}}.dump()), b, 400,
                "INVALID_ARGUMENT");  // missing create_spec
    check_error(ds.create_raw(json{{"create_spec", "x"}}.dump()), b, 400, "INVALID_ARGUMENT");
    check_error(
        ds.create_raw(
            json{{"create_spec", {{"library_item_id", kItemA}}}, {"client_token", 5}}.dump()),
        b, 400, "INVALID_REQUEST");
  }
  check_error(ds.create_raw("{\"library_item_id\":"), b, 400, "INVALID_REQUEST");
  check_error(ds.create_raw("[1,2]"), b, 400, "INVALID_REQUEST");
  // Fields other than library_item_id are ignored.
  Resp extra = ds.create_raw(
      body({{"library_item_id", kItemB}, {"state", "ERROR"}, {"client_progress", 50}}));
  BOOST_TEST(extra.status == ds.ok_create());
  BOOST_TEST(ds.get(extra.v().get<std::string>()).v()["state"] == "ACTIVE");
  BOOST_TEST(ds.list().v().size() == 1u);
}

BOOST_DATA_TEST_CASE(keep_alive_progress, bdata::make(kBindings), b) {
  MockFx fx;
  Ds ds = fx.as_alice(b);
  const std::string id = ds.make();
  Resp k = ds.keep_alive(id);
  BOOST_TEST(k.status == ds.ok_void());
  BOOST_TEST(k.body.empty());
  BOOST_TEST(ds.keep_alive(id, json::object()).status == ds.ok_void());
  BOOST_TEST(ds.keep_alive(id, json{{"progress", 42}}).status == ds.ok_void());
  BOOST_TEST(ds.get(id).v()["client_progress"] == 42);
  // Stored as sent: lower values and the bounds are accepted.
  BOOST_TEST(ds.keep_alive(id, json{{"progress", 7}}).status == ds.ok_void());
  BOOST_TEST(ds.get(id).v()["client_progress"] == 7);
  BOOST_TEST(ds.keep_alive(id, json{{"progress", 100}}).status == ds.ok_void());
  BOOST_TEST(ds.keep_alive(id, json{{"progress", 0}}).status == ds.ok_void());
  BOOST_TEST(ds.get(id).v()["client_progress"] == 0);
  BOOST_TEST(ds.keep_alive(id, json{{"progress", nullptr}}).status == ds.ok_void());
  // Out of range: INVALID_ARGUMENT; not an integer: INVALID_REQUEST. Progress unchanged.
  for (json p : {json(101), json(-1), json(1000000), json(18446744073709551615ull)})
    check_error(ds.keep_alive(id, json{{"progress", p}}), b, 400, "INVALID_ARGUMENT");
  for (json p : {json("50"), json(1.5), json(true), json::array(), json::object()})
    check_error(ds.keep_alive(id, json{{"progress", p}}), b, 400, "INVALID_REQUEST");
  check_error(ds.keep_alive_raw(id, "{\"progress\":"), b, 400, "INVALID_REQUEST");
  check_error(ds.keep_alive_raw(id, "17"), b, 400, "INVALID_REQUEST");
  BOOST_TEST(ds.get(id).v()["client_progress"] == 0);
  check_error(ds.keep_alive(kUnknownId), b, 404, "NOT_FOUND");
}

BOOST_DATA_TEST_CASE(keep_alive_extends_expiration, bdata::make(kBindings), b) {
  MockFx fx;
  Ds ds = fx.as_alice(b);
  const std::string id = ds.make();
  BOOST_TEST(ds.get(id).v()["expiration_time"] == "2030-01-01T00:05:00.000Z");
  BOOST_TEST(fx.mock.advance(61500).status == 200);
  BOOST_TEST(ds.get(id).v()["expiration_time"] == "2030-01-01T00:05:00.000Z");  // get: no move
  BOOST_TEST(ds.keep_alive(id, json{{"progress", 10}}).status == ds.ok_void());
  BOOST_TEST(ds.get(id).v()["expiration_time"] == "2030-01-01T00:06:01.500Z");
}

BOOST_DATA_TEST_CASE(cancel_flow, bdata::make(kBindings), b) {
  MockFx fx;
  Ds ds = fx.as_alice(b);
  const std::string id = ds.make();
  Resp c = ds.cancel(id);
  BOOST_TEST(c.status == ds.ok_void());
  BOOST_TEST(c.body.empty());
  Resp g = ds.get(id);
  BOOST_TEST(g.v()["state"] == "CANCELED");
  BOOST_TEST(!g.v().contains("error_message"));
  check_error(ds.cancel(id), b, 400, "NOT_ALLOWED_IN_CURRENT_STATE");
  check_error(ds.keep_alive(id), b, 400, "NOT_ALLOWED_IN_CURRENT_STATE");
  check_error(ds.keep_alive(id, json{{"progress", 500}}), b, 400, "NOT_ALLOWED_IN_CURRENT_STATE");
  check_error(ds.fail(id, "late"), b, 400, "NOT_ALLOWED_IN_CURRENT_STATE");
  BOOST_TEST(ds.get(id).v()["state"] == "CANCELED");
  BOOST_TEST(contains(ds.list().v(), id));
  BOOST_TEST(ds.del(id).status == ds.ok_void());
  check_error(ds.get(id), b, 404, "NOT_FOUND");
  check_error(ds.cancel(kUnknownId), b, 404, "NOT_FOUND");
}

BOOST_DATA_TEST_CASE(fail_flow, bdata::make(kBindings), b) {
  MockFx fx;
  Ds ds = fx.as_alice(b);
  const std::string id = ds.make();
  check_error(ds.fail_raw(id, ""), b, 400, "INVALID_REQUEST");
  check_error(ds.fail_raw(id, "{}"), b, 400, "INVALID_REQUEST");
  check_error(ds.fail_raw(id, R"({"client_error_message": 5})"), b, 400, "INVALID_REQUEST");
  check_error(ds.fail_raw(id, R"({"client_error_message": null})"), b, 400, "INVALID_REQUEST");
  check_error(ds.fail_raw(id, R"({"client_error_message": "x")"), b, 400, "INVALID_REQUEST");
  BOOST_TEST(ds.get(id).v()["state"] == "ACTIVE");
  Resp f = ds.fail(id, "disk full: é");
  BOOST_TEST(f.status == ds.ok_void());
  BOOST_TEST(f.body.empty());
  Resp g = ds.get(id);
  BOOST_TEST(g.v()["state"] == "ERROR");
  BOOST_TEST(g.v().size() == 7u);
  const json expected = {{"id", "com.vmware.content.library.item.downloadsession.client_error"},
                         {"default_message", "disk full: é"},
                         {"args", {"disk full: é"}}};
  BOOST_TEST(g.v()["error_message"] == expected);
  check_error(ds.fail(id, "again"), b, 400, "NOT_ALLOWED_IN_CURRENT_STATE");
  check_error(ds.cancel(id), b, 400, "NOT_ALLOWED_IN_CURRENT_STATE");
  check_error(ds.keep_alive(id), b, 400, "NOT_ALLOWED_IN_CURRENT_STATE");
  BOOST_TEST(ds.get(id).v()["error_message"]["default_message"] == "disk full: é");
  BOOST_TEST(ds.del(id).status == ds.ok_void());
  check_error(ds.fail(kUnknownId, "x"), b, 404, "NOT_FOUND");
}

BOOST_DATA_TEST_CASE(delete_flow, bdata::make(kBindings), b) {
  MockFx fx;
  Ds ds = fx.as_alice(b);
  const std::string id = ds.make(), other = ds.make();
  Resp d = ds.del(id);
  BOOST_TEST(d.status == ds.ok_void());
  BOOST_TEST(d.body.empty());
  check_error(ds.get(id), b, 404, "NOT_FOUND");
  check_error(ds.del(id), b, 404, "NOT_FOUND");
  check_error(ds.keep_alive(id), b, 404, "NOT_FOUND");
  check_error(ds.file_list(id), b, 404, "NOT_FOUND");
  Resp l = ds.list();
  BOOST_TEST(!contains(l.v(), id));
  BOOST_TEST(contains(l.v(), other));
}

BOOST_DATA_TEST_CASE(unknown_ids, bdata::make(kBindings), b) {
  MockFx fx;
  Ds ds = fx.as_alice(b);
  for (const std::string& id :
       {kUnknownId, std::string("x"), std::string("a:b:c"), std::string("id:abc")}) {
    BOOST_TEST_CONTEXT(id) {
      check_error(ds.get(id), b, 404, "NOT_FOUND");
      check_error(ds.keep_alive(id), b, 404, "NOT_FOUND");
      check_error(ds.cancel(id), b, 404, "NOT_FOUND");
      check_error(ds.fail(id, "m"), b, 404, "NOT_FOUND");
      check_error(ds.del(id), b, 404, "NOT_FOUND");
    }
  }
}

BOOST_DATA_TEST_CASE(user_isolation, bdata::make(kBindings), b) {
  MockFx fx;
  Ds alice = fx.as_alice(b), bob = fx.as_bob(b);
  const std::string id = alice.make();
  const std::string bobs = bob.make(kItemB);
  BOOST_TEST(!contains(bob.list().v(), id));
  BOOST_TEST(bob.list().v().size() == 1u);
  BOOST_TEST(!contains(bob.list(kItemA).v(), id));
  BOOST_TEST(!contains(alice.list().v(), bobs));
  check_error(bob.get(id), b, 404, "NOT_FOUND");
  check_error(bob.keep_alive(id, json{{"progress", 50}}), b, 404, "NOT_FOUND");
  check_error(bob.cancel(id), b, 404, "NOT_FOUND");
  check_error(bob.fail(id, "x"), b, 404, "NOT_FOUND");
  check_error(bob.file_list(id), b, 404, "NOT_FOUND");
  check_error(bob.file_get(id, "photon-5.ovf"), b, 404, "NOT_FOUND");
  check_error(bob.file_prepare(id, "photon-5.ovf"), b, 404, "NOT_FOUND");
  check_error(bob.del(id), b, 404, "NOT_FOUND");
  Resp g = alice.get(id);
  BOOST_TEST(g.status == 200);
  BOOST_TEST(g.v()["state"] == "ACTIVE");
  BOOST_TEST(g.v()["client_progress"] == 0);
  BOOST_TEST(alice.file_get(id, "photon-5.ovf").v()["status"] == "UNPREPARED");
}

// The /rest id is everything after the first "id:"; a bare id is not a /rest route.
BOOST_AUTO_TEST_CASE(rest_id_prefix) {
  MockFx fx;
  Ds ds = fx.as_alice(B::Rest);
  const std::string id = ds.make();
  BOOST_TEST(id.find(':') != std::string::npos);
  BOOST_TEST(fx.http().get(Ds::sessions(B::Rest) + "/id:" + id, auth(fx.alice), B::Rest).status ==
             200);
  check_error(fx.http().get(Ds::sessions(B::Rest) + "/" + id, auth(fx.alice), B::Rest), B::Rest,
              404, "NOT_FOUND");
  check_error(fx.http().get(Ds::sessions(B::Rest) + "/id:", auth(fx.alice), B::Rest), B::Rest, 404,
              "NOT_FOUND");
  // Percent-encoded colons are decoded.
  std::string encoded = id;
  encoded.replace(encoded.find(':'), 1, "%3A");
  BOOST_TEST(
      fx.http().get(Ds::sessions(B::Rest) + "/id:" + encoded, auth(fx.alice), B::Rest).status ==
      200);
  BOOST_TEST(fx.http().get(Ds::sessions(B::Api) + "/" + encoded, auth(fx.alice)).status == 200);
}

BOOST_AUTO_TEST_CASE(bindings_share_state) {
  MockFx fx;
  Ds api = fx.as_alice(B::Api), rest = fx.as_alice(B::Rest);
  const std::string id = api.make();
  BOOST_TEST(rest.get(id).v() == api.get(id).v());
  BOOST_TEST(rest.cancel(id).status == 200);
  BOOST_TEST(api.get(id).v()["state"] == "CANCELED");
}

// --- client_token idempotency ------------------------------------------------------------

namespace {
std::vector<std::pair<std::string, std::function<Resp(const Ds&, const std::string&)>>>
api_transports() {
  const std::string spec = json{{"library_item_id", kItemA}}.dump();
  return {
      {"Client-Token header",
       [spec](const Ds& ds, const std::string& t) {
         return ds.create_raw(spec, {{"Client-Token", t}});
       }},
      {"client_token header",
       [spec](const Ds& ds, const std::string& t) {
         return ds.create_raw(spec, {{"client_token", t}});
       }},
      {"client_token query",
       [spec](const Ds& ds, const std::string& t) {
         return ds.create_raw(spec, {}, "client_token=" + enc(t));
       }},
  };
}
}  // namespace

BOOST_AUTO_TEST_CASE(client_token_api_transports) {
  MockFx fx;
  Ds alice = fx.as_alice(B::Api), bob = fx.as_bob(B::Api);
  int n = 0;
  for (const auto& [name, create] : api_transports()) {
    BOOST_TEST_CONTEXT(name) {
      const std::string token = "b8a2a2e3-2314-43cd-a871-6ede0f42975" + std::to_string(n++);
      Resp r1 = create(alice, token), r2 = create(alice, token);
      BOOST_TEST(r1.status == 201);
      BOOST_TEST(r2.status == 201);
      BOOST_TEST(r1.j == r2.j);
      // Per user: bob's identical token is a different session.
      Resp rb = create(bob, token);
      BOOST_TEST(rb.status == 201);
      BOOST_TEST(rb.j != r1.j);
      BOOST_TEST(create(bob, token).j == rb.j);
    }
  }
  BOOST_TEST(alice.list().v().size() == 3u);
  BOOST_TEST(bob.list().v().size() == 3u);
  // The transports share one token map.
  const std::string t = "shared-token";
  Resp h = api_transports()[0].second(alice, t);
  BOOST_TEST(api_transports()[1].second(alice, t).j == h.j);
  BOOST_TEST(api_transports()[2].second(alice, t).j == h.j);
  // Different tokens and no token: new sessions.
  BOOST_TEST(alice.create(kItemA, "other").j != h.j);
  BOOST_TEST(alice.create(kItemA).j != alice.create(kItemA).j);
}

BOOST_AUTO_TEST_CASE(client_token_rest_body) {
  MockFx fx;
  Ds alice = fx.as_alice(B::Rest), bob = fx.as_bob(B::Rest);
  Resp r1 = alice.create(kItemA, "tok-1"), r2 = alice.create(kItemA, "tok-1");
  BOOST_TEST(r1.status == 200);
  BOOST_TEST(r2.status == 200);
  BOOST_TEST(r1.v() == r2.v());
  Resp rb = bob.create(kItemA, "tok-1");
  BOOST_TEST(rb.v() != r1.v());
  BOOST_TEST(alice.list().v().size() == 1u);
  // The same map serves /api.
  BOOST_TEST(fx.as_alice(B::Api).create(kItemA, "tok-1").j == r1.v());
  // A replay returns the existing session even with a different spec.
  BOOST_TEST(alice.create(kItemB, "tok-1").v() == r1.v());
  BOOST_TEST(alice.list().v().size() == 1u);
}

BOOST_DATA_TEST_CASE(client_token_forgotten_after_delete_and_expiry, bdata::make(kBindings), b) {
  MockFx fx;
  Ds ds = fx.as_alice(b);
  Resp r1 = ds.create(kItemA, "tok");
  const std::string id1 = r1.v().get<std::string>();
  BOOST_TEST(ds.del(id1).status == ds.ok_void());
  Resp r2 = ds.create(kItemA, "tok");
  BOOST_TEST(r2.status == ds.ok_create());
  const std::string id2 = r2.v().get<std::string>();
  BOOST_TEST(id2 != id1);
  BOOST_TEST(ds.create(kItemA, "tok").v() == id2);
  // Canceled sessions still hold their token.
  BOOST_TEST(ds.cancel(id2).status == ds.ok_void());
  BOOST_TEST(ds.create(kItemA, "tok").v() == id2);
  BOOST_TEST(fx.mock.advance(300001).status == 200);
  const std::string id3 = ds.create(kItemA, "tok").v().get<std::string>();
  BOOST_TEST(id3 != id2);
  BOOST_TEST(ds.list().v() == json::array({id3}));
}

BOOST_AUTO_TEST_CASE(client_token_concurrent_creates_make_one_session) {
  MockFx fx;
  Ds ds = fx.as_alice(B::Api);
  for (int round = 0; round < 3; ++round) {
    const std::string token = "race-" + std::to_string(round);
    std::vector<std::string> ids(8);
    std::vector<std::thread> threads;
    for (int i = 0; i < 8; ++i)
      threads.emplace_back([&, i] {
        Resp r = ds.create(kItemA, token);
        ids[i] = r.j.is_string() ? r.j.get<std::string>() : "error " + std::to_string(r.status);
      });
    for (auto& t : threads)
      t.join();
    for (const auto& id : ids)
      BOOST_TEST(id == ids[0]);
  }
  BOOST_TEST(ds.list().v().size() == 3u);
}

BOOST_AUTO_TEST_SUITE_END()
