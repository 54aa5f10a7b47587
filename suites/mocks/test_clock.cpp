// The virtual clock, its control protocol, and session expiry.
#include <boost/test/data/test_case.hpp>
#include <thread>

#include "mock_client.hpp"

using namespace mt;
namespace bdata = boost::unit_test::data;

BOOST_AUTO_TEST_SUITE(virtual_clock)

BOOST_AUTO_TEST_CASE(control_protocol) {
  Mock m;
  Http h = m.http();
  Resp c = h.get("/mock/v1/clock");
  BOOST_TEST(c.status == 200);
  BOOST_TEST(c.j == (json{{"now", "2030-01-01T00:00:00.000Z"}, {"mode", "virtual"}}));
  Resp a = m.advance(1500);
  BOOST_TEST(a.status == 200);
  BOOST_TEST(a.j == (json{{"now", "2030-01-01T00:00:01.500Z"}}));
  BOOST_TEST(m.advance(0).j["now"] == "2030-01-01T00:00:01.500Z");
  BOOST_TEST(m.advance(86400000LL * 366).j["now"] == "2031-01-02T00:00:01.500Z");
  BOOST_TEST(m.now() == "2031-01-02T00:00:01.500Z");
  // Bad advances: 400 with an error body, clock unchanged.
  const std::vector<std::pair<std::string, std::string>> bad = {
      {R"({"milliseconds":-1})", "INVALID_ARGUMENT"},
      {R"({"milliseconds":9223372036854775807})", "INVALID_ARGUMENT"},
      {R"({"milliseconds":18446744073709551615})", "INVALID_ARGUMENT"},
      {R"({"milliseconds":1.5})", "INVALID_REQUEST"},
      {R"({"milliseconds":"5"})", "INVALID_REQUEST"},
      {R"({"milliseconds":null})", "INVALID_REQUEST"},
      {R"({})", "INVALID_REQUEST"},
      {"", "INVALID_REQUEST"},
      {R"({"milliseconds":)", "INVALID_REQUEST"},
      {R"([5])", "INVALID_REQUEST"},
  };
  for (const auto& [body, type] : bad)
    BOOST_TEST_CONTEXT(body) {
      check_error(h.post("/mock/v1/clock/advance", body), B::Api, 400, type);
    }
  BOOST_TEST(m.now() == "2031-01-02T00:00:01.500Z");
  // Wrong methods.
  BOOST_TEST(h.post("/mock/v1/clock", "{}").status == 405);
  BOOST_TEST(h.get("/mock/v1/clock/advance").status == 405);
  BOOST_TEST(h.get("/mock/v1/reset").status == 405);
  check_error(h.get("/mock/v1/other"), B::Api, 404, "NOT_FOUND");
}

BOOST_AUTO_TEST_CASE(reset_forgets_sessions_and_tokens_keeps_logins) {
  MockFx fx;
  Ds ds = fx.as_alice(B::Api);
  const std::string id = ds.create(kItemA, "tok").j.get<std::string>();
  fx.mock.advance(5000);
  Resp r = fx.http().post("/mock/v1/reset");
  BOOST_TEST(r.status == 204);
  BOOST_TEST(r.body.empty());
  BOOST_TEST(fx.mock.now() == "2030-01-01T00:00:00.000Z");
  check_error(ds.get(id), B::Api, 404, "NOT_FOUND");
  BOOST_TEST(ds.list().j.empty());  // login still valid
  const std::string id2 = ds.create(kItemA, "tok").j.get<std::string>();
  BOOST_TEST(id2 != id);
  BOOST_TEST(ds.get(id2).j["expiration_time"] == "2030-01-01T00:05:00.000Z");
  BOOST_TEST(fx.as_bob(B::Rest).list().status == 200);
}

BOOST_AUTO_TEST_CASE(control_routes_absent_in_wall_mode) {
  Mock m{dsmock::Options{}};
  Http h = m.http();
  check_error(h.get("/mock/v1/clock"), B::Api, 404, "NOT_FOUND");
  check_error(h.post("/mock/v1/clock/advance", R"({"milliseconds":1})"), B::Api, 404, "NOT_FOUND");
  check_error(h.post("/mock/v1/reset"), B::Api, 404, "NOT_FOUND");
}

