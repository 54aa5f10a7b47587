#include "variants.hpp"

#include <stdexcept>

#include "dsmock/server.hpp"

namespace dsmock {

const std::vector<VariantInfo>& variant_catalogue() {
  static const std::vector<VariantInfo> catalogue = {
      {"keepalive-progress-decrease",
       "accept",
       {"accept", "ignore", "reject"},
       {"keep_alive.sets_progress", "keep_alive.progress_out_of_range"},
       {"ignore"},
       "keep_alive with a progress lower than client_progress: accept = stored as sent; ignore = "
       "success, client_progress keeps the higher value; reject = 400 INVALID_ARGUMENT, nothing "
       "changes. An equal value is always accepted"},
      {"keepalive-progress-range",
       "reject",
       {"reject", "clamp", "ignore"},
       {"keep_alive.progress_out_of_range"},
       {},
       "keep_alive with a progress outside 0..100: reject = 400 INVALID_ARGUMENT; clamp = success, "
       "stored clamped to 0..100; ignore = success, client_progress unchanged (the lease is "
       "extended either way)"},
      {"keepalive-null-progress",
       "absent",
       {"absent", "reject"},
       {"request.rejects_malformed"},
       {},
       "keep_alive with \"progress\": null: absent = as if no progress was sent; reject = 400 "
       "INVALID_REQUEST"},
      {"client-token-after-removal",
       "forget",
       {"forget", "remember"},
       {"create.client_token_after_removal"},
       {},
       "a client_token whose session was deleted or expired: forget = a replay creates a new "
       "session; remember = a replay answers the old id again (201 / 200) and creates nothing; "
       "that id is NOT_FOUND. Remembered tokens are kept until reset"},
      {"client-token-transport",
       "all",
       {"all", "header", "query"},
       {"create.client_token_transport"},
       {"query"},
       "where /api create reads the client_token: all = Client-Token header, then a client_token "
       "header, then a client_token query parameter; header = the Client-Token header only; "
       "query = the client_token query parameter only (as the 7.0.2 Swagger has it; needs "
       "--strictness documented). A token elsewhere is ignored: that create is not idempotent"},
      {"client-token-scope",
       "user",
       {"user", "global"},
       {"create.client_token_idempotent"},
       {"global"},
       "whose tokens a replay matches: user = the caller's own; global = every user's: another "
       "user replaying a token answers the first user's session id (NOT_FOUND to them) and "
       "creates nothing"},
      {"client-token-other-spec",
       "same-id",
       {"same-id", "reject"},
       {"create.client_token_idempotent"},
       {"reject"},
       "a replayed client_token with another library_item_id: same-id = the first session's id; "
       "reject = 400 INVALID_ARGUMENT"},
      {"client-token-concurrency",
       "atomic",
       {"atomic", "racy"},
       {"create.client_token_concurrent"},
       {"racy"},
       "concurrent creates with one client_token: atomic = the token is looked up and bound in "
       "one step, so they make one session; racy = the lookup and the binding are separate "
       "steps (the mock waits ~20 ms between them, as the token-race fault does), so concurrent "
       "creates may each make a session and the last binds the token. Sequential replays are "
       "idempotent either way"},
      {"create-missing-item-id",
       "invalid-argument",
       {"invalid-argument", "not-found"},
       {"create.requires_library_item_id"},
       {"not-found"},
       "create without library_item_id (missing or null): invalid-argument = 400 "
       "INVALID_ARGUMENT; not-found = 404 NOT_FOUND (no such library item). A non-string value "
       "stays INVALID_ARGUMENT"},
      {"create-unused-fields",
       "ignore",
       {"ignore", "reject"},
       {"§5.1"},
       {},
       "create_spec fields the reference calls 'not used for create' (id, "
       "library_item_content_version, error_message, client_progress, state, expiration_time): "
       "ignore = ignored; reject = a non-null one gives 400 INVALID_ARGUMENT"},
      {"foreign-sessions",
       "not-found",
       {"not-found", "unauthorized", "visible"},
       {"ownership.others_not_found", "list.owner_only"},
       {"unauthorized", "visible"},
       "another user's session: not-found = 404 NOT_FOUND to every operation; unauthorized = "
       "403 UNAUTHORIZED to every operation; visible = every operation works on it as for its "
       "owner (the operations need only System.Anonymous). list shows only one's own sessions "
       "either way"},
      {"expiry-grace",
       "0",
       {"0", "1", "5"},
       {"lease.expires_after_timeout", "lease.not_before_expiration"},
       {},
       "seconds an expired session lingers after its expiration_time before it is cleaned up; "
       "until then it is still there for every operation (keep_alive renews it). The embedded "
       "mock's profile sets cleanup_grace_seconds to it"},
      {"lease-renewal",
       "keep-alive",
       {"keep-alive", "any-call"},
       {"lease.expires_after_timeout", "lease.expiration_is_timeout_ahead",
        "keep_alive.extends_lease"},
       {"any-call"},
       "what moves expiration_time to now + timeout: keep-alive = create and keep_alive only; "
       "any-call = also every other successful call on the session (get, cancel, fail, "
       "File.list, File.get, File.prepare), as activity (§6.2)"},
      {"list-order",
       "by-id",
       {"by-id", "creation", "newest-first"},
       {"list.complete"},
       {},
       "the order of list's ids: by-id = sorted by id (bytewise); creation = oldest first; "
       "newest-first = newest first"},
      {"get-id",
       "present",
       {"present", "absent"},
       {"get.returns_model", "model.shape"},
       {},
       "the optional id field in get's answer (the reference says it 'will not be present', its "
       "examples have it, §8.2): present | absent"},
      {"cancel-effect",
       "canceled",
       {"canceled", "removed"},
       {"cancel.sets_canceled"},
       {"removed"},
       "what cancel leaves: canceled = the session stays, CANCELED, until it is deleted or "
       "expires; removed = the service cleans the canceled session up at once, as delete does: "
       "every operation answers NOT_FOUND and list omits it (the CANCELED state 'stays until it "
       "is deleted or cleaned up automatically', §5.1, §6.5)"},
      {"fail-effect",
       "error",
       {"error", "removed"},
       {"fail.sets_error", "fail.stores_message"},
       {"removed"},
       "what fail leaves: error = the session stays, ERROR, with the client's message as its "
       "error_message (see fail-message); removed = the service cleans the failed session up at "
       "once, as delete does: every operation answers NOT_FOUND and list omits it, so neither "
       "the ERROR state nor the message can be read back (§6.5)"},
      {"delete-effect",
       "removed",
       {"removed", "deferred"},
       {"delete.removes"},
       {"deferred"},
       "what delete leaves: removed = the session is gone at once: NOT_FOUND to every "
       "operation, not listed; deferred = the deletion runs in the background: delete answers "
       "at once, an ACTIVE session turns CANCELED (an ERROR one stays ERROR), its download URLs "
       "stop, and it is still there for every operation, and listed, for 2 s of the mock's "
       "clock before it is gone (a second delete meanwhile succeeds and changes nothing)"},
      {"fail-message",
       "mock",
       {"mock", "plain", "wrapped"},
       {"fail.stores_message"},
       {"wrapped"},
       "the error_message fail stores: mock = {id: ...downloadsession.client_error, "
       "default_message: <text>, args: [<text>]}; plain = {id: "
       "...downloadsession.client_failure, default_message: <text>, args: [], localized: "
       "<text>}; wrapped = default_message 'The client reported an error: <text>', args [<text>] "
       "(needs --strictness documented)"},
      {"fail-missing-message",
       "reject",
       {"reject", "accept"},
       {"fail.requires_message"},
       {"accept"},
       "fail without client_error_message (missing or null): reject = 400 INVALID_REQUEST; "
       "accept = the operation runs with an empty message: the session becomes ERROR with an "
       "error_message whose default_message is '' (in the fail-message form). A non-string "
       "message stays INVALID_REQUEST"},
      {"session-id-shape",
       "two-uuids",
       {"two-uuids", "uuid", "short"},
       {"model.shape", "§6.8"},
       {},
       "session ids: two-uuids = two lowercase UUIDs joined by ':'; uuid = one lowercase UUID; "
       "short = an opaque 12-character token of [0-9a-z]. All are URL-safe as they are"},
      {"datetime-form",
       "millis",
       {"millis", "offset", "seconds"},
       {"model.datetime_format", "lease.not_before_expiration",
        "lease.expiration_is_timeout_ahead"},
       {},
       "the RFC 3339 form of the API's date-times: millis = 2030-01-01T00:05:00.000Z; offset = "
       "2030-01-01T00:05:00.000+00:00; seconds = 2030-01-01T00:05:00Z, and a lease then ends on "
       "a whole second (rounded up, so the printed expiration_time is exact). The clock control "
       "routes keep the millis form"},
      {"prepare-timing",
       "clock",
       {"clock", "delayed", "polls"},
       {"file.prepare.completes", "file.status_monotonic", "file.prepare.returns_info"},
       {},
       "how a prepared file advances: clock = by the clock and the prepare delay d (d = 0: "
       "PREPARED in prepare's own answer); delayed = by the clock with at least 1 s "
       "(max(d, 1 s)), so prepare never answers PREPARED; polls = every File.get or File.list "
       "answer that shows the file moves it one step (PREPARE_REQUESTED, PREPARING, PREPARED), "
       "and by the clock it is PREPARED after max(d, 1 s) at the latest. The embedded mock's "
       "profile sets prepare_timeout_seconds to max(d, 1 s) + 1 s for delayed and polls"},
      {"prepare-requeue",
       "never",
       {"never", "once"},
       {"file.status_monotonic"},
       {"once"},
       "how a prepared file's status goes: never = only forward; once = staging starts at once "
       "and its first attempt goes back to the queue: PREPARING, PREPARE_REQUESTED, PREPARING, "
       "each for a third of the time prepare-timing gives (polls: one step per poll, three "
       "polls), then PREPARED (or ERROR) as usual, so the status moves back once. With "
       "prepare-timing=clock and a prepare delay of 0 the file is PREPARED at once and nothing "
       "shows"},
      {"file-prepare-error",
       "none",
       {"none", "last", "name:<file>"},
       {"file.status_monotonic", "file.prepare.completes", "§5.2"},
       {},
       "a file whose preparation fails: none; last = each item's last file; name:F = the file "
       "named F. When it would become PREPARED it becomes ERROR instead, with error_message "
       "{id: ...downloadsession.file.prepare_failed, default_message, args: [<name>]}, no "
       "download_endpoint and bytes_transferred 0 (PrepareStatus ERROR, FileInfo.error_message, "
       "§5.2)"},
      {"direct-endpoint",
       "unauthorized",
       {"unauthorized", "allowed"},
       {"file.prepare.direct_requires_privilege"},
       {},
       "File.prepare with endpoint_type DIRECT: unauthorized = 403 UNAUTHORIZED (no user holds "
       "ContentLibrary.ReadStorage); allowed = every user holds it: the file prepares as with "
       "HTTPS, and its download_endpoint.uri is "
       "ds:///vmfs/volumes/mock-datastore/contentlib-<item>/<file> (the endpoint type of a "
       "file's first prepare stays). The embedded mock's profile gives its users the privilege"},
      {"prepare-inactive",
       "reject",
       {"reject", "allow"},
       {"file.prepare.on_inactive_session"},
       {},
       "File.prepare on a CANCELED or ERROR session: reject = 400 NOT_ALLOWED_IN_CURRENT_STATE; "
       "allow = it prepares the file (a CANCELED session's download URLs still answer 404)"},
      {"prepare-check-order",
       "state-first",
       {"state-first", "arguments-first"},
       {"file.prepare.on_inactive_session", "file.prepare.requires_known_file",
        "file.prepare.direct_requires_privilege"},
       {},
       "File.prepare's checks after the session's existence: state-first = state, then file "
       "name, then endpoint type; arguments-first = file name, endpoint type, then state"},
      {"bad-endpoint-type",
       "invalid-argument",
       {"invalid-argument", "invalid-request"},
       {"request.rejects_malformed"},
       {},
       "an endpoint_type string that is neither HTTPS nor DIRECT: 400 INVALID_ARGUMENT | 400 "
       "INVALID_REQUEST (an unknown enum value refused while reading the request)"},
      {"file-list-order",
       "fixture",
       {"fixture", "name", "reversed"},
       {"file.list.all_files"},
       {},
       "the order of File.list: fixture = the item's order; name = sorted by name (bytewise); "
       "reversed = the item's order reversed"},
      {"file-size",
       "when-prepared",
       {"when-prepared", "always"},
       {"file.get.returns_info", "model.shape"},
       {},
       "the optional FileInfo.size: when-prepared = only on a PREPARED file; always = on every "
       "file, whatever its status"},
      {"bytes-transferred",
       "size",
       {"size", "zero"},
       {"file.get.returns_info", "§5.2"},
       {},
       "bytes_transferred of a PREPARED file: size = its size; zero = 0 (it 'may stay 0 until "
       "the client starts downloading', §5.2)"},
      {"error-messages",
       "mock",
       {"mock", "vcenter", "bare"},
       {"binding.error_envelope", "§3.1"},
       {},
       "the LocalizableMessage of error answers: mock = the mock's ids, texts and args; vcenter "
       "= ids and texts in the style of vCenter's Content Library service (invented, e.g. "
       "com.vmware.vdcs.cls-main.download_session_not_found; vapi.method.authentication.required "
       "as older vCenters send it), the same args, plus localized and params (an object on "
       "/api, a key/value list on /rest, §3.1); bare = the mock's ids, one generic text per "
       "error type and empty args"},
      {"rest-error-type",
       "present",
       {"present", "absent"},
       {"binding.error_envelope", "§8.8"},
       {},
       "error_type inside /rest error values: present | absent (as before vSphere 6.7.2; the "
       "type field still names the error). /api errors always carry it"},
      {"extra-fields",
       "none",
       {"none", "present"},
       {"model.shape", "binding.error_envelope"},
       {},
       "fields the reference does not define, in answers: none | present = the session model "
       "gets owner and creation_time, every FileInfo storage_backing, a download_endpoint "
       "method, an error value request_id and each of its messages severity. Lists of ids are "
       "bare arrays and get nothing"},
      {"connection-close",
       "off",
       {"off", "on"},
       {"§2"},
       {},
       "on = every answer carries Connection: close and the mock closes the connection after "
       "it (no keep-alive)"},
      {"content-type",
       "json",
       {"json", "json-utf8"},
       {"binding.error_envelope", "§2"},
       {},
       "the Content-Type of every JSON answer (results, errors, the clock routes): json = "
       "application/json; json-utf8 = application/json;charset=utf-8"},
      {"rest-bare-id",
       "reject",
       {"reject", "accept"},
       {"§2(b)"},
       {},
       "a /rest instance path without the id: prefix (.../download-session/<id>): reject = 404 "
       "(no route); accept = the same as with id: (§2(b): a mock 'may optionally accept a bare "
       "id')"},
      {"body-check-order",
       "body-first",
       {"body-first", "session-first"},
       {"request.rejects_malformed", "keep_alive.requires_exists", "fail.requires_exists",
        "file.prepare.requires_exists", "file.get.requires_exists"},
       {"session-first"},
       "a malformed body (bad JSON, wrong types, a missing required field) on an unknown, gone "
       "or foreign session, for keep_alive, cancel, fail, File.prepare and /rest File.get: "
       "body-first = 400 INVALID_REQUEST; session-first = the session is looked up first: 404 "
       "NOT_FOUND"},
      {"rpc-unknown-operation",
       "result-error",
       {"result-error", "method-not-found"},
       {"jsonrpc.rejects_unknown_service", "jsonrpc.rejects_unknown_operation"},
       {"method-not-found"},
       "JSON-RPC call of an unknown serviceId or operationId: result-error = result.error "
       "OPERATION_NOT_FOUND; method-not-found = the JSON-RPC error -32601"},
      {"rpc-missing-params",
       "invalid-params",
       {"invalid-params", "result-error"},
       {"jsonrpc.rejects_missing_params"},
       {"result-error"},
       "JSON-RPC invoke without params: invalid-params = the JSON-RPC error -32602; result-error = "
       "result.error INVALID_REQUEST"},
      {"rpc-input-encoding",
       "strict",
       {"strict", "lenient"},
       {"jsonrpc.rejects_unwrapped_input"},
       {"lenient"},
       "a JSON-RPC input that is not {\"STRUCTURE\": {\"operation-input\": ...}}: strict = "
       "result.error INVALID_ARGUMENT; lenient = a bare object is read as the operation input"},
  };
  return catalogue;
}

namespace {

const VariantInfo* find_variant(const std::string& name) {
  for (const auto& v : variant_catalogue())
    if (v.name == name) return &v;
  return nullptr;
}

// The index of `value` in v.values, or -1. A listed value "prefix<...>" matches prefix + any
// non-empty text.
int value_index(const VariantInfo& v, const std::string& value) {
  for (std::size_t i = 0; i < v.values.size(); ++i) {
    const std::string& allowed = v.values[i];
    const auto lt = allowed.find('<');
    if (lt == std::string::npos ? value == allowed
                                : value.size() > lt && value.compare(0, lt, allowed, 0, lt) == 0)
      return static_cast<int>(i);
  }
  return -1;
}

std::string joined(const std::vector<std::string>& xs, const char* sep) {
  std::string out;
  for (const auto& x : xs)
    out += (out.empty() ? "" : sep) + x;
  return out;
}

}  // namespace

void add_variant(Options& options, const std::string& assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw std::invalid_argument("variant '" + assignment +
                                "': expected NAME=VALUE (see --list-variants)");
  const std::string name = assignment.substr(0, eq), value = assignment.substr(eq + 1);
  detail::check_variant(name, value);
  auto [it, fresh] = options.variants.emplace(name, value);
  if (!fresh && it->second != value)
    throw std::invalid_argument("variant '" + name + "' given twice ('" + it->second + "' and '" +
                                value + "')");
}

namespace detail {

void check_variant(const std::string& name, const std::string& value) {
  const VariantInfo* v = find_variant(name);
  if (!v) throw std::invalid_argument("unknown variant '" + name + "' (see --list-variants)");
  if (value_index(*v, value) < 0)
    throw std::invalid_argument("variant '" + name + "': bad value '" + value +
                                "' (allowed: " + joined(v->values, "|") + ")");
}

Variants::Variants(const std::map<std::string, std::string>& chosen) {
  for (const auto& [name, value] : chosen)
    check_variant(name, value);
  // The index of the chosen value (0 = the default when not chosen).
  auto index = [&](const char* name) {
    auto it = chosen.find(name);
    return it == chosen.end() ? 0 : value_index(*find_variant(name), it->second);
  };
  progress_decrease = static_cast<ProgressDecrease>(index("keepalive-progress-decrease"));
  progress_range = static_cast<ProgressRange>(index("keepalive-progress-range"));
  null_progress_rejected = index("keepalive-null-progress") == 1;
  tokens_remembered = index("client-token-after-removal") == 1;
  token_transport = static_cast<TokenTransport>(index("client-token-transport"));
  tokens_global = index("client-token-scope") == 1;
  token_other_spec_rejected = index("client-token-other-spec") == 1;
  tokens_racy = index("client-token-concurrency") == 1;
  missing_item_not_found = index("create-missing-item-id") == 1;
  unused_fields_rejected = index("create-unused-fields") == 1;
  foreign = static_cast<Foreign>(index("foreign-sessions"));
  cleanup_grace_ms =
      std::stoll(
          find_variant("expiry-grace")->values[static_cast<std::size_t>(index("expiry-grace"))]) *
      1000;
  renew_on_any_call = index("lease-renewal") == 1;
  list_order = static_cast<ListOrder>(index("list-order"));
  id_in_get = index("get-id") == 0;
  cancel_removes = index("cancel-effect") == 1;
  fail_removes = index("fail-effect") == 1;
  delete_deferred_ms = index("delete-effect") == 1 ? 2000 : 0;
  fail_message = static_cast<FailMessage>(index("fail-message"));
  fail_message_optional = index("fail-missing-message") == 1;
  id_shape = static_cast<IdShape>(index("session-id-shape"));
  datetime_form = static_cast<DateTimeForm>(index("datetime-form"));
  prepare_timing = static_cast<PrepareTiming>(index("prepare-timing"));
  prepare_requeued = index("prepare-requeue") == 1;
  failing_file = static_cast<FailingFile>(index("file-prepare-error"));
  if (failing_file == FailingFile::Named)
    failing_file_name = chosen.at("file-prepare-error").substr(std::string("name:").size());
  direct_allowed = index("direct-endpoint") == 1;
  prepare_inactive_allowed = index("prepare-inactive") == 1;
  prepare_arguments_first = index("prepare-check-order") == 1;
  bad_endpoint_invalid_request = index("bad-endpoint-type") == 1;
  file_list_order = static_cast<FileListOrder>(index("file-list-order"));
  size_always = index("file-size") == 1;
  bytes_transferred_zero = index("bytes-transferred") == 1;
  error_messages = static_cast<ErrorMessages>(index("error-messages"));
  rest_error_type = index("rest-error-type") == 0;
  extra_fields = index("extra-fields") == 1;
  connection_close = index("connection-close") == 1;
  json_utf8 = index("content-type") == 1;
  rest_bare_id = index("rest-bare-id") == 1;
  session_first = index("body-check-order") == 1;
  rpc_unknown_method_not_found = index("rpc-unknown-operation") == 1;
  rpc_missing_params_result = index("rpc-missing-params") == 1;
  rpc_lenient_input = index("rpc-input-encoding") == 1;
}

}  // namespace detail
}  // namespace dsmock
