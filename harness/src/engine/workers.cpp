// Workers: the searches in several processes, their events over pipes, the merge.
#include "conformance/engine/workers.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <set>

#include "conformance/engine/cleanup.hpp"
#include "conformance/engine/events.hpp"
#include "conformance/engine/target.hpp"

namespace conformance::engine {

using nlohmann::json;

// ---- JSON -------------------------------------------------------------------------------

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Violation, clause, operation, expected, actual)

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Coverage, clauses, violations, matrix, observed_open, generated)

namespace {

json violation_json(const Violation& v) {
  return v;
}
Violation violation_of(const json& j) {
  return j.get<Violation>();
}

json step_json(const TraceStep& s) {
  const auto& q = s.exchange.request;
  const auto& a = s.exchange.response;
  json vs = json::array();
  for (const auto& v : s.violations)
    vs.push_back(violation_json(v));
  return {{"description", s.description},
          {"is_call", s.is_call},
          {"request",
           {{"method", q.method},
            {"path", q.path},
            {"query", q.query},
            {"headers", q.headers},
            {"body", q.body ? json(*q.body) : json()}}},
          {"response",
           {{"status", a.status},
            {"content_type", a.content_type},
            {"body", a.body},
            {"transport_error", a.transport_error},
            {"millis", a.millis}}},
          {"expected", s.expected},
          {"outcome", s.outcome},
          {"violations", vs},
          {"command", s.command}};
}

TraceStep step_of(const json& j) {
  TraceStep s;
  s.description = j.at("description");
  s.is_call = j.at("is_call");
  const json& q = j.at("request");
  auto& r = s.exchange.request;
  r.method = q.at("method");
  r.path = q.at("path");
  r.query = q.at("query");
  r.headers = q.at("headers").get<Headers>();
  if (!q.at("body").is_null()) r.body = q.at("body").get<std::string>();
  const json& a = j.at("response");
  auto& p = s.exchange.response;
  p.status = a.at("status");
  p.content_type = a.at("content_type");
  p.body = a.at("body");
  p.transport_error = a.at("transport_error");
  p.millis = a.at("millis");
  s.expected = j.at("expected");
  s.outcome = j.at("outcome");
  for (const auto& v : j.at("violations"))
    s.violations.push_back(violation_of(v));
  s.command = j.at("command");
  return s;
}

}  // namespace

json failure_to_json(const Failure& f) {
  json trace = json::array();
  for (const auto& s : f.trace)
    trace.push_back(step_json(s));
  return {{"violation", violation_json(f.violation)},
          {"trace", trace},
          {"seed", f.seed},
          {"sequences_before", f.sequences_before},
          {"seconds_to_first", f.seconds_to_first},
          {"calls_to_first", f.calls_to_first},
          {"shrinks", f.shrinks},
          {"symptom", f.symptom ? violation_json(*f.symptom) : json()},
          {"diagnosed_step", f.diagnosed_step},
          {"diagnosis", f.diagnosis},
          {"after", f.after},
          {"preexisting", f.preexisting}};
}

Failure failure_from_json(const json& j) {
  Failure f;
  f.violation = violation_of(j.at("violation"));
  for (const auto& s : j.at("trace"))
    f.trace.push_back(step_of(s));
  f.seed = j.at("seed");
  f.sequences_before = j.at("sequences_before");
  f.seconds_to_first = j.at("seconds_to_first");
  f.calls_to_first = j.at("calls_to_first");
  f.shrinks = j.at("shrinks");
  if (!j.at("symptom").is_null()) f.symptom = violation_of(j.at("symptom"));
  f.diagnosed_step = j.at("diagnosed_step");
  f.diagnosis = j.at("diagnosis");
  j.at("after").get_to(f.after);
  f.preexisting = j.at("preexisting");
  return f;
}

json result_to_json(const RunResult& r) {
  json failures = json::array();
  for (const auto& f : r.failures)
    failures.push_back(failure_to_json(f));
  return {{"failures", failures}, {"coverage", r.coverage}, {"sequences", r.sequences},
          {"calls", r.calls},     {"aborted", r.aborted},   {"ended_early", r.ended_early},
          {"seed", r.seed}};
}

