// mock-load: one client thread, its ledger, and the two call mixes.
//
// The ledger is what the client believes the server holds for it: its live sessions (state,
// progress, client_token, error message, prepared files), the ids it deleted and the tokens of
// deleted sessions. Every answer is checked against the prediction the ledger makes from
// docs/mock.md and /work/shared/api/downloadsession-api.md (§3.3, §6); the ledger changes only on
// the expected success, so a wrong answer is reported once at the call that gave it.
#include <algorithm>
#include <thread>

#include "conn.hpp"
#include "load.hpp"

namespace load {

namespace {

bool has_str(const json& v, const char* k, const std::string& want) {
  auto it = v.find(k);
  return it != v.end() && it->is_string() && it->get_ref<const std::string&>() == want;
}

bool has_int(const json& v, const char* k, std::int64_t want) {
  auto it = v.find(k);
  return it != v.end() && it->is_number_integer() && it->get<std::int64_t>() == want;
}

// YYYY-MM-DDThh:mm:ss.sssZ
bool is_datetime(const json& v) {
  if (!v.is_string()) return false;
  const auto& s = v.get_ref<const std::string&>();
  if (s.size() != 24) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const char want = i == 4 || i == 7     ? '-'
                      : i == 10            ? 'T'
                      : i == 13 || i == 16 ? ':'
                      : i == 19            ? '.'
                      : i == 23            ? 'Z'
                                           : '0';
    if (want == '0' ? (c < '0' || c > '9') : c != want) return false;
  }
  return true;
}

std::string join_some(const std::vector<std::string>& v, std::size_t n = 3) {
  std::string out;
  for (std::size_t i = 0; i < v.size() && i < n; ++i)
    out += (i ? ", " : "") + v[i];
  if (v.size() > n) out += ", ... (" + std::to_string(v.size()) + " in all)";
  return out;
}

}  // namespace

std::string info_problem(const json& v, const Session& s, const dsmock::ItemFixture& it) {
  const bool err = s.state == State::Error;
  if (!v.is_object()) return "the result (not an object)";
  if (!has_str(v, "id", s.id)) return "id";
  if (!has_str(v, "library_item_id", it.id)) return "library_item_id";
  if (!has_str(v, "library_item_content_version", it.content_version))
    return "library_item_content_version";
  if (!has_int(v, "client_progress", s.progress)) return "client_progress";
  if (!has_str(v, "state", state_name(s.state))) return "state";
  if (!v.contains("expiration_time") || !is_datetime(v["expiration_time"]))
    return "expiration_time (not YYYY-MM-DDThh:mm:ss.sssZ)";
  if (err != v.contains("error_message") ||
      (err && !(v["error_message"].is_object() &&
                has_str(v["error_message"], "default_message", s.error_message))))
    return "error_message";
  if (v.size() != (err ? 7u : 6u)) return "the set of fields";
  return "";
}

namespace {

constexpr std::size_t kRemembered = 32;  // deleted ids and dead tokens kept for replays/probes
constexpr int kThroughputSessions = 4;

class Client {
 public:
  Client(Shared& sh, ClientResult& out)
      : sh_(sh),
        cfg_(sh.cfg),
        out_(out),
        conn_(cfg_.url, cfg_.binding, true, &out.stats),
        rng_(cfg_.seed * 0x9E3779B97F4A7C15ull + static_cast<std::uint64_t>(out.index) + 1) {}

  bool login() {
    Answer a = conn_.login(cfg_.users[out_.user]);
    if (conn_.token().empty()) {
      sh_.violations.add("client " + std::to_string(out_.index) + ": login as '" +
                         cfg_.users[out_.user].name + "' failed: " + a.brief());
      return false;
    }
    out_.token = conn_.token();
    return true;
  }

  void setup() {
    if (cfg_.mix != Mix::Throughput) return;
    for (int k = 0; k < kThroughputSessions; ++k)
      create(static_cast<std::size_t>(k) % cfg_.items.size(), std::nullopt);
  }

