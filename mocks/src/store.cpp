#include "store.hpp"

#include <uuid/uuid.h>

#include <algorithm>
#include <chrono>
#include <thread>

namespace dsmock::detail {

using nlohmann::json;

std::string new_uuid() {
  uuid_t u;
  uuid_generate_random(u);
  char buf[37];
  uuid_unparse_lower(u, buf);
  return buf;
}

std::uint32_t content_seed(const std::string& name) {
  std::uint32_t h = 2166136261u;
  for (unsigned char c : name) {
    h ^= c;
    h *= 16777619u;
  }
  return h;
}

namespace {

std::string hex_token() {
  std::string s = new_uuid() + new_uuid();
  std::string out;
  for (char c : s)
    if (c != '-') out.push_back(c);
  return out;
}

// Percent-encodes everything outside RFC 3986 unreserved characters.
std::string pct_encode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

ApiError session_not_found(const std::string& id) {
  return ApiError(ErrorType::NotFound, "com.vmware.content.library.item.downloadsession.not_found",
                  "Download session " + id + " does not exist.", {id});
}

ApiError item_not_found(const std::string& id) {
  return ApiError(ErrorType::NotFound, "com.vmware.content.library.item.not_found",
                  "Library item " + id + " does not exist.", {id});
}

ApiError foreign_unauthorized(const std::string& id) {
  return ApiError(ErrorType::Unauthorized, "com.vmware.vapi.std.errors.unauthorized",
                  "You are not allowed to access download session " + id + ".", {id});
}

// An opaque token of n characters of [0-9a-z].
std::string short_token(std::size_t n) {
  static const char* alphabet = "0123456789abcdefghijklmnopqrstuvwxyz";
  uuid_t u;
  uuid_generate_random(u);
  std::string out;
  for (std::size_t i = 0; i < n; ++i)
    out.push_back(alphabet[u[i % sizeof u] % 36]);
  return out;
}

const char* state_name(int s) {
  switch (s) {
    case 0:
      return "ACTIVE";
    case 1:
      return "CANCELED";
    default:
      return "ERROR";
  }
}

}  // namespace

Store::Store(const Options& options, const Faults& faults, const Variants& variants)
    : users_(options.users),
      items_(options.items),
      timeout_(std::max<Millis>(0, options.session_timeout.count())),
      prepare_delay_(std::max<Millis>(0, options.prepare_delay.count())),
      faults_(faults),
      variants_(variants),
      clock_(options.virtual_clock) {}

// --- login sessions ---------------------------------------------------------------------

std::string Store::login(const std::string& user, const std::string& password) {
  auto it = users_.find(user);
  if (it == users_.end() || it->second != password)
    throw ApiError(ErrorType::Unauthenticated, "com.vmware.vapi.endpoint.authentication.failed",
                   "Authentication failed: invalid user name or password.");
  std::lock_guard lock(mu_);
  Millis now = clock_.now();
  std::string token = hex_token();
  logins_[token] = Login{user, now, now};
  return token;
}

std::string Store::authenticate(const std::optional<std::string>& token, bool allow_no_auth) {
  if (!token || token->empty()) {
    if (allow_no_auth && faults_.has(Fault::NoAuth)) return "alice";
    throw unauthenticated();
  }
  std::lock_guard lock(mu_);
  auto it = logins_.find(*token);
  if (it == logins_.end()) throw unauthenticated();
  it->second.last_accessed = clock_.now();
  return it->second.user;
}

json Store::login_info(const std::optional<std::string>& token) {
  authenticate(token, false);
  std::lock_guard lock(mu_);
  auto it = logins_.find(*token);
  if (it == logins_.end()) throw unauthenticated();
  return {{"user", it->second.user},
          {"created_time", datetime(it->second.created)},
          {"last_accessed_time", datetime(it->second.last_accessed)}};
}

void Store::logout(const std::optional<std::string>& token) {
  if (!token) throw unauthenticated();
  std::lock_guard lock(mu_);
  if (logins_.erase(*token) == 0) throw unauthenticated();
}

// --- helpers ------------------------------------------------------------------------------

bool Store::expired(const Session& s, Millis now) const {
  if (s.removal_at && now > *s.removal_at) return true;
  if (faults_.has(Fault::NeverExpire)) return false;
  if (faults_.has(Fault::EarlyExpiry)) return now > s.expiration - timeout_ + timeout_ / 2;
  return now > add_capped(s.expiration, variants_.cleanup_grace_ms);
}

Millis Store::lease_end(Millis now) const {
  Millis end = add_capped(now, timeout_);
  if (variants_.datetime_form == Variants::DateTimeForm::Seconds) {
    Millis up = (end + 999) / 1000 * 1000;
    end = up <= Clock::kMax ? up : Clock::kMax / 1000 * 1000;
  }
  return end;
}

void Store::activity_locked(Session& s, Millis now) {
  if (variants_.renew_on_any_call) s.expiration = lease_end(now);
}

std::string Store::datetime(Millis t) const {
  std::string s = format_datetime(t);  // YYYY-MM-DDThh:mm:ss.sssZ
  switch (variants_.datetime_form) {
    case Variants::DateTimeForm::Millis:
      break;
    case Variants::DateTimeForm::Offset:
      s.replace(s.size() - 1, 1, "+00:00");
      break;
    case Variants::DateTimeForm::Seconds:
      s = s.substr(0, 19) + "Z";
      break;
  }
  return s;
}

std::string Store::new_session_id_locked() const {
  for (;;) {
    std::string id;
    switch (variants_.id_shape) {
      case Variants::IdShape::TwoUuids:
        id = new_uuid() + ":" + new_uuid();
        break;
      case Variants::IdShape::Uuid:
        id = new_uuid();
        break;
      case Variants::IdShape::Short:
        id = short_token(12);
        break;
    }
    if (!sessions_.count(id)) return id;
  }
}

void Store::purge_locked(Millis now) {
  bool any = false;
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    if (expired(it->second, now)) {
      it = sessions_.erase(it);
      any = true;
    } else {
      ++it;
    }
  }
  if (!any) return;
  if (!variants_.tokens_remembered)
    for (auto it = tokens_.begin(); it != tokens_.end();)
      it = sessions_.count(it->second.id) ? std::next(it) : tokens_.erase(it);
  for (auto it = downloads_.begin(); it != downloads_.end();)
    it = sessions_.count(it->second.first) ? std::next(it) : downloads_.erase(it);
}

