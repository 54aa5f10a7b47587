// The mock's state and the binding-independent implementation of every operation.
// All methods are thread-safe (one mutex); they throw ApiError for documented errors.
#pragma once

#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "clock.hpp"
#include "dsmock/server.hpp"
#include "errors.hpp"
#include "faults.hpp"
#include "variants.hpp"

namespace dsmock::detail {

// What a download URL serves.
struct DownloadFile {
  std::string name;
  std::int64_t size = 0;
};

class Store {
 public:
  Store(const Options& options, const Faults& faults, const Variants& variants);

  const Faults& faults() const { return faults_; }
  const Variants& variants() const { return variants_; }
  bool virtual_clock() const { return clock_.is_virtual(); }

  // --- login sessions -------------------------------------------------------------------
  std::string login(const std::string& user, const std::string& password);
  // The user owning `token`; a missing token is alice under the `no-auth` fault when
  // allow_no_auth is set. Throws UNAUTHENTICATED.
  std::string authenticate(const std::optional<std::string>& token, bool allow_no_auth = true);
  nlohmann::json login_info(const std::optional<std::string>& token);
  void logout(const std::optional<std::string>& token);

  // --- DownloadSession -----------------------------------------------------------------
  std::string create(const std::string& user, const std::optional<std::string>& client_token,
                     const nlohmann::json& create_spec);
  nlohmann::json get(const std::string& user, const std::string& id);
  std::vector<std::string> list(const std::string& user,
                                const std::optional<std::string>& library_item_id);
  void keep_alive(const std::string& user, const std::string& id,
                  std::optional<std::int64_t> progress);
  void cancel(const std::string& user, const std::string& id);
  void fail(const std::string& user, const std::string& id, const std::string& message);
  void remove(const std::string& user, const std::string& id);
  // Throws what any operation on the session would (NOT_FOUND, or UNAUTHORIZED under
  // foreign-sessions=unauthorized); for body-check-order=session-first.
  void require_session(const std::string& user, const std::string& id);

  // --- downloadsession.File (base_url: scheme://host:port used in download URIs) --------
  nlohmann::json file_list(const std::string& user, const std::string& id,
                           const std::string& base_url);
  nlohmann::json file_get(const std::string& user, const std::string& id,
                          const std::string& file_name, const std::string& base_url);
  nlohmann::json file_prepare(const std::string& user, const std::string& id,
                              const std::string& file_name,
                              const std::optional<std::string>& endpoint_type,
                              const std::string& base_url);

  // The file a download token serves right now, if any.
  std::optional<DownloadFile> download(const std::string& token, const std::string& file_name);

  // --- virtual clock control -----------------------------------------------------------
  std::string now_string() const;
  std::string advance(Millis ms);  // throws INVALID_ARGUMENT when out of range
  void reset();

 private:
  enum class State { Active, Canceled, Error };
  struct FileState {
    std::string name;
    std::int64_t size = 0;
    std::optional<Millis> prepare_requested_at;
    std::string download_token;  // empty for a DIRECT endpoint
    bool direct = false;         // first prepared with endpoint_type DIRECT
    bool fails = false;          // its preparation ends in ERROR (file-prepare-error)
    int polls = 0;               // File.get/File.list answers since prepare (prepare-timing)
  };
  struct Session {
    std::string id;
    std::uint64_t seq = 0;  // creation order
    Millis created = 0;
    std::string owner;
    std::string library_item_id;
    std::string content_version;
    std::int64_t client_progress = 0;
    State state = State::Active;
    Millis expiration = 0;
    std::optional<std::string> error_message;
    std::vector<FileState> files;
    std::optional<Millis> removal_at;  // deleted, gone after this (delete-effect=deferred)
  };
  struct Login {
    std::string user;
    Millis created = 0;
    Millis last_accessed = 0;
  };

  void purge_locked(Millis now);
  // The end of a lease renewed at `now` (on a whole second under datetime-form=seconds).
  Millis lease_end(Millis now) const;
  // lease-renewal=any-call: a successful call renews the session's lease.
  void activity_locked(Session& s, Millis now);
  std::string datetime(Millis t) const;  // in the datetime-form variant's form
  std::string new_session_id_locked() const;
  bool expired(const Session& s, Millis now) const;
  Session& owned_locked(const std::string& user, const std::string& id);
  // Removes the session now, as delete does: its download URLs stop, and its client token is
  // forgotten (unless client-token-after-removal=remember).
  void erase_locked(const std::string& id);
  const ItemFixture* find_item(const std::string& id) const;
  // What a client_token stands for: the session it created, for which library item.
  struct TokenEntry {
    std::string id;
    std::string library_item_id;
  };
  // (user, token), or ("", token) when tokens are global (client-token-scope).
  std::pair<std::string, std::string> token_key(const std::string& user,
                                                const std::string& token) const;
  std::optional<TokenEntry> token_lookup_locked(const std::string& user, const std::string& token);
  std::string create_locked(const std::string& user, const ItemFixture* item,
                            const std::string& item_id, Millis now);
  nlohmann::json session_json(const Session& s) const;
  nlohmann::json file_json(const Session& s, const FileState& f, Millis now,
                           const std::string& base_url) const;
  const char* file_status(const FileState& f, Millis now) const;
  // A File.get/File.list answer shows the file: under prepare-timing=polls it moves a step.
  void polled(FileState& f) const;
  static FileState* find_file(Session& s, const std::string& name);

  std::map<std::string, std::string> users_;
  std::vector<ItemFixture> items_;
  Millis timeout_;
  Millis prepare_delay_;
  Faults faults_;
  Variants variants_;
  Clock clock_;

  mutable std::mutex mu_;
  std::map<std::string, Login> logins_;      // token -> login
  std::map<std::string, Session> sessions_;  // id -> session
  std::uint64_t next_seq_ = 0;
  std::map<std::pair<std::string, std::string>, TokenEntry> tokens_;      // token_key -> session
  std::map<std::string, std::pair<std::string, std::string>> downloads_;  // token -> (id, file)
};

std::string new_uuid();
// Deterministic content: byte i of file `name` is (i * 31 + seed(name)) & 0xff, where
// seed is the 32-bit FNV-1a hash of the name's bytes.
std::uint32_t content_seed(const std::string& name);

}  // namespace dsmock::detail
