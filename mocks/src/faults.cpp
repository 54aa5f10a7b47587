#include "faults.hpp"

#include <stdexcept>

#include "dsmock/server.hpp"

namespace dsmock {

// The order matches detail::Fault.
const std::vector<FaultInfo>& fault_catalogue() {
  static const std::vector<FaultInfo> catalogue = {
      {"cancel-stays-active", "cancel.sets_canceled",
       "cancel answers success but the session stays ACTIVE"},
      {"cancel-any-state", "cancel.requires_active",
       "cancel succeeds on CANCELED/ERROR sessions; the state becomes CANCELED"},
      {"fail-sets-canceled", "fail.sets_error",
       "fail moves the session to CANCELED instead of ERROR (the message is still stored)"},
      {"fail-loses-message", "fail.stores_message",
       "fail moves the session to ERROR but error_message stays absent"},
      {"client-token-ignored", "create.client_token_idempotent",
       "every create makes a new session, whatever its client_token"},
      {"keepalive-no-extend", "keep_alive.extends_lease",
       "keep_alive leaves expiration_time unchanged"},
      {"early-expiry", "lease.not_before_expiration",
       "sessions vanish at half their timeout, before expiration_time"},
      {"never-expire", "lease.expires_after_timeout", "sessions never expire"},
      {"delete-noop", "delete.removes", "delete answers success but the session stays"},
      {"unknown-id-500", "get.requires_exists",
       "get of an unknown or gone session answers 500 INTERNAL_SERVER_ERROR instead of 404"},
      {"wrong-error-type", "keep_alive.requires_active",
       "keep_alive on a non-ACTIVE session answers 400 INVALID_ARGUMENT instead of "
       "NOT_ALLOWED_IN_CURRENT_STATE"},
      {"list-shows-others", "list.owner_only", "list includes other users' sessions"},
      {"list-filter-ignored", "list.filter_by_item",
       "list ignores the library_item_id filter (an unknown item still gives 404)"},
      {"create-unknown-item-ok", "create.requires_item_exists",
       "create with an unknown library item succeeds"},
      {"keepalive-drops-progress", "keep_alive.sets_progress",
       "keep_alive ignores progress; client_progress stays"},
      {"bad-datetime", "model.datetime_format",
       "expiration_time is emitted as 'YYYY-MM-DD hh:mm:ss' (no T, no fraction, no Z)"},
      {"wrong-success-status", "binding.success_status",
       "delete answers 200 instead of 204 on /api, and 204 instead of 200 on /rest"},
      {"no-auth", "auth.requires_session",
       "requests without a session token are accepted as user alice"},
      {"token-race", "create.client_token_concurrent",
       "create checks the client_token map, unlocks, sleeps ~20 ms, then inserts: concurrent "
       "creates with one token make two sessions"},
      {"file-prepare-stuck", "file.prepare.completes",
       "prepare leaves the file at PREPARE_REQUESTED forever"},
      {"file-unknown-name-ok", "file.get.requires_known_file",
       "File.get with an unknown file name answers 200 with an UNPREPARED file of that name"},
      {"rpc-bare-optional", "jsonrpc.optional_wrapped",
       "JSON-RPC answers carry optional values bare, without {\"OPTIONAL\": ...}", "jsonrpc"},
      {"rpc-unwrapped-structure", "jsonrpc.structure_wrapped",
       "JSON-RPC answers carry structures as bare field objects, without {\"STRUCTURE\": ...}",
       "jsonrpc"},
      {"rpc-datetime-offset", "jsonrpc.datetime_millis_z",
       "JSON-RPC answers carry date-times as YYYY-MM-DDThh:mm:ss.sss+00:00 (RFC 3339, not the "
       "Z form)",
       "jsonrpc"},
      {"rpc-error-http-status", "jsonrpc.errors_at_http_200",
       "JSON-RPC service errors come back with the REST status of the error (404, 400, ...), "
       "not 200",
       "jsonrpc"},
      {"rpc-id-not-echoed", "jsonrpc.id_echoed",
       "JSON-RPC answers carry the id \"0\", not the "
       "request's",
       "jsonrpc"},
      {"rpc-void-empty-object", "jsonrpc.void_output_null",
       "void JSON-RPC operations answer \"output\": {} instead of null", "jsonrpc"},
      {"rpc-any-version", "jsonrpc.rejects_wrong_version",
       "a JSON-RPC request with another \"jsonrpc\" than \"2.0\" is served", "jsonrpc"},
      {"rpc-no-version", "jsonrpc.envelope", "JSON-RPC answers have no \"jsonrpc\" member",
       "jsonrpc"},
      {"rpc-unknown-service-protocol-error", "jsonrpc.rejects_unknown_service",
       "an unknown serviceId gets the JSON-RPC error -32601 instead of result.error "
       "OPERATION_NOT_FOUND",
       "jsonrpc"},
      // Races: each a read-modify-write with a ~20 ms pause between the read and the write,
      // which only a concurrent call can fall into; sequential calls see no difference.
      {"keepalive-cancel-race", "cancel.sets_canceled",
       "keep_alive reads the session (ACTIVE), unlocks, sleeps ~20 ms, then writes back the "
       "state it read: a cancel that succeeded meanwhile is undone (the session is ACTIVE "
       "again)",
       "", true},
      {"delete-get-race", "delete.removes",
       "get reads the session, unlocks, sleeps ~20 ms, then writes its copy back: a delete "
       "that succeeded meanwhile is undone (the session is there again)",
       "", true},
      {"progress-lost-update", "keep_alive.sets_progress",
       "keep_alive without progress reads client_progress, unlocks, sleeps ~20 ms, then writes "
       "back the value it read: a keep_alive with progress that succeeded meanwhile is lost",
       "", true},
  };
  return catalogue;
}

namespace detail {

static_assert(static_cast<int>(Fault::Count_) == 33);
static_assert(static_cast<int>(Fault::Count_) <= 64);

Faults::Faults(const std::set<std::string>& names) {
  const auto& cat = fault_catalogue();
  for (const auto& n : names) {
    bool found = false;
    for (std::size_t i = 0; i < cat.size(); ++i) {
      if (cat[i].name == n) {
        bits_ |= 1ul << i;
        found = true;
        break;
      }
    }
    if (!found) throw std::invalid_argument("unknown fault '" + n + "' (see --list-faults)");
  }
}

}  // namespace detail
}  // namespace dsmock