RunResult result_from_json(const json& j) {
  RunResult r;
  for (const auto& f : j.at("failures"))
    r.failures.push_back(failure_from_json(f));
  j.at("coverage").get_to(r.coverage);
  r.sequences = j.at("sequences");
  r.calls = j.at("calls");
  r.aborted = j.at("aborted");
  r.ended_early = j.at("ended_early");
  r.seed = j.at("seed");
  return r;
}

namespace {

// ---- The board: what the processes share besides the ids --------------------------------

struct Board {
  static constexpr int kClauses = 512;
  static constexpr std::size_t kClauseMax = 127;
  static constexpr int kMaxWorkers = 64;
  std::atomic<bool> stop[kMaxWorkers];  // one per worker: its RunConfig::stop
  ProcessLock lock;
  int found;
  struct Found {
    int worker;
    char clause[kClauseMax + 1];
  } clauses[kClauses];

  // Records that `worker` found `clause` (once per clause: the first finder keeps it).
  void post(int worker, const std::string& clause) {
    lock.lock();
    bool known = false;
    for (int i = 0; i < found && !known; ++i)
      known = clause == clauses[i].clause;
    if (!known && found < kClauses && clause.size() <= kClauseMax) {
      clauses[found].worker = worker;
      std::memcpy(clauses[found].clause, clause.c_str(), clause.size() + 1);
      ++found;
    }
    lock.unlock();
  }
  // The clauses found by workers other than `worker` (all: worker = -1).
  std::vector<std::string> others(int worker) {
    std::vector<std::string> out;
    lock.lock();
    for (int i = 0; i < found; ++i)
      if (clauses[i].worker != worker) out.emplace_back(clauses[i].clause);
    lock.unlock();
    return out;
  }
  int count() {
    lock.lock();
    int n = found;
    lock.unlock();
    return n;
  }
};
static_assert(std::atomic<bool>::is_always_lock_free, "the stop flag is shared between processes");

// Writes one line to the pipe (the whole of it: a pipe write may be partial).
void write_line(int fd, const json& j) {
  std::string line = j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  const char* p = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) _exit(4);  // the parent is gone
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

// A worker's events, as JSON lines to its parent.
class PipeReporter : public Reporter {
 public:
  PipeReporter(int fd, int worker, Board* board, bool share)
      : fd_(fd), worker_(worker), board_(board), share_(share) {}
  void sequence_finished(const SequenceFinished& e) override {
    json fresh = json::array();
    if (e.progress.coverage)
      for (const auto& [clause, _] : e.progress.coverage->clauses)
        if (sent_.insert(clause).second) fresh.push_back(clause);
    write_line(fd_, {{"t", "progress"},
                     {"sequences", e.progress.sequences},
                     {"calls", e.progress.calls},
                     {"reached", fresh}});
  }
  void failure_found(const FailureFound& e) override {
    if (share_) board_->post(worker_, e.failure.violation.clause);
    write_line(fd_, {{"t", "found"}, {"failure", failure_to_json(e.failure)}});
  }

