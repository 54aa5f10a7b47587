// Login/logout on both bindings, 401 on every API route, custom users.
#include <boost/test/data/test_case.hpp>

#include "mock_client.hpp"

using namespace mt;
namespace bdata = boost::unit_test::data;

BOOST_AUTO_TEST_SUITE(authn)

BOOST_AUTO_TEST_CASE(login_info_logout_api) {
  Mock m;
  Http h = m.http();
  Resp r = h.post("/api/session", "", basic("alice", "alice-pass"));
  BOOST_TEST(r.status == 201);
  BOOST_TEST_REQUIRE(r.j.is_string());
  const std::string token = r.j.get<std::string>();
  BOOST_TEST(!token.empty());

  Resp info = h.get("/api/session", auth(token));
  BOOST_TEST(info.status == 200);
  BOOST_TEST(info.j["user"] == "alice");
  BOOST_TEST(is_datetime(info.j["created_time"]));
  BOOST_TEST(is_datetime(info.j["last_accessed_time"]));

  Ds ds(m.port, B::Api, token);
  BOOST_TEST(ds.list().status == 200);

  Resp out = h.del("/api/session", auth(token));
  BOOST_TEST(out.status == 204);
  BOOST_TEST(out.body.empty());
  check_error(h.get("/api/session", auth(token)), B::Api, 401, "UNAUTHENTICATED");
  check_error(ds.list(), B::Api, 401, "UNAUTHENTICATED");
  check_error(h.del("/api/session", auth(token)), B::Api, 401, "UNAUTHENTICATED");
  check_error(h.del("/api/session"), B::Api, 401, "UNAUTHENTICATED");
  check_error(h.get("/api/session"), B::Api, 401, "UNAUTHENTICATED");
}

BOOST_AUTO_TEST_CASE(login_info_logout_rest) {
  Mock m;
  Http h = m.http();
  const std::string path = "/rest/com/vmware/cis/session";
  Resp r = h.post(path, "", basic("bob", "bob-pass"), B::Rest);
  BOOST_TEST(r.status == 200);
  BOOST_TEST_REQUIRE(r.v().is_string());
  const std::string token = r.v().get<std::string>();

  Resp info = h.post(path + "?~action=get", "", auth(token), B::Rest);
  BOOST_TEST(info.status == 200);
  BOOST_TEST(info.v()["user"] == "bob");
  BOOST_TEST(is_datetime(info.v()["created_time"]));
  BOOST_TEST(is_datetime(info.v()["last_accessed_time"]));

  // The token works on both bindings.
  BOOST_TEST(Ds(m.port, B::Api, token).list().status == 200);
  BOOST_TEST(Ds(m.port, B::Rest, token).list().status == 200);

  Resp out = h.del(path, auth(token), B::Rest);
  BOOST_TEST(out.status == 200);
  BOOST_TEST(out.body.empty());
  check_error(h.post(path + "?~action=get", "", auth(token), B::Rest), B::Rest, 401,
              "UNAUTHENTICATED");
  check_error(Ds(m.port, B::Rest, token).list(), B::Rest, 401, "UNAUTHENTICATED");
  check_error(h.del(path, auth(token), B::Rest), B::Rest, 401, "UNAUTHENTICATED");
}

BOOST_DATA_TEST_CASE(bad_credentials, bdata::make(kBindings), b) {
  Mock m;
  Http h = m.http();
  const std::string path = b == B::Api ? "/api/session" : "/rest/com/vmware/cis/session";
  const std::vector<httplib::Headers> bad = {
      {},
      basic("alice", "wrong"),
      basic("mallory", "alice-pass"),
      basic("alice", ""),
      {{"Authorization", "Bearer abc"}},
      {{"Authorization", "Basic !!!notbase64"}},
      {{"Authorization", "Basic " + std::string("bm8tY29sb24=")}},
      {{"Authorization", "Basic"}},
  };
  for (const auto& hdr : bad)
    check_error(h.post(path, "", hdr, b), b, 401, "UNAUTHENTICATED");
  // Passwords may contain colons; user names are case-sensitive.
  check_error(h.post(path, "", basic("Alice", "alice-pass"), b), b, 401, "UNAUTHENTICATED");
}