  void run() {
    // Setup calls are neither timed nor counted; their violations are kept.
    const Stats setup = out_.stats;
    out_.stats = Stats{};
    out_.stats.mismatches = setup.mismatches;
    out_.stats.status_5xx = setup.status_5xx;
    out_.stats.transport_errors = setup.transport_errors;
    std::uint64_t reported = 0;
    if (cfg_.mix == Mix::Throughput && live_.empty()) {
      sh_.violations.add(where() + ": throughput mix: setup created no session");
      ++out_.stats.mismatches;
      return;
    }
    const auto target = static_cast<std::uint64_t>(cfg_.calls);
    while (out_.stats.calls < target && !sh_.abort.load(std::memory_order_relaxed)) {
      if (cfg_.mix == Mix::Throughput) {
        throughput_step();
      } else {
        realistic_step();
      }
      sh_.calls.fetch_add(out_.stats.calls - reported, std::memory_order_relaxed);
      reported = out_.stats.calls;
    }
    out_.ledger = std::move(live_);
  }

 private:
  // --- bookkeeping --------------------------------------------------------------------------
  std::uint64_t rnd(std::uint64_t n) { return n ? rng_() % n : 0; }
  bool chance(int percent) { return rnd(100) < static_cast<std::uint64_t>(percent); }
  const dsmock::ItemFixture& item(const Session& s) const { return cfg_.items[s.item]; }
  bool own_user() const { return cfg_.users.size() >= static_cast<std::size_t>(cfg_.clients); }

  std::string where() const {
    return "client " + std::to_string(out_.index) + " (user " + cfg_.users[out_.user].name +
           ") call " + std::to_string(out_.stats.calls);
  }

  static std::string describe(const Session& s) {
    return "ledger: " + s.id + " " + state_name(s.state) + " progress " +
           std::to_string(s.progress) + (s.token ? " with client_token" : "");
  }

  void report(const Answer& a, const std::string& what) {
    if (a.transport_error()) {
      if (sh_.transport_errors.fetch_add(1) + 1 > 50) sh_.abort = true;
    } else if (a.status < 500) {
      ++out_.stats.mismatches;
    }
    sh_.violations.add(where() + ": " + a.request + ": " + what + "; got " + a.brief());
  }

  // Checks the status (and error_type when given); reports and returns false otherwise.
  bool expect(const Answer& a, int status, const char* error_type, const std::string& why) {
    if (a.status == status && (!error_type || a.error_type() == error_type)) return true;
    report(a, "expected " + std::to_string(status) +
                  (error_type ? " " + std::string(error_type) : std::string()) + " (" + why + ")");
    return false;
  }
  bool expect_not_found(const Answer& a, const std::string& why) {
    return expect(a, 404, "NOT_FOUND", why);
  }

  std::string fresh_token() {
    return "load-" + cfg_.run_tag + "-c" + std::to_string(out_.index) + "-t" +
           std::to_string(++tokens_made_);
  }

  std::string random_id() {
    static const char* hex = "0123456789abcdef";
    std::string s;
    for (int part = 0; part < 2; ++part) {
      if (part) s += ':';
      for (int i = 0; i < 36; ++i)
        s += (i == 8 || i == 13 || i == 18 || i == 23) ? '-' : hex[rnd(16)];
    }
    return s;
  }

  Session* find(const std::string& id) {
    for (auto& s : live_)
      if (s.id == id) return &s;
    return nullptr;
  }
  bool is_gone(const std::string& id) const {
    return std::find(gone_.begin(), gone_.end(), id) != gone_.end();
  }
  Session& pick() { return live_[rnd(live_.size())]; }

  void remember(std::vector<std::string>& ring, std::string v) {
    if (ring.size() >= kRemembered) ring.erase(ring.begin());
    ring.push_back(std::move(v));
  }

  void add(const std::string& id, std::size_t item_idx, std::optional<std::string> token) {
    Session s;
    s.id = id;
    s.item = item_idx;
    s.token = std::move(token);
    s.prepared.assign(cfg_.items[item_idx].files.size(), false);
    live_.push_back(std::move(s));
    auto& slot = sh_.published[static_cast<std::size_t>(out_.index)];
    std::lock_guard lock(slot.mu);
    slot.id = id;
  }

  void forget(const std::string& id) {
    auto it =
        std::find_if(live_.begin(), live_.end(), [&](const Session& s) { return s.id == id; });
    if (it == live_.end()) return;
    if (it->token) remember(dead_tokens_, *it->token);
    remember(gone_, id);
    live_.erase(it);
  }