Store::Session& Store::owned_locked(const std::string& user, const std::string& id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) throw session_not_found(id);
  if (it->second.owner != user) {
    switch (variants_.foreign) {
      case Variants::Foreign::NotFound:
        throw session_not_found(id);
      case Variants::Foreign::Unauthorized:
        throw foreign_unauthorized(id);
      case Variants::Foreign::Visible:
        break;
    }
  }
  return it->second;
}

const ItemFixture* Store::find_item(const std::string& id) const {
  for (const auto& item : items_)
    if (item.id == id) return &item;
  return nullptr;
}

std::pair<std::string, std::string> Store::token_key(const std::string& user,
                                                     const std::string& token) const {
  return {variants_.tokens_global ? std::string() : user, token};
}

std::optional<Store::TokenEntry> Store::token_lookup_locked(const std::string& user,
                                                            const std::string& token) {
  auto it = tokens_.find(token_key(user, token));
  if (it == tokens_.end()) return std::nullopt;
  // Deleted or expired: forget the token, unless tokens are remembered (the old id comes back).
  if (!sessions_.count(it->second.id) && !variants_.tokens_remembered) {
    tokens_.erase(it);
    return std::nullopt;
  }
  return it->second;
}

std::string Store::create_locked(const std::string& user, const ItemFixture* item,
                                 const std::string& item_id, Millis now) {
  Session s;
  s.id = new_session_id_locked();
  s.seq = next_seq_++;
  s.created = now;
  s.owner = user;
  s.library_item_id = item_id;
  s.content_version = item ? item->content_version : "1";
  s.expiration = lease_end(now);
  if (item)
    for (const auto& f : item->files) {
      FileState fs{f.name, f.size, {}, {}};
      fs.fails =
          variants_.failing_file == Variants::FailingFile::Named
              ? f.name == variants_.failing_file_name
              : variants_.failing_file == Variants::FailingFile::Last && &f == &item->files.back();
      s.files.push_back(std::move(fs));
    }
  std::string id = s.id;
  sessions_.emplace(id, std::move(s));
  return id;
}