 private:
  int fd_, worker_;
  Board* board_;
  bool share_;
  std::set<std::string> sent_;
};

[[noreturn]] void worker_main(const CampaignConfig& c, RunConfig cfg, int worker, int fd,
                              Board* board, Clock::time_point started, bool share) {
  // Ctrl-C and SIGTERM are the parent's: it stops the workers through the board.
  signal(SIGINT, SIG_IGN);
  signal(SIGTERM, SIG_IGN);
  int code = 0;
  try {
    if (c.worker_setup) c.worker_setup(cfg, worker);
    cfg.stop = &board->stop[worker];
    cfg.lease_probes = false;
    cfg.lease_probe.reset();
    if (share)
      cfg.also_tolerated = [board, worker](const std::string& clause) {
        auto others = board->others(worker);
        return std::find(others.begin(), others.end(), clause) != others.end();
      };
    CampaignConfig wc = c;
    wc.max_calls = 0;  // summed by the parent
    RoundsPlan plan;
    plan.started = started;
    plan.worker = worker;
    plan.workers = c.workers;
    if (share) {
      plan.found = [board] { return board->count(); };
      plan.found_clauses = [board, worker] { return board->others(worker); };
    }
    PipeReporter events(fd, worker, board, share);
    plan.after_round = [fd] { write_line(fd, {{"t", "round"}}); };
    bool calls_spent = false;
    RunResult r = search_rounds(wc, cfg, events, plan, calls_spent);
    write_line(fd, {{"t", "end"}, {"result", result_to_json(r)}});
  } catch (const TargetError& e) {
    write_line(fd, {{"t", "target_error"}, {"what", e.what()}});
  } catch (const std::exception& e) {
    write_line(fd, {{"t", "error"}, {"what", e.what()}});
    code = 4;
  }
  ::close(fd);
  _exit(code);
}

struct Child {
  pid_t pid = -1;
  int fd = -1;
  std::string buffer;
  bool ended = false;    // its result (or error) arrived
  bool pending = false;  // found a failure, its round not ended yet (shrinking)
  long sequences = 0, calls = 0;
  std::optional<RunResult> result;
  std::vector<Failure> found;  // as found (before shrinking)
  std::string target_error, error;
  int status = 0;
};

Failure internal(const std::string& what, std::uint64_t seed) {
  Failure f;
  f.violation = {"harness.internal", "", "every worker ends with its result", what};
  f.seed = seed;
  return f;
}

}  // namespace