  // The id a successful create returned, or "" (reported) when the answer is wrong.
  std::string created_id(const Answer& a, const std::string& why) {
    if (!expect(a, conn_.ok_create(), nullptr, why)) return "";
    if (!a.value().is_string() || a.value().get_ref<const std::string&>().empty()) {
      report(a, why + ": the result is not a session id string");
      return "";
    }
    return a.value().get<std::string>();
  }

  // --- checks of answer bodies ----------------------------------------------------------------
  void check_info(const Answer& a, const Session& s) {
    const std::string bad = info_problem(a.value(), s, item(s));
    if (!bad.empty()) report(a, "get: " + bad + " disagrees with the " + describe(s));
  }

  // One File.Info against the ledger's view of the file.
  std::string file_problem(const json& v, const dsmock::FileFixture& f, bool prepared) const {
    if (!v.is_object()) return "not an object";
    if (!has_str(v, "name", f.name)) return "name (want " + f.name + ")";
    const auto st = v.find("status");
    if (st == v.end() || !st->is_string()) return "status missing";
    const std::string& status = st->get_ref<const std::string&>();
    if (!prepared) {
      if (status != "UNPREPARED") return "status " + status + " (want UNPREPARED)";
      if (!has_int(v, "bytes_transferred", 0)) return "bytes_transferred (want 0)";
      return "";
    }
    if (status == "PREPARED") {
      if (!has_int(v, "size", f.size) || !has_int(v, "bytes_transferred", f.size))
        return "size/bytes_transferred (want " + std::to_string(f.size) + ")";
      if (!v.contains("download_endpoint") || !v["download_endpoint"].is_object() ||
          !v["download_endpoint"].contains("uri") || !v["download_endpoint"]["uri"].is_string())
        return "download_endpoint.uri missing";
      return "";
    }
    if (!cfg_.strict_prepare && (status == "PREPARE_REQUESTED" || status == "PREPARING")) return "";
    return "status " + status + " (want PREPARED)";
  }

  // --- operations -----------------------------------------------------------------------------
  void create(std::size_t item_idx, std::optional<std::string> token) {
    Answer a = conn_.create(cfg_.items[item_idx].id, token);
    const std::string id = created_id(a, token ? "create with a fresh client_token" : "create");
    if (id.empty()) return;
    if (find(id) || is_gone(id)) {
      report(a, "create returned an id the client already had: " + id);
      return;
    }
    add(id, item_idx, std::move(token));
  }

  void op_create(bool with_token) {
    if (live_.size() >= static_cast<std::size_t>(cfg_.max_live)) return op_delete();
    create(rnd(cfg_.items.size()), with_token ? std::optional(fresh_token()) : std::nullopt);
  }

  void op_create_unknown_item() {
    Answer a = conn_.create("00000000-0000-0000-0000-00000000load", std::nullopt);
    if (!expect_not_found(a, "create with an unknown library item")) {
      if (a.status == conn_.ok_create() && a.value().is_string())  // keep the ledger true
        add(a.value().get<std::string>(), 0, std::nullopt);
    }
  }

  // Replays the client_token of one of its live sessions (any state), sometimes with another
  // item: the same id comes back and nothing is created.
  void op_replay_live() {
    std::vector<std::size_t> with;
    for (std::size_t i = 0; i < live_.size(); ++i)
      if (live_[i].token) with.push_back(i);
    if (with.empty()) return op_create(true);
    Session& s = live_[with[rnd(with.size())]];
    const std::size_t item_idx = chance(50) ? s.item : rnd(cfg_.items.size());
    Answer a = conn_.create(cfg_.items[item_idx].id, s.token);
    const std::string id = created_id(a, "client_token replay");
    if (id.empty()) return;
    if (id != s.id) {
      report(a, "a client_token replay returned " + id + " instead of its session; " + describe(s));
      if (!find(id)) add(id, item_idx, std::nullopt);
    }
  }