Store::FileState* Store::find_file(Session& s, const std::string& name) {
  for (auto& f : s.files)
    if (f.name == name) return &f;
  return nullptr;
}

json Store::session_json(const Session& s) const {
  json j = {{"library_item_id", s.library_item_id},
            {"library_item_content_version", s.content_version},
            {"client_progress", s.client_progress},
            {"state", state_name(static_cast<int>(s.state))},
            {"expiration_time", faults_.has(Fault::BadDatetime) ? format_datetime_bad(s.expiration)
                                                                : datetime(s.expiration)}};
  if (variants_.id_in_get) j["id"] = s.id;
  if (variants_.extra_fields) {
    j["owner"] = s.owner;
    j["creation_time"] = datetime(s.created);
  }
  if (s.error_message) {
    const std::string& text = *s.error_message;
    switch (variants_.fail_message) {
      case Variants::FailMessage::Mock:
        j["error_message"] = {
            {"id", "com.vmware.content.library.item.downloadsession.client_error"},
            {"default_message", text},
            {"args", json::array({text})}};
        break;
      case Variants::FailMessage::Plain:
        j["error_message"] = {
            {"id", "com.vmware.content.library.item.downloadsession.client_failure"},
            {"default_message", text},
            {"args", json::array()},
            {"localized", text}};
        break;
      case Variants::FailMessage::Wrapped:
        j["error_message"] = {
            {"id", "com.vmware.content.library.item.downloadsession.client_error"},
            {"default_message", "The client reported an error: " + text},
            {"args", json::array({text})}};
        break;
    }
  }
  return j;
}

const char* Store::file_status(const FileState& f, Millis now) const {
  if (!f.prepare_requested_at) return "UNPREPARED";
  if (faults_.has(Fault::FilePrepareStuck)) return "PREPARE_REQUESTED";
  const Millis delay = variants_.prepare_timing == Variants::PrepareTiming::Clock
                           ? prepare_delay_
                           : std::max<Millis>(prepare_delay_, 1000);
  const Millis elapsed = now - *f.prepare_requested_at;
  if (variants_.prepare_requeued) {
    // prepare-requeue=once: staging starts at once, and its first attempt goes back to the
    // queue; a third of the delay each.
    static const char* const phases[] = {"PREPARING", "PREPARE_REQUESTED", "PREPARING", "PREPARED"};
    int step = elapsed >= delay ? 3 : static_cast<int>(elapsed * 3 / delay);
    if (variants_.prepare_timing == Variants::PrepareTiming::Polls)
      step = std::max(step, std::min(f.polls, 3));
    return step == 3 && f.fails ? "ERROR" : phases[step];
  }
  int step = elapsed >= delay ? 2 : elapsed < delay / 3 ? 0 : 1;
  if (variants_.prepare_timing == Variants::PrepareTiming::Polls)
    step = std::max(step, std::min(f.polls, 2));
  static const char* const names[] = {"PREPARE_REQUESTED", "PREPARING", "PREPARED"};
  return step == 2 && f.fails ? "ERROR" : names[step];
}

void Store::polled(FileState& f) const {
  if (variants_.prepare_timing == Variants::PrepareTiming::Polls && f.prepare_requested_at &&
      f.polls < (variants_.prepare_requeued ? 3 : 2))
    ++f.polls;
}