// Every download-session route (with a real session id) answers 401 in the binding's
// envelope without a token or with an unknown one.
BOOST_DATA_TEST_CASE(every_route_requires_session, bdata::make(kBindings), b) {
  MockFx fx;
  Ds good = fx.as_alice(b);
  const std::string id = good.make();
  for (const std::string& token : {std::string(), std::string("not-a-token")}) {
    BOOST_TEST_CONTEXT("token '" << token << "'") {
      Ds ds(fx.mock.port, b, token);
      std::vector<std::pair<std::string, Resp>> calls;
      auto send = [&](const std::string& what, const std::string& method, const std::string& path,
                      const std::string& body = "") {
        httplib::Headers h;
        if (!token.empty()) h = auth(token);
        calls.emplace_back(what, fx.http().send(method, path, body, h, b));
      };
      send("create", "POST", Ds::sessions(b),
           b == B::Api ? json{{"library_item_id", kItemA}}.dump()
                       : json{{"create_spec", {{"library_item_id", kItemA}}}}.dump());
      send("list", "GET", Ds::sessions(b));
      send("get", "GET", ds.instance(id));
      send("keep_alive", "POST", ds.instance(id) + "?" + ds.act("keep-alive"), "{}");
      send("cancel", "POST", ds.instance(id) + "?" + ds.act("cancel"));
      send("fail", "POST", ds.instance(id) + "?" + ds.act("fail"),
           json{{"client_error_message", "x"}}.dump());
      send("delete", "DELETE", ds.instance(id));
      if (b == B::Api) {
        send("file_list", "GET", ds.files(id));
        send("file_get", "GET", ds.files(id) + "?file_name=photon-5.ovf");
        send("file_prepare", "POST", ds.files(id) + "?action=prepare",
             json{{"file_name", "photon-5.ovf"}}.dump());
        send("session_get", "GET", "/api/session");
        send("logout", "DELETE", "/api/session");
      } else {
        send("file_list", "GET", ds.files(id) + "?download_session_id=" + id);
        send("file_get", "POST", ds.files(id) + "/id:" + id + "?~action=get",
             json{{"file_name", "photon-5.ovf"}}.dump());
        send("file_prepare", "POST", ds.files(id) + "/id:" + id + "?~action=prepare",
             json{{"file_name", "photon-5.ovf"}}.dump());
        send("session_get", "POST", "/rest/com/vmware/cis/session?~action=get");
        send("logout", "DELETE", "/rest/com/vmware/cis/session");
      }
      for (const auto& [what, r] : calls)
        BOOST_TEST_CONTEXT(what) {
          check_error(r, b, 401, "UNAUTHENTICATED");
        }
    }
  }
  // Nothing happened to alice's session.
  Resp g = good.get(id);
  BOOST_TEST(g.status == 200);
  BOOST_TEST(g.v()["state"] == "ACTIVE");
  BOOST_TEST(good.list().v().size() == 1u);
}

BOOST_AUTO_TEST_CASE(custom_users_and_option_defaults) {
  dsmock::Options o;
  o.users = {{"carol", "c:a,r"}};
  Mock m(o);
  BOOST_TEST(m.server.options().users.size() == 1u);
  BOOST_TEST(m.server.options().items.size() == dsmock::default_fixtures().size());
  const std::string t = login(m.port, "carol", "c:a,r");
  BOOST_TEST(Ds(m.port, B::Api, t).list().status == 200);
  check_error(m.http().post("/api/session", "", basic("alice", "alice-pass")), B::Api, 401,
              "UNAUTHENTICATED");

  Mock d;
  BOOST_TEST(d.server.options().users.at("alice") == "alice-pass");
  BOOST_TEST(d.server.options().users.at("bob") == "bob-pass");
}

BOOST_AUTO_TEST_CASE(tokens_are_distinct_per_login) {
  Mock m;
  const std::string t1 = login(m.port, "alice", "alice-pass");
  const std::string t2 = login(m.port, "alice", "alice-pass", B::Rest);
  BOOST_TEST(t1 != t2);
  // Logging out one leaves the other valid; both see alice's sessions.
  Ds a1(m.port, B::Api, t1), a2(m.port, B::Api, t2);
  const std::string id = a1.make();
  BOOST_TEST(a2.get(id).status == 200);
  BOOST_TEST(m.http().del("/api/session", auth(t1)).status == 204);
  BOOST_TEST(a2.get(id).status == 200);
  check_error(a1.get(id), B::Api, 401, "UNAUTHENTICATED");
}

BOOST_AUTO_TEST_SUITE_END()
