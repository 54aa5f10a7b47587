// Workers (workers.hpp): the id table shared across fork, and the JSON a worker sends its
// parent.
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <thread>

#include "conformance/engine/shared_ids.hpp"
#include "conformance/engine/workers.hpp"

// Its own namespace: the suites build as one file (CMAKE_UNITY_BUILD) with the others.
namespace test_workers {

using namespace conformance;
using engine::SharedIds;

namespace {

// Runs `body` in a child process; returns its exit code (-1: killed).
template <class F>
int in_child(F body) {
  pid_t pid = fork();
  if (pid == 0) _exit(body());
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(workers)

BOOST_AUTO_TEST_CASE(ids_added_by_children_are_seen_by_the_parent_and_each_other) {
  SharedIds ids;
  ids.add("parent-0", 0);
  std::vector<pid_t> pids;
  for (int k = 0; k < 4; ++k) {
    pid_t pid = fork();
    if (pid == 0) {
      for (int i = 0; i < 500; ++i)
        ids.add("w" + std::to_string(k) + "-" + std::to_string(i), k % 2);
      // A child sees what the parent added before the fork.
      _exit(ids.owner("parent-0", 0) == 0 ? 0 : 1);
    }
    pids.push_back(pid);
  }
  for (pid_t pid : pids) {
    int status = 0;
    waitpid(pid, &status, 0);
    BOOST_TEST((WIFEXITED(status) && WEXITSTATUS(status) == 0));
  }
  BOOST_TEST(ids.size() == 2001u);
  for (int k = 0; k < 4; ++k)
    for (int i = 0; i < 500; i += 37)
      BOOST_TEST(ids.owner("w" + std::to_string(k) + "-" + std::to_string(i), 0) == k % 2);
  BOOST_TEST(ids.owner("nobody's", 0) == -1);
  BOOST_TEST(!ids.overflowed());
}

BOOST_AUTO_TEST_CASE(a_create_in_flight_in_another_process_is_waited_for) {
  SharedIds ids;
  int ready[2];
  BOOST_REQUIRE(pipe(ready) == 0);
  pid_t pid = fork();
  if (pid == 0) {
    {
      SharedIds::Creating in_flight(ids);
      char c = 1;
      if (write(ready[1], &c, 1) != 1) _exit(2);
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      ids.add("late", 1);
    }
    _exit(0);
  }
  char c = 0;
  BOOST_REQUIRE(read(ready[0], &c, 1) == 1);
  auto t = std::chrono::steady_clock::now();
  // The list showed "late" before its create's answer was read: the owner is waited for.
  BOOST_TEST(ids.owner("late", 5) == 1);
  BOOST_TEST(seconds_since(t) > 0.2);
  BOOST_TEST(seconds_since(t) < 3);
  // Nothing in flight: an unknown id is answered at once.
  waitpid(pid, nullptr, 0);
  t = std::chrono::steady_clock::now();
  BOOST_TEST(ids.owner("never", 5) == -1);
  BOOST_TEST(seconds_since(t) < 0.5);
}

BOOST_AUTO_TEST_CASE(a_worker_that_dies_holding_the_lock_leaves_it_usable) {
  // A robust mutex: the child locks and exits without unlocking.
  auto* lock = static_cast<engine::ProcessLock*>(engine::map_shared(sizeof(engine::ProcessLock)));
  lock->init();
  BOOST_TEST(in_child([&] {
               lock->lock();
               return 0;
             }) == 0);
  lock->lock();  // recovers, does not hang
  lock->unlock();
  engine::unmap_shared(lock, sizeof(engine::ProcessLock));
}

BOOST_AUTO_TEST_CASE(an_id_that_does_not_fit_marks_the_table_overflowed) {
  SharedIds ids;
  ids.add("short", 0);
  BOOST_TEST(ids.owner("unknown", 0) == -1);
  ids.add(std::string(SharedIds::kMaxId + 1, 'x'), 1);
  BOOST_TEST(ids.overflowed());
  // From then on an unknown id may be anyone's: the checks pass over it (no false finding).
  BOOST_TEST(ids.owner("unknown", 0) == SharedIds::kUnknown);
  BOOST_TEST(ids.owner("short", 0) == 0);
}

BOOST_AUTO_TEST_CASE(a_failure_and_a_result_survive_the_pipe) {
  engine::Failure f;
  f.violation = {"list.owner_only", "DownloadSession.list", "only alice's", "bob's"};
  f.symptom = engine::Violation{"a", "b", "c", "d"};
  engine::TraceStep s;
  s.description = "alice DownloadSession.list()";
  s.exchange.request = {"GET", "/api/x", "q=1", {{"h", "v"}}, std::string("{}")};
  s.exchange.response.status = 200;
  s.exchange.response.body = "[\"\\u00e9\"]";
  s.violations.push_back(f.violation);
  s.command = {{"op", "DownloadSession.list"}};
  f.trace.push_back(s);
  f.seed = 18446744073709551615ULL;
  f.after = {"x.y"};
  engine::RunResult r;
  r.failures.push_back(f);
  r.coverage.clauses["list.owner_only"] = 3;
  r.coverage.matrix["op"]["pre"]["success"] = 2;
  r.sequences = 7;
  r.calls = 99;
  auto back = engine::result_from_json(nlohmann::json::parse(engine::result_to_json(r).dump()));
  BOOST_TEST(back.sequences == 7);
  BOOST_TEST(back.calls == 99);
  BOOST_TEST(back.coverage.matrix["op"]["pre"]["success"] == 2);
  BOOST_REQUIRE(back.failures.size() == 1u);
  const auto& g = back.failures[0];
  BOOST_TEST(g.seed == f.seed);
  BOOST_TEST(g.violation.actual == "bob's");
  BOOST_TEST(g.symptom->clause == "a");
  BOOST_TEST(g.trace[0].exchange.request.headers[0].second == "v");
  BOOST_TEST(*g.trace[0].exchange.request.body == "{}");
  BOOST_TEST(g.trace[0].exchange.response.body == s.exchange.response.body);
  BOOST_TEST(g.after[0] == "x.y");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace test_workers