json Store::file_json(const Session& s, const FileState& f, Millis now,
                      const std::string& base_url) const {
  const std::string status = file_status(f, now);
  const bool prepared = status == "PREPARED";
  json j = {{"name", f.name},
            {"bytes_transferred", prepared && !variants_.bytes_transferred_zero ? f.size : 0},
            {"status", status}};
  if (prepared || variants_.size_always) j["size"] = f.size;
  if (prepared) {
    j["download_endpoint"] = {
        {"uri",
         f.direct ? "ds:///vmfs/volumes/mock-datastore/contentlib-" +
                        pct_encode(s.library_item_id) + "/" + pct_encode(f.name)
                  : base_url + "/mock/v1/download/" + f.download_token + "/" + pct_encode(f.name)}};
  }
  if (variants_.extra_fields) {
    j["storage_backing"] = "mock-datastore";
    if (prepared) j["download_endpoint"]["method"] = "GET";
  }
  if (status == "ERROR")
    j["error_message"] = {
        {"id", "com.vmware.content.library.item.downloadsession.file.prepare_failed"},
        {"default_message", "Preparing file '" + f.name +
                                "' failed: the storage backing reported an "
                                "I/O error."},
        {"args", json::array({f.name})}};
  return j;
}

// --- DownloadSession --------------------------------------------------------------------------

std::string Store::create(const std::string& user, const std::optional<std::string>& client_token,
                          const json& create_spec) {
  if (!create_spec.is_object())
    throw invalid_argument("the create spec must be a DownloadSessionModel object");
  auto lid = create_spec.find("library_item_id");
  if ((lid == create_spec.end() || lid->is_null()) && variants_.missing_item_not_found)
    throw ApiError(ErrorType::NotFound, "com.vmware.content.library.item.not_found",
                   "No library item was given: create_spec.library_item_id is unset.", {""});
  if (lid == create_spec.end() || !lid->is_string())
    throw invalid_argument("create_spec.library_item_id must be a string");
  if (variants_.unused_fields_rejected)
    for (const char* unused : {"id", "library_item_content_version", "error_message",
                               "client_progress", "state", "expiration_time"}) {
      auto f = create_spec.find(unused);
      if (f != create_spec.end() && !f->is_null())
        throw invalid_argument(std::string("create_spec.") + unused +
                               " is not used for create and must be unset");
    }
  const std::string item_id = lid->get<std::string>();
  const ItemFixture* item = find_item(item_id);
  const bool item_ok = item || faults_.has(Fault::CreateUnknownItemOk);
  const bool use_token = client_token && !faults_.has(Fault::ClientTokenIgnored);

  std::unique_lock lock(mu_);
  purge_locked(clock_.now());
  if (use_token) {
    if (auto t = token_lookup_locked(user, *client_token)) {
      if (variants_.token_other_spec_rejected && t->library_item_id != item_id)
        throw invalid_argument("client_token '" + *client_token +
                               "' was used to create a session for library item " +
                               t->library_item_id + ", not " + item_id);
      return t->id;
    }
    // Not atomic: another create with the token may run in between.
    if (faults_.has(Fault::TokenRace) || variants_.tokens_racy) {
      lock.unlock();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      lock.lock();
      purge_locked(clock_.now());
    }
  }
  if (!item_ok) throw item_not_found(item_id);
  std::string id = create_locked(user, item, item_id, clock_.now());
  if (use_token) tokens_[token_key(user, *client_token)] = TokenEntry{id, item_id};
  return id;
}