BOOST_DATA_TEST_CASE(expiry_boundary, bdata::make(kBindings), b) {
  MockFx fx;
  Ds ds = fx.as_alice(b);
  const std::string id = ds.make(), kept = ds.make();
  const std::string uri = ds.file_prepare(id, "photon-5.ovf").v()["download_endpoint"]["uri"];
  fx.mock.advance(299999);
  BOOST_TEST(ds.keep_alive(kept).status == ds.ok_void());  // kept: expires at 00:09:59.999
  BOOST_TEST(ds.get(kept).v()["expiration_time"] == "2030-01-01T00:09:59.999Z");
  fx.mock.advance(1);  // now == expiration_time of id: still alive
  Resp at = ds.get(id);
  BOOST_TEST(at.status == 200);
  BOOST_TEST(at.v()["expiration_time"] == fx.mock.now());
  BOOST_TEST(contains(ds.list().v(), id));
  BOOST_TEST(fx.http().get(uri_path(uri)).status == 200);
  fx.mock.advance(1);  // 1 ms after: gone everywhere
  check_error(ds.get(id), b, 404, "NOT_FOUND");
  check_error(ds.keep_alive(id), b, 404, "NOT_FOUND");
  check_error(ds.cancel(id), b, 404, "NOT_FOUND");
  check_error(ds.fail(id, "x"), b, 404, "NOT_FOUND");
  check_error(ds.file_list(id), b, 404, "NOT_FOUND");
  check_error(ds.file_get(id, "photon-5.ovf"), b, 404, "NOT_FOUND");
  check_error(ds.del(id), b, 404, "NOT_FOUND");
  check_error(fx.http().get(uri_path(uri)), B::Api, 404, "NOT_FOUND");
  Resp l = ds.list();
  BOOST_TEST(!contains(l.v(), id));
  BOOST_TEST(contains(l.v(), kept));
  fx.mock.advance(299999);  // 00:09:59.999 + ... kept expired at 00:09:59.999 < now
  check_error(ds.get(kept), b, 404, "NOT_FOUND");
}

BOOST_DATA_TEST_CASE(only_create_and_keep_alive_move_expiration, bdata::make(kBindings), b) {
  MockFx fx;
  Ds ds = fx.as_alice(b);
  const std::string id = ds.make(), other = ds.make();
  fx.mock.advance(10000);
  ds.get(id);
  ds.list();
  ds.file_list(id);
  ds.file_get(id, "photon-5.ovf");
  ds.file_prepare(id, "photon-5.ovf");
  ds.cancel(other);
  ds.fail(id, "boom");
  BOOST_TEST(ds.get(id).v()["expiration_time"] == "2030-01-01T00:05:00.000Z");
  BOOST_TEST(ds.get(other).v()["expiration_time"] == "2030-01-01T00:05:00.000Z");
  // Canceled and failed sessions expire too.
  fx.mock.advance(290001);
  check_error(ds.get(id), b, 404, "NOT_FOUND");
  check_error(ds.get(other), b, 404, "NOT_FOUND");
}

BOOST_AUTO_TEST_CASE(custom_timeout) {
  dsmock::Options o = Mock::virtual_opts();
  o.session_timeout = std::chrono::milliseconds(1500);
  MockFx fx(o);
  Ds ds = fx.as_alice(B::Api);
  const std::string id = ds.make();
  BOOST_TEST(ds.get(id).j["expiration_time"] == "2030-01-01T00:00:01.500Z");
  fx.mock.advance(1000);
  ds.keep_alive(id);
  BOOST_TEST(ds.get(id).j["expiration_time"] == "2030-01-01T00:00:02.500Z");
  fx.mock.advance(1501);
  check_error(ds.get(id), B::Api, 404, "NOT_FOUND");
}

BOOST_AUTO_TEST_CASE(wall_clock_expiry) {
  dsmock::Options o;
  o.session_timeout = std::chrono::milliseconds(300);
  MockFx fx(o);
  Ds ds = fx.as_alice(B::Api);
  const auto before = std::chrono::system_clock::now();
  const std::string id = ds.make();
  Resp g = ds.get(id);
  BOOST_TEST(g.status == 200);
  BOOST_TEST(is_datetime(g.j["expiration_time"]));
  // expiration_time is within [before + 300 ms, before + 300 ms + 5 s].
  std::tm tm{};
  int ms = 0;
  std::sscanf(g.j["expiration_time"].get<std::string>().c_str(), "%d-%d-%dT%d:%d:%d.%dZ",
              &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms);
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  const auto exp =
      std::chrono::system_clock::from_time_t(timegm(&tm)) + std::chrono::milliseconds(ms);
  const auto delta = std::chrono::duration_cast<std::chrono::milliseconds>(exp - before).count();
  BOOST_TEST(delta >= 299);
  BOOST_TEST(delta <= 5300);
  std::this_thread::sleep_for(std::chrono::milliseconds(450));
  check_error(ds.get(id), B::Api, 404, "NOT_FOUND");
}

BOOST_AUTO_TEST_CASE(wall_clock_prepare_delay) {
  dsmock::Options o;
  o.prepare_delay = std::chrono::milliseconds(300);
  MockFx fx(o);
  Ds ds = fx.as_alice(B::Api);
  const std::string id = ds.make(kItemB);
  BOOST_TEST(ds.file_prepare(id, "tools.iso").j["status"] == "PREPARE_REQUESTED");
  std::string status;
  for (int i = 0; i < 100 && status != "PREPARED"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    status = ds.file_get(id, "tools.iso").j["status"];
  }
  BOOST_TEST(status == "PREPARED");
}

BOOST_AUTO_TEST_SUITE_END()