RunResult worker_searches(const CampaignConfig& c, RunConfig& cfg, Reporter& reporter,
                          Clock::time_point started) {
  // Untimed, no more workers than passing sequences wanted.
  const int n = c.duration_s > 0 ? c.workers : std::max(1, std::min(c.workers, cfg.sequences));
  // A reset target is reset between sequences: one per worker, or none.
  const bool resets = cfg.profile.virtual_clock();
  if (resets && !c.worker_setup)
    throw std::invalid_argument(
        "--workers " + std::to_string(n) +
        ": the target is reset between sequences (it has a clock control), so workers would "
        "reset each other's sessions; use --workers 1");
  if (n > Board::kMaxWorkers)
    throw std::invalid_argument("--workers " + std::to_string(n) + ": at most " +
                                std::to_string(Board::kMaxWorkers));
  const bool share = !resets;
  // The instances there before the run: surveyed and checked once, here. A failure there
  // is the run's first; the workers tolerate its clause.
  std::vector<Failure> all;
  if (!resets) {
    Target target = open_target(cfg);
    target.share_ids(cfg.shared_ids);
    if (auto f = check_preexisting(target, cfg)) {
      reporter.failure_found({*f});
      cfg.tolerated.insert(f->violation.clause);
      all.push_back(std::move(*f));
      if (c.max_failures == 1) {
        RunResult out;
        out.seed = cfg.seed;
        out.failures = std::move(all);
        out.seconds = seconds_since(started);
        return out;
      }
    }
    target.survey();
    cfg.preexisting =
        std::make_shared<std::map<std::string, std::vector<int>>>(target.preexisting_listers());
  }
  auto* board = static_cast<Board*>(map_shared(sizeof(Board)));
  board->lock.init();
  std::vector<Child> children(static_cast<std::size_t>(n));
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  const pid_t parent = getpid();
  for (int k = 0; k < n; ++k) {
    int fds[2];
    if (pipe(fds) != 0) throw std::runtime_error("workers: pipe failed");
    pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("workers: fork failed");
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(4);
      ::close(fds[0]);
      for (int j = 0; j < k; ++j)
        ::close(children[static_cast<std::size_t>(j)].fd);
      CampaignConfig wc = c;
      wc.workers = n;
      worker_main(wc, cfg, k, fds[1], board, started, share);
    }
    ::close(fds[1]);
    children[static_cast<std::size_t>(k)].pid = pid;
    children[static_cast<std::size_t>(k)].fd = fds[0];
  }

  // The run's one lease probe, here (after the fork: it is a thread).
  auto probe = std::make_shared<LeaseProbe>(cfg, cfg.shared_ids);
  const bool timed = c.duration_s > 0;
  bool calls_spent = false, killed = false, probe_posted = false;
  std::set<std::string> reached, found;
  for (const auto& f : all)
    found.insert(f.violation.clause);
  Coverage reached_cov;
  RunResult partial;  // for checkpoints: the failures found so far
  auto last_checkpoint = Clock::now();
  std::optional<Clock::time_point> stop_at;
  auto stop_all = [&] {
    for (int k = 0; k < n; ++k)
      board->stop[k] = true;
    if (!stop_at) stop_at = Clock::now();
  };
  // max_failures clauses found: the workers stop, except those still shrinking (and
  // diagnosing) a failure, which end after their round.
  bool enough = false;
  auto stop_idle = [&] {
    enough = true;
    for (int k = 0; k < n; ++k)
      if (!children[static_cast<std::size_t>(k)].pending) board->stop[k] = true;
  };
  auto handle = [&](Child& ch, const json& m) {
    const std::string t = m.at("t");
    if (t == "progress") {
      ch.sequences = m.at("sequences");
      ch.calls = m.at("calls");
      for (const auto& clause : m.at("reached"))
        if (reached.insert(clause.get<std::string>()).second)
          reached_cov.clauses[clause.get<std::string>()] = 1;
      probe->start();  // once a sequence passed
      Progress p;
      for (const auto& o : children) {
        p.sequences += static_cast<int>(o.sequences);
        p.calls += o.calls;
      }
      p.seconds = seconds_since(started);
      p.failures = static_cast<int>(found.size());
      p.clauses_reached = reached.size();
      p.clauses_total = cfg.spec->clauses().size();
      p.coverage = &reached_cov;
      reporter.sequence_finished({p});
      if (timed && c.max_calls > 0 && p.calls >= c.max_calls) {
        calls_spent = true;
        stop_all();
      }
    } else if (t == "found") {
      Failure f = failure_from_json(m.at("failure"));
      ch.found.push_back(f);
      ch.pending = true;
      if (found.insert(f.violation.clause).second) {
        reporter.failure_found({f});
        partial.failures.push_back(f);
      }
      if (share && c.max_failures > 0 && static_cast<int>(found.size()) >= c.max_failures)
        stop_idle();
    } else if (t == "round") {
      ch.pending = false;
      if (enough) stop_idle();
    } else if (t == "end") {
      ch.result = result_from_json(m.at("result"));
      ch.ended = true;
    } else if (t == "target_error") {
      ch.target_error = m.at("what");
      ch.ended = true;
    } else if (t == "error") {
      ch.error = m.at("what");
      ch.ended = true;
    }
  };

  std::size_t open = children.size();
  while (open > 0) {
    if (*cfg.stop) stop_all();
    if (timed && seconds_since(started) >= c.duration_s) stop_all();
    // The lease probe's failure: the workers tolerate its clause from their next round on
    // (taken after, by finish_searches), and it counts towards max_failures; when that is
    // reached, every worker stops, a shrinking one too (as a probe failure ends a round in
    // one process: the smallest failure so far stands).
    if (const Failure* pf = probe->failed_with(); pf && !probe_posted) {
      probe_posted = true;
      const std::string& clause = pf->violation.clause;
      board->post(-1, clause);
      found.insert(clause);
      if (c.max_failures > 0 && static_cast<int>(found.size()) >= c.max_failures) stop_all();
    }
    // Stopped: a second for the workers to end their step, then they are killed.
    if (stop_at && !killed && seconds_since(*stop_at) > (*cfg.stop ? 1.0 : 15.0)) {
      for (auto& ch : children)
        if (ch.fd >= 0) kill(ch.pid, SIGKILL);
      killed = true;
    }
    std::vector<pollfd> fds;
    for (auto& ch : children)
      if (ch.fd >= 0) fds.push_back({ch.fd, POLLIN, 0});
    int ready = poll(fds.data(), fds.size(), 50);
    if (ready < 0 && errno != EINTR) break;
    for (const auto& pfd : fds) {
      if (!(pfd.revents & (POLLIN | POLLHUP | POLLERR))) continue;
      Child& ch = *std::find_if(children.begin(), children.end(),
                                [&](const Child& x) { return x.fd == pfd.fd; });
      char buf[65536];
      ssize_t got = ::read(ch.fd, buf, sizeof buf);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        ::close(ch.fd);
        ch.fd = -1;
        --open;
        // Died without its result (or with an error): the run ends (harness.internal).
        if (!ch.result && ch.target_error.empty()) stop_all();
        continue;
      }
      ch.buffer.append(buf, static_cast<std::size_t>(got));
      for (std::size_t nl; (nl = ch.buffer.find('\n')) != std::string::npos;) {
        std::string line = ch.buffer.substr(0, nl);
        ch.buffer.erase(0, nl + 1);
        json m = json::parse(line, nullptr, false);
        try {
          if (m.is_object() && m.contains("t")) handle(ch, m);
        } catch (const json::exception& e) {
          ch.error = std::string("a message the parent cannot read: ") + e.what();
          ch.ended = true;
        }
      }
    }
    if (timed && seconds_since(last_checkpoint) >= c.checkpoint_every_s && !stop_at) {
      last_checkpoint = Clock::now();
      RunResult cp = partial;
      for (const auto& ch : children) {
        cp.sequences += static_cast<int>(ch.sequences);
        cp.calls += ch.calls;
      }
      cp.coverage = reached_cov;
      cp.seconds = seconds_since(started);
      cp.passed = cp.failures.empty();
      cp.interrupted = true;
      reporter.checkpoint({cp});
    }
  }
  for (auto& ch : children)
    while (waitpid(ch.pid, &ch.status, 0) < 0 && errno == EINTR) {
    }
  unmap_shared(board, sizeof(Board));

  // The merge: worker order, then each worker's order; one failure per clause.
  RunResult total;
  total.seed = cfg.seed;
  std::string target_error;
  for (std::size_t k = 0; k < children.size(); ++k) {
    Child& ch = children[k];
    if (ch.result) {
      for (auto& f : ch.result->failures)
        all.push_back(std::move(f));
      merge(total.coverage, ch.result->coverage);
      total.sequences += ch.result->sequences;
      total.calls += ch.result->calls;
      total.aborted = total.aborted || ch.result->aborted;
      if (total.ended_early.empty()) total.ended_early = ch.result->ended_early;
      continue;
    }
    total.sequences += static_cast<int>(ch.sequences);
    total.calls += ch.calls;
    if (!ch.target_error.empty()) {
      if (target_error.empty()) target_error = ch.target_error;
    } else if (!killed || !*cfg.stop) {
      std::string why = !ch.error.empty() ? ch.error
                        : WIFSIGNALED(ch.status)
                            ? "killed by signal " + std::to_string(WTERMSIG(ch.status))
                            : "exit code " + std::to_string(WEXITSTATUS(ch.status));
      all.push_back(internal(
          "worker " + std::to_string(k) + " ended without its result (" + why + ")", cfg.seed));
    }
  }
  // A failure found by a worker that was killed before it ended (while shrinking): as found.
  for (auto& ch : children)
    if (!ch.result)
      for (auto& f : ch.found)
        all.push_back(std::move(f));
  // On a shared target, in the order they were found (the first failure is the first seen);
  // on a reset one, worker order (the same seed, the same verdicts).
  if (share)
    std::stable_sort(all.begin(), all.end(), [](const Failure& a, const Failure& b) {
      return a.seconds_to_first < b.seconds_to_first;
    });
  std::set<std::string> seen;
  for (auto& f : all)
    if (seen.insert(f.violation.clause).second &&
        (c.max_failures <= 0 || static_cast<int>(total.failures.size()) < c.max_failures))
      total.failures.push_back(std::move(f));
  if (!target_error.empty()) {
    if (total.failures.empty() && total.sequences == 0) {
      probe->stop();
      throw TargetError(target_error);
    }
    total.ended_early = "the target could not be reached again: " + target_error;
  }
  cfg.lease_probe = probe;
  finish_searches(c, cfg, total, *probe, started, calls_spent, *cfg.stop);
  return total;
}

}  // namespace conformance::engine
