// The engine is generic: a toy service with other names, paths, envelopes and
// statuses, described only by its spec (suites/harness/toy/toy_spec.json), is checked by
// the same code. A toy server that breaks one rule is caught on that rule's clause.
// The toy server (suites/harness/toy/toy_server.hpp) runs in-process here; the CLI test
// harness_toy_cli runs it as its own executable.
#include <boost/test/unit_test.hpp>

#include "conformance/engine/runner.hpp"
#include "conformance/spec/loader.hpp"
#include "toy_server.hpp"

// Its own namespace: the suites build as one file (CMAKE_UNITY_BUILD) with the others.
namespace test_toy_service {

using namespace conformance;
using nlohmann::json;

namespace {

engine::RunResult run_toy(std::set<std::string> faults) {
  static const spec::Spec spec = spec::load_spec(TOY_SPEC);
  toy::Options o;
  o.faults = std::move(faults);
  toy::Server server(o);
  engine::RunConfig cfg;
  cfg.spec = &spec;
  cfg.profile.url = server.url();
  cfg.profile.binding = "toy";
  cfg.profile.users = {{"ann", "ann-pass", {}}, {"ben", "ben-pass", {}}};
  for (const auto& [kit, parts] : o.kits)
    cfg.profile.instances["Kit"].push_back({kit, parts});
  cfg.profile.clock_control = server.url() + "/control";
  cfg.seed = 11;
  cfg.sequences = 150;
  return engine::run(cfg);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(engine_toy_service)

BOOST_AUTO_TEST_CASE(the_engine_checks_a_service_it_has_never_heard_of) {
  auto r = run_toy({});
  BOOST_TEST(
      r.passed,
      (r.failure() ? r.failure()->violation.clause + ": " + r.failure()->violation.actual : ""));
  BOOST_TEST(r.coverage.clauses.count("widget.power_on.requires_off") == 1u);
  BOOST_TEST(r.coverage.clauses.count("widget.private") == 1u);
  BOOST_TEST(r.coverage.clauses.count("toy.auth") == 1u);
  BOOST_TEST(r.coverage.clauses.count("widget.lease.initial") == 1u);
  BOOST_TEST(r.coverage.clauses.count("part.fit.fits") == 1u);
  BOOST_TEST(r.coverage.clauses.count("widget.make.token_replay") == 1u);
}

BOOST_AUTO_TEST_CASE(a_toy_server_that_breaks_one_rule_is_caught_on_it) {
  for (const auto& [fault, clause] : toy::faults()) {
    BOOST_TEST_CONTEXT("fault " << fault) {
      auto r = run_toy({fault});
      BOOST_REQUIRE(r.failure());
      BOOST_TEST(r.failure()->violation.clause == clause);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace test_toy_service