json Store::get(const std::string& user, const std::string& id) {
  std::unique_lock lock(mu_);
  const Millis now = clock_.now();
  purge_locked(now);
  auto it = sessions_.find(id);
  const bool foreign = it != sessions_.end() && it->second.owner != user;
  if (it == sessions_.end() || (foreign && variants_.foreign == Variants::Foreign::NotFound)) {
    if (faults_.has(Fault::UnknownId500))
      throw ApiError(ErrorType::InternalServerError,
                     "com.vmware.vapi.std.errors.internal_server_error",
                     "Internal server error while looking up download session " + id + ".", {id});
    throw session_not_found(id);
  }
  if (foreign && variants_.foreign == Variants::Foreign::Unauthorized)
    throw foreign_unauthorized(id);
  activity_locked(it->second, now);
  if (faults_.has(Fault::DeleteGetRace)) {
    // A stale write-back: the copy read before the pause is put back if it went meanwhile.
    Session copy = it->second;
    lock.unlock();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    lock.lock();
    sessions_.emplace(id, copy);
    return session_json(copy);
  }
  return session_json(it->second);
}

std::vector<std::string> Store::list(const std::string& user,
                                     const std::optional<std::string>& library_item_id) {
  if (library_item_id && !find_item(*library_item_id)) throw item_not_found(*library_item_id);
  std::lock_guard lock(mu_);
  purge_locked(clock_.now());
  const bool filter = library_item_id && !faults_.has(Fault::ListFilterIgnored);
  std::vector<const Session*> listed;  // by id, the map's order
  for (const auto& [id, s] : sessions_) {
    if (s.owner != user && !faults_.has(Fault::ListShowsOthers)) continue;
    if (filter && s.library_item_id != *library_item_id) continue;
    listed.push_back(&s);
  }
  if (variants_.list_order != Variants::ListOrder::ById) {
    const bool oldest_first = variants_.list_order == Variants::ListOrder::Creation;
    std::sort(listed.begin(), listed.end(), [oldest_first](const Session* a, const Session* b) {
      return oldest_first ? a->seq < b->seq : a->seq > b->seq;
    });
  }
  std::vector<std::string> ids;
  for (const Session* s : listed)
    ids.push_back(s->id);
  return ids;
}

namespace {
ApiError not_active(const std::string& id, const char* state, const std::string& op) {
  return ApiError(ErrorType::NotAllowedInCurrentState,
                  "com.vmware.content.library.item.downloadsession.invalid_state",
                  "Download session " + id + " is " + state + "; " + op + " requires state ACTIVE.",
                  {id, state, op});
}
}  // namespace

void Store::keep_alive(const std::string& user, const std::string& id,
                       std::optional<std::int64_t> progress) {
  std::unique_lock lock(mu_);
  Millis now = clock_.now();
  purge_locked(now);
  Session& s = owned_locked(user, id);
  if (s.state != State::Active) {
    if (faults_.has(Fault::WrongErrorType))
      throw invalid_argument("download session " + id + " is not ACTIVE");
    throw not_active(id, state_name(static_cast<int>(s.state)), "keep_alive");
  }
  if (progress) {
    // Every refusal comes before any change.
    std::int64_t p = *progress;
    bool store = !faults_.has(Fault::KeepaliveDropsProgress);
    if (p < 0 || p > 100) {
      switch (variants_.progress_range) {
        case Variants::ProgressRange::Reject:
          throw invalid_argument("progress must be between 0 and 100");
        case Variants::ProgressRange::Clamp:
          p = std::clamp<std::int64_t>(p, 0, 100);
          break;
        case Variants::ProgressRange::Ignore:
          store = false;
          break;
      }
    }
    if (store && p < s.client_progress) {
      switch (variants_.progress_decrease) {
        case Variants::ProgressDecrease::Accept:
          break;
        case Variants::ProgressDecrease::Ignore:
          store = false;
          break;
        case Variants::ProgressDecrease::Reject:
          throw invalid_argument("progress " + std::to_string(p) +
                                 " is lower than the current client_progress " +
                                 std::to_string(s.client_progress));
      }
    }
    if (store) s.client_progress = p;
  }
  if (!faults_.has(Fault::KeepaliveNoExtend)) s.expiration = lease_end(now);
  const bool cancel_race = faults_.has(Fault::KeepaliveCancelRace);
  const bool progress_race = faults_.has(Fault::ProgressLostUpdate) && !progress;
  if (cancel_race || progress_race) {
    // The keep_alive is done; then the session it read is written back after a pause (a
    // stale read-modify-write): only a call that lands in the pause is undone.
    const State read_state = s.state;
    const std::int64_t read_progress = s.client_progress;
    lock.unlock();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    lock.lock();
    auto it = sessions_.find(id);
    if (it == sessions_.end()) return;
    if (cancel_race && it->second.state == State::Canceled) {
      it->second.state = read_state;
      it->second.error_message.reset();
    }
    if (progress_race) it->second.client_progress = read_progress;
  }
}

