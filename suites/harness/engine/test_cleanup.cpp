// Runs without a reset (no clock control): sessions that were there before the run are
// checked and never deleted (unless asked), the harness deletes only what it created, and
// its own deletes are checked like any call.
#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "conformance/engine/runner.hpp"
#include "conformance/engine/wire.hpp"
#include "dsmock/server.hpp"
#include "shipped_spec.hpp"

// Its own namespace: the suites build as one file (CMAKE_UNITY_BUILD) with the others.
namespace test_cleanup {

using namespace conformance;
using nlohmann::json;

namespace {

using testing::shipped;

// The mock with a third user, carol, whom the profile does not name. Its clock is virtual
// but the profile has no clock control: the run cleans up instead of resetting, and no
// session expires (the profile's 300 s timeout generates no time step).
struct NoResetMock {
  dsmock::Server server;
  engine::Profile profile;
  explicit NoResetMock(const std::set<std::string>& faults, const std::string& binding = "api")
      : server(options(faults)) {
    server.start();
    profile.url = server.url();
    profile.binding = binding;
    profile.users = {{"alice", "alice-pass", std::vector<std::string>{}},
                     {"bob", "bob-pass", std::vector<std::string>{}}};
    for (const auto& item : server.options().items) {
      engine::ExternalInstance it{item.id, {}};
      for (const auto& f : item.files)
        it.members.push_back(f.name);
      profile.instances["LibraryItem"].push_back(it);
    }
    profile.session_timeout_s = 300;
    profile.prepare_timeout_s = 1;
  }
  static dsmock::Options options(const std::set<std::string>& faults) {
    dsmock::Options o;
    o.virtual_clock = true;
    o.faults = faults;
    o.users = {{"alice", "alice-pass"}, {"bob", "bob-pass"}, {"carol", "carol-pass"}};
    return o;
  }

  // Calls an operation as a user (any of the mock's), outside any run.
  engine::Decoded call(const std::string& op, const std::string& user, const json& args) {
    const auto& binding = shipped().bindings.at(profile.binding);
    engine::Transport t(profile);
    std::string token = engine::login(t, binding, user, user + "-pass");
    const auto* o = shipped().find_operation(op);
    return engine::decode(shipped(), binding, *o, t.send(engine::encode(binding, *o, args, token)));
  }
  std::string create(const std::string& user) {
    auto d = call(
        "DownloadSession.create", user,
        {{"create_spec", {{"library_item_id", profile.instances_of("LibraryItem").at(0).id}}}});
    BOOST_REQUIRE(d.kind == engine::Decoded::Kind::Success);
    return d.result.get<std::string>();
  }
  bool exists(const std::string& user, const std::string& id) {
    return call("DownloadSession.get", user, {{"download_session_id", id}}).kind ==
           engine::Decoded::Kind::Success;
  }
  json list(const std::string& user) { return call("DownloadSession.list", user, {}).result; }

  engine::RunResult run(std::uint64_t seed, int sequences, bool delete_preexisting = false) {
    engine::RunConfig cfg;
    cfg.spec = &shipped();
    cfg.profile = profile;
    cfg.seed = seed;
    cfg.sequences = sequences;
    cfg.max_steps = 30;
    cfg.delete_preexisting = delete_preexisting;
    return engine::run(cfg);
  }
};

std::string describe(const engine::RunResult& r) {
  if (!r.failure()) return "passed";
  return r.failure()->violation.clause + ": expected " + r.failure()->violation.expected +
         "; got " + r.failure()->violation.actual;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(engine_cleanup)

// The old cleanup deleted every session a user's list showed before each sequence: a
// session of alice's from before the run was destroyed. Now it is checked (found, of the
// model's shape) and left alone, as is carol's; the run's own sessions are all deleted.
BOOST_AUTO_TEST_CASE(preexisting_sessions_survive_and_the_run_leaves_none_of_its_own) {
  for (const char* binding : {"api", "rest"}) {
    NoResetMock mock({}, binding);
    std::string mine = mock.create("alice"), carols = mock.create("carol");
    auto r = mock.run(1, 60);
    BOOST_TEST(r.passed, binding << ": " << describe(r));
    BOOST_TEST(r.calls > 100);
    BOOST_TEST(mock.exists("alice", mine), binding << ": alice's pre-existing session was deleted");
    BOOST_TEST(mock.exists("carol", carols), binding << ": carol's session was deleted");
    BOOST_TEST(mock.list("alice") == json::array({mine}), binding << ": " << mock.list("alice"));
    BOOST_TEST(mock.list("bob") == json::array(), binding << ": " << mock.list("bob"));
  }
}

// A list that leaks other users' sessions shows carol's to alice. The harness must not
// delete it, and names the list's owner clause, at the pre-existing check.
BOOST_AUTO_TEST_CASE(a_leaking_list_does_not_get_a_third_users_session_deleted) {
  NoResetMock mock({"list-shows-others"});
  std::string carols = mock.create("carol");
  auto r = mock.run(1, 50);
  BOOST_REQUIRE(r.failure());
  BOOST_TEST(r.failure()->violation.clause == "list.owner_only", describe(r));
  BOOST_TEST(r.failure()->trace.size() >= 2u);
  BOOST_TEST(mock.exists("carol", carols));
}

// Asked to, it deletes the pre-existing sessions (checked: they must be gone).
BOOST_AUTO_TEST_CASE(delete_preexisting_deletes_them_and_checks_the_delete) {
  {
    NoResetMock mock({});
    std::string mine = mock.create("alice"), carols = mock.create("carol");
    auto r = mock.run(1, 10, true);
    BOOST_TEST(r.passed, describe(r));
    BOOST_TEST(!mock.exists("alice", mine));
    BOOST_TEST(mock.exists("carol", carols));
  }
  NoResetMock mock({"delete-noop"});
  mock.create("bob");
  auto r = mock.run(1, 10, true);
  BOOST_REQUIRE(r.failure());
  BOOST_TEST(r.failure()->violation.clause == "delete.removes", describe(r));
}

// The harness's own deletes are checked: a delete that does not delete is caught on the
// delete clause in the sequence that made the session, not later on list.owner_only.
BOOST_AUTO_TEST_CASE(a_delete_that_does_not_delete_is_blamed_on_the_delete) {
  for (const char* binding : {"api", "rest"}) {
    NoResetMock mock({"delete-noop"}, binding);
    auto r = mock.run(1, 50);
    BOOST_REQUIRE_MESSAGE(r.failure(), binding);
    BOOST_TEST(r.failure()->violation.clause == "delete.removes", binding << ": " << describe(r));
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace test_cleanup