  // Replays the token of a session it deleted: the token was forgotten, so a new session.
  void op_replay_dead() {
    if (dead_tokens_.empty()) return op_create(true);
    if (live_.size() >= static_cast<std::size_t>(cfg_.max_live)) return op_delete();
    const std::size_t k = rnd(dead_tokens_.size());
    std::string token = dead_tokens_[k];
    dead_tokens_.erase(dead_tokens_.begin() + static_cast<std::ptrdiff_t>(k));
    const std::size_t item_idx = rnd(cfg_.items.size());
    Answer a = conn_.create(cfg_.items[item_idx].id, token);
    const std::string id = created_id(a, "replay of a deleted session's client_token");
    if (id.empty()) return;
    if (find(id) || is_gone(id)) {
      report(a, "the token of a deleted session still maps to " + id);
      return;
    }
    add(id, item_idx, std::move(token));
  }

  // Two creates with one fresh client_token at the same time on two connections: one session.
  void op_race() {
    if (live_.size() >= static_cast<std::size_t>(cfg_.max_live)) return op_delete();
    const std::string token = fresh_token();
    const std::size_t item_idx = rnd(cfg_.items.size());
    Stats side;
    Answer other;
    std::thread helper([&] {
      Conn c(cfg_.url, cfg_.binding, false, &side);
      c.set_token(conn_.token());
      other = c.create(cfg_.items[item_idx].id, token);
    });
    Answer mine = conn_.create(cfg_.items[item_idx].id, token);
    helper.join();
    out_.stats.merge(side);
    const std::string a = created_id(mine, "concurrent create with a shared client_token");
    const std::string b = created_id(other, "concurrent create with a shared client_token");
    if (!a.empty() && !b.empty() && a != b) {
      report(other,
             "two concurrent creates with one client_token made two sessions: " + a + " and " + b);
      add(a, item_idx, std::nullopt);
      add(b, item_idx, std::nullopt);
      return;
    }
    const std::string& id = a.empty() ? b : a;
    if (!id.empty() && !find(id) && !is_gone(id)) add(id, item_idx, token);
  }

  void op_get() {
    Session& s = pick();
    Answer a = conn_.get(s.id);
    if (expect(a, 200, nullptr, std::string("get of a live session; ") + describe(s)))
      check_info(a, s);
  }

  void op_list() {
    std::optional<std::size_t> filter;
    if (chance(33)) filter = rnd(cfg_.items.size());
    Answer a = conn_.list(filter ? std::optional(cfg_.items[*filter].id) : std::nullopt);
    if (!expect(a, 200, nullptr, "list")) return;
    const json& v = a.value();
    std::vector<std::string> got, want;
    if (!v.is_array()) return report(a, "list: the result is not an array");
    for (const auto& e : v) {
      if (!e.is_string()) return report(a, "list: an element is not a string");
      got.push_back(e.get<std::string>());
    }
    for (const auto& s : live_)
      if (!filter || s.item == *filter) want.push_back(s.id);
    std::sort(got.begin(), got.end());
    std::sort(want.begin(), want.end());
    std::vector<std::string> missing, extra, dup;
    std::set_difference(want.begin(), want.end(), got.begin(), got.end(),
                        std::back_inserter(missing));
    std::set_difference(got.begin(), got.end(), want.begin(), want.end(),
                        std::back_inserter(extra));
    for (std::size_t i = 1; i < got.size(); ++i)
      if (got[i] == got[i - 1]) dup.push_back(got[i]);
    if (!own_user())  // other clients of this user add sessions: only its own deleted ones count
      extra.erase(std::remove_if(extra.begin(), extra.end(),
                                 [&](const std::string& id) { return !is_gone(id); }),
                  extra.end());
    if (missing.empty() && extra.empty() && dup.empty()) return;
    report(a, std::string("list") + (filter ? " (filtered by item)" : "") +
                  " disagrees with the ledger: missing [" + join_some(missing) + "], extra [" +
                  join_some(extra) + "], duplicated [" + join_some(dup) + "]");
  }