void Store::cancel(const std::string& user, const std::string& id) {
  std::lock_guard lock(mu_);
  purge_locked(clock_.now());
  Session& s = owned_locked(user, id);
  if (s.state != State::Active && !faults_.has(Fault::CancelAnyState))
    throw not_active(id, state_name(static_cast<int>(s.state)), "cancel");
  activity_locked(s, clock_.now());
  if (faults_.has(Fault::CancelStaysActive)) return;
  if (variants_.cancel_removes) {
    erase_locked(id);
    return;
  }
  s.state = State::Canceled;
  s.error_message.reset();
}

void Store::fail(const std::string& user, const std::string& id, const std::string& message) {
  std::lock_guard lock(mu_);
  purge_locked(clock_.now());
  Session& s = owned_locked(user, id);
  if (s.state != State::Active) throw not_active(id, state_name(static_cast<int>(s.state)), "fail");
  activity_locked(s, clock_.now());
  if (variants_.fail_removes) {
    erase_locked(id);
    return;
  }
  s.state = faults_.has(Fault::FailSetsCanceled) ? State::Canceled : State::Error;
  if (!faults_.has(Fault::FailLosesMessage)) s.error_message = message;
}

void Store::remove(const std::string& user, const std::string& id) {
  std::lock_guard lock(mu_);
  purge_locked(clock_.now());
  Session& s = owned_locked(user, id);
  if (faults_.has(Fault::DeleteNoop)) return;
  if (variants_.delete_deferred_ms > 0) {
    if (s.removal_at) return;  // already being deleted
    if (s.state == State::Active) s.state = State::Canceled;
    s.removal_at = add_capped(clock_.now(), variants_.delete_deferred_ms);
    for (auto it = downloads_.begin(); it != downloads_.end();)
      it = it->second.first == id ? downloads_.erase(it) : std::next(it);
    return;
  }
  erase_locked(id);
}

void Store::erase_locked(const std::string& id) {
  sessions_.erase(id);
  if (!variants_.tokens_remembered)
    for (auto it = tokens_.begin(); it != tokens_.end();)
      it = it->second.id == id ? tokens_.erase(it) : std::next(it);
  for (auto it = downloads_.begin(); it != downloads_.end();)
    it = it->second.first == id ? downloads_.erase(it) : std::next(it);
}

void Store::require_session(const std::string& user, const std::string& id) {
  std::lock_guard lock(mu_);
  purge_locked(clock_.now());
  owned_locked(user, id);
}

// --- File -------------------------------------------------------------------------------------

json Store::file_list(const std::string& user, const std::string& id, const std::string& base_url) {
  std::lock_guard lock(mu_);
  Millis now = clock_.now();
  purge_locked(now);
  Session& s = owned_locked(user, id);
  activity_locked(s, now);
  std::vector<FileState*> files;
  for (auto& f : s.files)
    files.push_back(&f);
  if (variants_.file_list_order == Variants::FileListOrder::Name)
    std::sort(files.begin(), files.end(),
              [](const FileState* a, const FileState* b) { return a->name < b->name; });
  if (variants_.file_list_order == Variants::FileListOrder::Reversed)
    std::reverse(files.begin(), files.end());
  json out = json::array();
  for (FileState* f : files) {
    polled(*f);
    out.push_back(file_json(s, *f, now, base_url));
  }
  return out;
}

