// Parallel cases as values: generation follows the rules of parallel.hpp, is reproducible,
// and shrinking only offers well-formed, smaller cases.
#include <boost/test/unit_test.hpp>

#include "conformance/engine/parallel.hpp"
#include "conformance/spec/loader.hpp"

// Its own namespace: the suites build as one file (CMAKE_UNITY_BUILD) with the others.
namespace test_parallel_cases {

using namespace conformance;
using engine::Arg;

namespace {

struct Cases {
  spec::Spec spec = spec::load_spec(CONFORMANCE_DEFAULT_SPEC);
  engine::Profile profile;
  engine::Model m0;
  engine::GenPlan plan;
  Cases() {
    profile.users = {{"alice", "x", {}}, {"bob", "y", {}}};
    profile.instances["LibraryItem"] = {{"item-1", {"a.ovf"}}, {"item-2", {"b.iso"}}};
    profile.missing_instance_id = "item-missing";
    profile.clock_control = "http://control";
    m0 = engine::initial_model(spec, profile, engine::Strictness::inferred);
    plan = engine::make_plan(spec, spec.bindings.at("api"));
  }
};

std::string text(const engine::ParallelCase& c) {
  std::string out;
  for (const auto& call : c.prefix)
    out += call.op->full_name + ";";
  for (const auto& b : c.branches) {
    out += "|";
    for (const auto& call : b)
      out += call.op->full_name + ";";
  }
  return out;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(engine_parallel_cases, Cases)

BOOST_AUTO_TEST_CASE(generated_cases_follow_the_rules_and_are_reproducible) {
  engine::ParallelShape shape;
  shape.max_branches = 4;
  int total_branch_calls = 0;
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    auto c = engine::draw_parallel_case(m0, plan, shape, seed, 100);
    BOOST_TEST_REQUIRE(engine::case_problem(m0, c) == "");
    BOOST_TEST(c.branches.size() >= 2u);
    BOOST_TEST(c.branches.size() <= 4u);
    BOOST_TEST(c.prefix.size() >= 1u);
    BOOST_TEST(c.prefix.size() <= 3u);
    for (const auto& b : c.branches) {
      BOOST_TEST(b.size() <= 4u);
      total_branch_calls += static_cast<int>(b.size());
    }
    BOOST_TEST(text(c) == text(engine::draw_parallel_case(m0, plan, shape, seed, 100)));
  }
  BOOST_TEST(total_branch_calls > 200 * 2);  // not all branches of one call
}

BOOST_AUTO_TEST_CASE(a_branch_call_on_an_instance_of_its_own_is_refused) {
  auto c = engine::draw_parallel_case(m0, plan, {}, 3, 100);
  engine::Model after = m0;
  for (const auto& call : c.prefix)
    engine::apply(after, call);
  engine::Call get;
  get.op = spec.find_operation("DownloadSession.get");
  get.args["download_session_id"] =
      Arg{Arg::Kind::Instance, nullptr, static_cast<int>(after.instances.size())};
  c.branches[0].push_back(get);
  BOOST_TEST(engine::case_problem(m0, c).find("the prefix did not make") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(smaller_cases_are_well_formed_and_smaller) {
  engine::ParallelShape shape;
  shape.max_branches = 4;
  for (std::uint64_t seed = 1; seed <= 30; ++seed) {
    auto c = engine::draw_parallel_case(m0, plan, shape, seed, 100);
    for (const auto& s : engine::smaller_cases(m0, c)) {
      BOOST_TEST(engine::case_problem(m0, s) == "");
      BOOST_TEST(s.calls() < c.calls());
      BOOST_TEST(s.branches.size() >= 2u);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace test_parallel_cases