  void op_keep_alive() {
    Session& s = pick();
    std::optional<std::int64_t> progress;
    bool out_of_range = false;
    if (chance(8)) {
      progress = chance(50) ? 101 : -1;
      out_of_range = true;
    } else if (chance(10)) {
      progress = std::nullopt;  // empty body
    } else if (chance(10)) {
      progress = static_cast<std::int64_t>(rnd(101));  // may go down: stored as sent
    } else {
      progress = std::min<std::int64_t>(100, s.progress + static_cast<std::int64_t>(rnd(16)));
    }
    Answer a = conn_.keep_alive(s.id, progress);
    if (s.state != State::Active) {
      expect(a, 400, "NOT_ALLOWED_IN_CURRENT_STATE", "keep_alive; " + describe(s));
    } else if (out_of_range) {
      expect(a, 400, "INVALID_ARGUMENT", "keep_alive with progress " + std::to_string(*progress));
    } else if (expect(a, conn_.ok_void(), nullptr, "keep_alive; " + describe(s)) && progress) {
      s.progress = *progress;
    }
  }

  void op_cancel() {
    Session& s = pick();
    Answer a = conn_.cancel(s.id);
    if (s.state != State::Active) {
      expect(a, 400, "NOT_ALLOWED_IN_CURRENT_STATE", "cancel; " + describe(s));
    } else if (expect(a, conn_.ok_void(), nullptr, "cancel; " + describe(s))) {
      s.state = State::Canceled;
    }
  }

  void op_fail() {
    Session& s = pick();
    const std::string msg = "load client " + std::to_string(out_.index) + " call " +
                            std::to_string(out_.stats.calls) + ": disk full";
    Answer a = conn_.fail(s.id, msg);
    if (s.state != State::Active) {
      expect(a, 400, "NOT_ALLOWED_IN_CURRENT_STATE", "fail; " + describe(s));
    } else if (expect(a, conn_.ok_void(), nullptr, "fail; " + describe(s))) {
      s.state = State::Error;
      s.error_message = msg;
    }
  }

  void op_delete() {
    if (live_.empty()) return op_create(false);
    const Session& s = pick();
    const std::string id = s.id;
    Answer a = conn_.del(id);
    if (expect(a, conn_.ok_void(), nullptr, "delete; " + describe(s))) forget(id);
  }

  // An operation on a session it deleted (or never had): 404 NOT_FOUND.
  void op_probe_gone() {
    const std::string id = gone_.empty() || chance(20) ? random_id() : gone_[rnd(gone_.size())];
    Answer a;
    switch (rnd(6)) {
      case 0:
        a = conn_.get(id);
        break;
      case 1:
        a = conn_.keep_alive(id, 10);
        break;
      case 2:
        a = conn_.cancel(id);
        break;
      case 3:
        a = conn_.fail(id, "gone");
        break;
      case 4:
        a = conn_.del(id);
        break;
      default:
        a = conn_.file_list(id);
        break;
    }
    expect_not_found(a, "a deleted or unknown session");
  }

  // get / keep_alive / delete of another user's latest session: 404 NOT_FOUND.
  void op_foreign() {
    const auto n = static_cast<std::size_t>(cfg_.clients);
    std::string id;
    for (int attempt = 0; attempt < 4 && id.empty(); ++attempt) {
      const std::size_t j = rnd(n);
      if (j % cfg_.users.size() == out_.user) continue;
      auto& slot = sh_.published[j];
      std::lock_guard lock(slot.mu);
      id = slot.id;
    }
    if (id.empty()) return op_get();
    Answer a;
    switch (rnd(3)) {
      case 0:
        a = conn_.get(id);
        break;
      case 1:
        a = conn_.keep_alive(id, 50);
        break;
      default:
        a = conn_.del(id);
        break;
    }
    expect_not_found(a, "another user's session");
  }

  void op_file_list() {
    Session& s = pick();
    const auto& files = item(s).files;
    Answer a = conn_.file_list(s.id);
    if (!expect(a, 200, nullptr, "File.list; " + describe(s))) return;
    const json& v = a.value();
    if (!v.is_array() || v.size() != files.size())
      return report(a, "File.list: want an array of " + std::to_string(files.size()) + " files");
    for (std::size_t i = 0; i < files.size(); ++i) {
      const std::string p = file_problem(v[i], files[i], s.prepared[i]);
      if (!p.empty())
        return report(a, "File.list[" + std::to_string(i) + "]: " + p + "; " + describe(s));
    }
  }

