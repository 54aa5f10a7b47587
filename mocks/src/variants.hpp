// Behaviour variants: legitimate alternatives where the reference leaves a point open (see
// variant_catalogue() and docs/mock.md, "Variants"). The defaults are the documented behaviour.
#pragma once

#include <map>
#include <string>

namespace dsmock::detail {

struct Variants {
  Variants() = default;  // every variant at its default
  // Throws std::invalid_argument naming an unknown variant or a bad value.
  explicit Variants(const std::map<std::string, std::string>& chosen);

  // The enumerators follow the order of each variant's values in the catalogue.
  enum class ProgressDecrease { Accept, Ignore, Reject };
  enum class ProgressRange { Reject, Clamp, Ignore };
  enum class TokenTransport { All, Header, Query };
  enum class Foreign { NotFound, Unauthorized, Visible };
  enum class ListOrder { ById, Creation, NewestFirst };
  enum class FailMessage { Mock, Plain, Wrapped };
  enum class IdShape { TwoUuids, Uuid, Short };
  enum class DateTimeForm { Millis, Offset, Seconds };
  enum class PrepareTiming { Clock, Delayed, Polls };
  enum class FailingFile { None, Last, Named };
  enum class FileListOrder { Fixture, Name, Reversed };
  enum class ErrorMessages { Mock, Vcenter, Bare };

  ProgressDecrease progress_decrease = ProgressDecrease::Accept;  // keepalive-progress-decrease
  ProgressRange progress_range = ProgressRange::Reject;           // keepalive-progress-range
  bool null_progress_rejected = false;                            // keepalive-null-progress
  bool tokens_remembered = false;                                 // client-token-after-removal
  TokenTransport token_transport = TokenTransport::All;           // client-token-transport
  bool tokens_global = false;                                     // client-token-scope
  bool token_other_spec_rejected = false;                         // client-token-other-spec
  bool tokens_racy = false;                                       // client-token-concurrency
  bool missing_item_not_found = false;                            // create-missing-item-id
  bool unused_fields_rejected = false;                            // create-unused-fields
  Foreign foreign = Foreign::NotFound;                            // foreign-sessions
  long long cleanup_grace_ms = 0;                                 // expiry-grace (in seconds there)
  bool renew_on_any_call = false;                                 // lease-renewal
  ListOrder list_order = ListOrder::ById;                         // list-order
  bool id_in_get = true;                                          // get-id
  bool cancel_removes = false;                                    // cancel-effect
  bool fail_removes = false;                                      // fail-effect
  long long delete_deferred_ms = 0;                               // delete-effect (0: removed)
  FailMessage fail_message = FailMessage::Mock;                   // fail-message
  bool fail_message_optional = false;                             // fail-missing-message
  IdShape id_shape = IdShape::TwoUuids;                           // session-id-shape
  DateTimeForm datetime_form = DateTimeForm::Millis;              // datetime-form
  PrepareTiming prepare_timing = PrepareTiming::Clock;            // prepare-timing
  bool prepare_requeued = false;                                  // prepare-requeue
  FailingFile failing_file = FailingFile::None;                   // file-prepare-error
  std::string failing_file_name;                                  // ... =name:<file>
  bool direct_allowed = false;                                    // direct-endpoint
  bool prepare_inactive_allowed = false;                          // prepare-inactive
  bool prepare_arguments_first = false;                           // prepare-check-order
  bool bad_endpoint_invalid_request = false;                      // bad-endpoint-type
  FileListOrder file_list_order = FileListOrder::Fixture;         // file-list-order
  bool size_always = false;                                       // file-size
  bool bytes_transferred_zero = false;                            // bytes-transferred
  ErrorMessages error_messages = ErrorMessages::Mock;             // error-messages
  bool rest_error_type = true;                                    // rest-error-type
  bool extra_fields = false;                                      // extra-fields
  bool connection_close = false;                                  // connection-close
  bool json_utf8 = false;                                         // content-type
  bool rest_bare_id = false;                                      // rest-bare-id
  bool session_first = false;                                     // body-check-order
  bool rpc_unknown_method_not_found = false;                      // rpc-unknown-operation
  bool rpc_missing_params_result = false;                         // rpc-missing-params
  bool rpc_lenient_input = false;                                 // rpc-input-encoding

  // The Content-Type of JSON answers.
  const char* json_type() const {
    return json_utf8 ? "application/json;charset=utf-8" : "application/json";
  }
};

// Throws std::invalid_argument unless `name` is catalogued and `value` one of its values.
void check_variant(const std::string& name, const std::string& value);

}  // namespace dsmock::detail