json Store::file_get(const std::string& user, const std::string& id, const std::string& file_name,
                     const std::string& base_url) {
  std::lock_guard lock(mu_);
  Millis now = clock_.now();
  purge_locked(now);
  Session& s = owned_locked(user, id);
  FileState* f = find_file(s, file_name);
  if (!f) {
    if (faults_.has(Fault::FileUnknownNameOk))
      return {{"name", file_name}, {"bytes_transferred", 0}, {"status", "UNPREPARED"}};
    throw invalid_argument("download session " + id + " has no file named '" + file_name + "'");
  }
  activity_locked(s, now);
  polled(*f);
  return file_json(s, *f, now, base_url);
}

json Store::file_prepare(const std::string& user, const std::string& id,
                         const std::string& file_name,
                         const std::optional<std::string>& endpoint_type,
                         const std::string& base_url) {
  std::lock_guard lock(mu_);
  Millis now = clock_.now();
  purge_locked(now);
  Session& s = owned_locked(user, id);
  auto check_state = [&] {
    if (s.state != State::Active && !variants_.prepare_inactive_allowed)
      throw not_active(id, state_name(static_cast<int>(s.state)), "File.prepare");
  };
  if (!variants_.prepare_arguments_first) check_state();
  FileState* f = find_file(s, file_name);
  if (!f)
    throw invalid_argument("download session " + id + " has no file named '" + file_name + "'");
  const std::string type = endpoint_type.value_or("HTTPS");
  if (type == "DIRECT" && !variants_.direct_allowed)
    throw ApiError(ErrorType::Unauthorized, "com.vmware.vapi.std.errors.unauthorized",
                   "The download session was not created with the ContentLibrary.ReadStorage "
                   "privilege required for DIRECT endpoints.");
  if (type != "HTTPS" && type != "DIRECT") {
    if (variants_.bad_endpoint_invalid_request)
      throw invalid_request("endpoint_type '" + type + "' is not a File.EndpointType");
    throw invalid_argument("endpoint_type must be HTTPS or DIRECT");
  }
  if (variants_.prepare_arguments_first) check_state();
  if (!f->prepare_requested_at) {
    f->prepare_requested_at = now;
    f->direct = type == "DIRECT";
    if (!f->direct) {
      f->download_token = hex_token();
      downloads_[f->download_token] = {s.id, f->name};
    }
  }
  activity_locked(s, now);
  return file_json(s, *f, now, base_url);
}

std::optional<DownloadFile> Store::download(const std::string& token,
                                            const std::string& file_name) {
  std::lock_guard lock(mu_);
  Millis now = clock_.now();
  purge_locked(now);
  auto d = downloads_.find(token);
  if (d == downloads_.end() || d->second.second != file_name) return std::nullopt;
  auto s = sessions_.find(d->second.first);
  if (s == sessions_.end() || s->second.state == State::Canceled || s->second.removal_at)
    return std::nullopt;
  FileState* f = find_file(s->second, file_name);
  if (!f || std::string(file_status(*f, now)) != "PREPARED") return std::nullopt;
  return DownloadFile{f->name, f->size};
}

// --- clock control ----------------------------------------------------------------------------

std::string Store::now_string() const {
  return format_datetime(clock_.now());
}

std::string Store::advance(Millis ms) {
  std::lock_guard lock(mu_);
  if (ms < 0) throw invalid_argument("milliseconds must be >= 0");
  if (!clock_.advance(ms)) throw invalid_argument("milliseconds would move the clock past 9999");
  return format_datetime(clock_.now());
}

void Store::reset() {
  std::lock_guard lock(mu_);
  sessions_.clear();
  next_seq_ = 0;
  tokens_.clear();
  downloads_.clear();
  clock_.reset();
}

}  // namespace dsmock::detail