  void op_file_get() {
    Session& s = pick();
    const auto& files = item(s).files;
    if (files.empty() || chance(10)) {
      Answer a = conn_.file_get(s.id, "no-such-file.bin");
      expect(a, 400, "INVALID_ARGUMENT", "File.get of an unknown file name");
      return;
    }
    const std::size_t f = rnd(files.size());
    Answer a = conn_.file_get(s.id, files[f].name);
    if (!expect(a, 200, nullptr, "File.get; " + describe(s))) return;
    const std::string p = file_problem(a.value(), files[f], s.prepared[f]);
    if (!p.empty()) report(a, "File.get: " + p + "; " + describe(s));
  }

  void op_file_prepare() {
    Session& s = pick();
    const auto& files = item(s).files;
    const bool unknown = files.empty() || chance(10);
    const std::size_t f = unknown ? 0 : rnd(files.size());
    Answer a = conn_.file_prepare(s.id, unknown ? "no-such-file.bin" : files[f].name);
    if (s.state != State::Active) {
      expect(a, 400, "NOT_ALLOWED_IN_CURRENT_STATE", "File.prepare; " + describe(s));
    } else if (unknown) {
      expect(a, 400, "INVALID_ARGUMENT", "File.prepare of an unknown file name");
    } else if (expect(a, 200, nullptr, "File.prepare; " + describe(s))) {
      const std::string p = file_problem(a.value(), files[f], true);
      if (!p.empty()) report(a, "File.prepare: " + p + "; " + describe(s));
      s.prepared[f] = true;
    }
  }

  // --- mixes ----------------------------------------------------------------------------------
  void realistic_step() {
    if (live_.empty()) return op_create(chance(50));
    if (rnd(1000) < static_cast<std::uint64_t>(cfg_.race_per_mille)) return op_race();
    struct W {
      int weight;
      void (Client::*op)();
    };
    static const W ops[] = {
        {6, &Client::op_create_plain},
        {5, &Client::op_create_token},
        {3, &Client::op_replay_live},
        {1, &Client::op_replay_dead},
        {1, &Client::op_create_unknown_item},
        {14, &Client::op_get},
        {3, &Client::op_probe_gone},
        {7, &Client::op_list},
        {14, &Client::op_keep_alive},
        {4, &Client::op_cancel},
        {3, &Client::op_fail},
        {12, &Client::op_delete},
        {6, &Client::op_file_list},
        {6, &Client::op_file_get},
        {6, &Client::op_file_prepare},
        {3, &Client::op_foreign},
    };
    static const int total = [] {
      int t = 0;
      for (const auto& w : ops)
        t += w.weight;
      return t;
    }();
    auto r = static_cast<int>(rnd(static_cast<std::uint64_t>(total)));
    for (const auto& w : ops) {
      if (r < w.weight) return (this->*w.op)();
      r -= w.weight;
    }
  }
  void op_create_plain() { op_create(false); }
  void op_create_token() { op_create(true); }

  // get, list, keep_alive in turn on the sessions made in setup().
  void throughput_step() {
    const std::uint64_t i = step_++;
    Session& s = live_[(i / 3) % live_.size()];
    switch (i % 3) {
      case 0:
        return op_get_of(s);
      case 1:
        return op_list();
      default: {
        const auto progress = static_cast<std::int64_t>((i / 3) % 101);
        Answer a = conn_.keep_alive(s.id, progress);
        if (expect(a, conn_.ok_void(), nullptr, "keep_alive; " + describe(s)))
          s.progress = progress;
      }
    }
  }
  void op_get_of(Session& s) {
    Answer a = conn_.get(s.id);
    if (expect(a, 200, nullptr, "get; " + describe(s))) check_info(a, s);
  }

  Shared& sh_;
  const Config& cfg_;
  ClientResult& out_;
  Conn conn_;
  std::mt19937_64 rng_;
  std::vector<Session> live_;
  std::vector<std::string> gone_, dead_tokens_;
  std::uint64_t tokens_made_ = 0, step_ = 0;
};

}  // namespace

void run_client(Shared& shared, ClientResult& out, const std::function<void()>& ready_and_wait) {
  Client c(shared, out);
  const bool ok = c.login();
  if (ok) c.setup();
  ready_and_wait();
  if (ok) c.run();
}

}  // namespace load
