// Malformed specs: each case takes the shipped spec, applies one small mutation at a
// JSON pointer, and expects parse_spec to throw a SpecError naming the file label,
// the pointer of the fault and the reason. One table row per case.
#include <unistd.h>
#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "conformance/spec/loader.hpp"

// Its own namespace: the suites build as one file (CMAKE_UNITY_BUILD) with the others.
namespace test_malformed_specs {

namespace cs = conformance::spec;
using nlohmann::json;

namespace {

const json& shipped_json() {
  static const json doc = [] {
    std::ifstream in(CONFORMANCE_DEFAULT_SPEC);
    return json::parse(in);
  }();
  return doc;
}

using Mutation = std::function<void(json&)>;

// Replaces (or adds) the value at `pointer`. The parent must exist.
Mutation set(std::string pointer, json value) {
  return [pointer = std::move(pointer), value = std::move(value)](json& doc) {
    json::json_pointer p(pointer);
    if (!doc.contains(p.parent_pointer()))
      throw std::logic_error("mutation: no parent for " + pointer);
    doc[p] = value;
  };
}

// Removes the object key or array element at `pointer`, which must exist.
Mutation erase(std::string pointer) {
  return [pointer = std::move(pointer)](json& doc) {
    json::json_pointer p(pointer);
    if (!doc.contains(p)) throw std::logic_error("mutation: nothing at " + pointer);
    json& parent = doc[p.parent_pointer()];
    if (parent.is_array())
      parent.erase(static_cast<std::size_t>(std::stoul(p.back())));
    else
      parent.erase(p.back());
  };
}

// Copies the value at `from` to `to` (then usually mutated further).
Mutation copy(std::string from, std::string to) {
  return [from = std::move(from), to = std::move(to)](json& doc) {
    json value = doc.at(json::json_pointer(from));
    set(to, value)(doc);
  };
}

Mutation all(std::vector<Mutation> steps) {
  return [steps = std::move(steps)](json& doc) {
    for (const auto& s : steps)
      s(doc);
  };
}

struct Case {
  std::string name;
  Mutation mutate;
  std::string pointer;  // expected SpecError::pointer()
  std::string reason;   // expected substring of SpecError::reason()
};

std::ostream& operator<<(std::ostream& out, const Case& c) {
  return out << c.name;
}

// Shorthands for the pointers the cases use.
const std::string kCreate = "/services/0/operations/0";
const std::string kKeepAlive = "/services/0/operations/3";
const std::string kCancel = "/services/0/operations/4";
const std::string kFail = "/services/0/operations/5";
const std::string kDelete = "/services/0/operations/6";
const std::string kFilePrepare = "/services/1/operations/2";
const std::string kApi = "/bindings/api/operations";
const std::string kRest = "/bindings/rest/operations";
const std::string kSession = "/resources/DownloadSession";

const std::vector<Case>& cases() {
  static const std::vector<Case> table = {
      // -- structure: keys and types
      {"unknown_top_level_key", set("/extensions", json::object()), "/extensions",
       "unknown key 'extensions'"},
      {"unknown_nested_key_in_clause", set(kCancel + "/preconditions/1/clause/severity", "high"),
       kCancel + "/preconditions/1/clause/severity", "unknown key 'severity'"},
      {"unknown_key_in_binding_operation", set(kApi + "/DownloadSession.cancel/timeout_seconds", 5),
       kApi + "/DownloadSession.cancel/timeout_seconds", "unknown key 'timeout_seconds'"},
      {"string_where_integer", set("/errors/NOT_FOUND/http_status", "404"),
       "/errors/NOT_FOUND/http_status", "expected an integer, found string"},
      {"object_where_array", set(kCreate + "/params", json::object()), kCreate + "/params",
       "expected an array, found object"},
      {"array_where_object", set("/types/DownloadSessionState", json::array({"ACTIVE"})),
       "/types/DownloadSessionState", "expected an object, found array"},
      {"string_where_boolean", set(kCreate + "/params/1/required", "yes"),
       kCreate + "/params/1/required", "expected true or false, found string"},
      {"missing_required_key", erase("/service/title"), "/service", "missing required key 'title'"},
      {"missing_top_level_section", erase("/bindings"), "", "missing required key 'bindings'"},
      {"missing_operation_preconditions", erase(kDelete + "/preconditions"), kDelete,
       "missing required key 'preconditions'"},
      {"unsupported_format_version", set("/format_version", 2), "/format_version",
       "format_version 2 is not supported"},
      {"format_version_that_wraps_to_1", set("/format_version", std::int64_t{4294967297}),
       "/format_version", "format_version 4294967297 is not supported"},
      {"format_version_beyond_int64", set("/format_version", std::uint64_t{18446744073709551615u}),
       "/format_version", "integer out of range"},
      {"empty_services", set("/services", json::array()), "/services",
       "at least one service is needed"},
      {"no_binding", set("/bindings", json::object()), "/bindings",
       "at least one binding is needed"},
      // -- enumerations
      {"unknown_check_kind", set(kCancel + "/preconditions/1/check", "state_is"),
       kCancel + "/preconditions/1/check", "'state_is' is not one of: present, exists"},
      {"unknown_effect_kind", set(kCancel + "/effects/0/effect", "set_status"),
       kCancel + "/effects/0/effect", "'set_status' is not one of: create, set, set_state"},
      {"unknown_returns_kind", set(kCancel + "/returns/kind", "nothing"), kCancel + "/returns/kind",
       "'nothing' is not one of: void, new_id"},
      {"unknown_provenance", set(kCancel + "/effects/0/clause/provenance", "guessed"),
       kCancel + "/effects/0/clause/provenance", "'guessed' is not one of: documented"},
      {"unknown_http_method", set(kApi + "/DownloadSession.cancel/method", "FETCH"),
       kApi + "/DownloadSession.cancel/method", "'FETCH' is not one of: GET"},
      // -- clauses
      {"duplicate_clause_id", set(kCancel + "/effects/0/clause/id", "cancel.requires_active"),
       kCancel + "/effects/0/clause/id",
       "duplicate clause id 'cancel.requires_active' (first at " + kCancel +
           "/preconditions/1/clause)"},
      {"inferred_clause_without_reason", erase(kCancel + "/effects/0/clause/reason"),
       kCancel + "/effects/0/clause", "a clause marked 'inferred' needs a 'reason'"},
      {"open_clause_with_empty_reason", set(kKeepAlive + "/preconditions/2/clause/reason", ""),
       kKeepAlive + "/preconditions/2/clause", "a clause marked 'open' needs a 'reason'"},
      {"clause_id_not_lower_snake_case",
       set(kCancel + "/preconditions/1/clause/id", "Cancel.RequiresActive"),
       kCancel + "/preconditions/1/clause/id", "must be dotted lower_snake_case"},
      {"clause_id_without_dot", set(kCancel + "/preconditions/1/clause/id", "cancel_active"),
       kCancel + "/preconditions/1/clause/id", "must be dotted lower_snake_case"},
      {"clause_id_with_empty_segment",
       set(kCancel + "/preconditions/1/clause/id", "cancel..requires_active"),
       kCancel + "/preconditions/1/clause/id", "must be dotted lower_snake_case"},
      {"clause_id_only_a_dot", set(kCancel + "/preconditions/1/clause/id", "."),
       kCancel + "/preconditions/1/clause/id", "must be dotted lower_snake_case"},
      {"clause_without_summary", erase("/checks/success_status/summary"), "/checks/success_status",
       "missing required key 'summary'"},
      {"auth_check_without_error", erase("/checks/auth_required/error"), "/checks/auth_required",
       "missing required key 'error'"},
      // -- errors
      {"error_not_in_catalogue", set(kCancel + "/preconditions/1/error", "GONE"),
       kCancel + "/preconditions/1/error", "error 'GONE' is not in the /errors catalogue"},
      {"error_status_not_an_error", set("/errors/NOT_FOUND/http_status", 200),
       "/errors/NOT_FOUND/http_status", "an error status is in 400..599"},
      {"ownership_error_not_in_catalogue", set(kSession + "/ownership/others_see", "FORBIDDEN"),
       kSession + "/ownership/others_see", "error 'FORBIDDEN' is not in the /errors catalogue"},
      {"malformed_errors_not_in_catalogue", set("/checks/malformed_request/errors/1", "BAD"),
       "/checks/malformed_request/errors/1", "error 'BAD' is not in the /errors catalogue"},
      // -- states
      {"set_state_to_undeclared_state", set(kCancel + "/effects/0/to", "CANCELLED"),
       kCancel + "/effects/0/to", "state 'CANCELLED' is not declared in DownloadSessionState"},
      {"state_in_undeclared_state", set(kCancel + "/preconditions/1/states/0", "RUNNING"),
       kCancel + "/preconditions/1/states/0",
       "state 'RUNNING' is not declared in DownloadSessionState"},
      {"initial_state_undeclared", set(kSession + "/states/initial", "NEW"),
       kSession + "/states/initial", "state 'NEW' is not declared in DownloadSessionState"},
      {"spontaneous_transition_to_undeclared_state",
       set("/resources/File/states/spontaneous/0/1", "DONE"),
       "/resources/File/states/spontaneous/0/1", "state 'DONE' is not declared in PrepareStatus"},
      {"advance_child_to_undeclared_state", set(kFilePrepare + "/effects/0/to_any_of/2", "READY"),
       kFilePrepare + "/effects/0/to_any_of/2", "state 'READY' is not declared in PrepareStatus"},
      {"create_sets_undeclared_initial_state",
       set(kCreate + "/effects/0/fields/state/const", "STARTED"),
       kCreate + "/effects/0/fields/state/const", "state 'STARTED' is not declared"},
      {"state_machine_on_a_non_enum", set(kSession + "/states/type", "DownloadSessionModel"),
       kSession + "/states/type", "type 'DownloadSessionModel' is not an enum"},
      {"external_resource_with_states",
       set("/resources/LibraryItem/states", {{"field", "state"}, {"type", "X"}, {"initial", "A"}}),
       "/resources/LibraryItem/states", "an external resource has no 'states'"},
      // -- types
      {"unknown_type_name", set(kCreate + "/params/1/type", "CreateSpecification"),
       kCreate + "/params/1/type", "type 'CreateSpecification' is not declared under /types"},
      {"not_a_type_expression", set("/types/LocalizableMessage/fields/args/type", "list<string"),
       "/types/LocalizableMessage/fields/args/type", "'list<string' is not a type expression"},
      {"id_of_undeclared_resource",
       set("/types/DownloadSessionModel/fields/id/type", "id<Session>"),
       "/types/DownloadSessionModel/fields/id/type",
       "names resource 'Session', which is not declared under /resources"},
      {"list_of_unknown_type", set(kCreate + "/params/0/type", "list<Token>"),
       kCreate + "/params/0/type", "type 'Token' is not declared under /types"},
      {"inverted_range", set(kKeepAlive + "/params/1/range", json::array({100, 0})),
       kKeepAlive + "/params/1/range", "range minimum is above its maximum"},
      {"duplicate_enum_value", set("/types/DownloadSessionState/values/2", "ACTIVE"),
       "/types/DownloadSessionState/values/2", "duplicate enum value 'ACTIVE'"},
      // -- operations and parameters
      {"duplicate_operation_name", set(kDelete + "/name", "cancel"), kDelete + "/name",
       "duplicate operation 'DownloadSession.cancel'"},
      {"duplicate_parameter", set(kFail + "/params/1/name", "download_session_id"),
       kFail + "/params/1/name", "duplicate parameter 'download_session_id'"},
      {"precondition_param_not_a_parameter", set(kCancel + "/preconditions/0/param", "session_id"),
       kCancel + "/preconditions/0/param",
       "'session_id' is not a parameter of DownloadSession.cancel"},
      {"dotted_param_names_a_non_field",
       set(kCreate + "/preconditions/1/param", "create_spec.item_id"),
       kCreate + "/preconditions/1/param",
       "'create_spec.item_id': 'item_id' is not a field of CreateSpec"},
      {"dotted_param_into_a_string", set(kCreate + "/preconditions/1/param", "client_token.x"),
       kCreate + "/preconditions/1/param", "'client_token.x': 'string' has no fields"},
      {"check_takes_a_foreign_key",
       set(kCancel + "/preconditions/0/states", json::array({"ACTIVE"})),
       kCancel + "/preconditions/0/states", "check 'exists' takes no 'states'"},
      {"check_misses_its_key", erase(kCancel + "/preconditions/1/states"),
       kCancel + "/preconditions/1", "check 'state_in' needs 'states'"},
      {"in_range_without_bounds",
       all({erase(kKeepAlive + "/preconditions/2/min"),
            erase(kKeepAlive + "/preconditions/2/max")}),
       kKeepAlive + "/preconditions/2", "check 'in_range' needs 'min' or 'max'"},
      {"state_in_on_a_resource_without_states",
       set(kCancel + "/preconditions/1/resource", "LibraryItem"),
       kCancel + "/preconditions/1/resource", "'LibraryItem' declares no states"},
      {"effect_field_not_in_model", set(kFail + "/effects/1/field", "message"),
       kFail + "/effects/1/field", "'message' is not a field of DownloadSessionModel"},
      {"value_expression_with_two_forms", set(kFail + "/effects/1/value/const", "x"),
       kFail + "/effects/1/value", "a value is exactly one of"},
      {"stable_value_with_at",
       set(kCreate + "/effects/0/fields/library_item_content_version/at", "x"),
       kCreate + "/effects/0/fields/library_item_content_version/at",
       "'at' goes with 'param' only"},
      {"idempotency_token_required", set(kCreate + "/params/0/required", true),
       kCreate + "/idempotency/token_param", "an idempotency token parameter must be optional"},
      {"returns_needs_resource", erase("/services/0/operations/1/returns/resource"),
       "/services/0/operations/1/returns", "returns 'resource' needs 'resource'"},
      {"void_returns_with_resource", set(kCancel + "/returns/resource", "DownloadSession"),
       kCancel + "/returns/resource", "returns 'void' takes no 'resource'"},
      // -- resources
      {"lease_renewed_by_is_not_a_key", set(kSession + "/lease/renewed_by", json::array()),
       kSession + "/lease/renewed_by", "unknown key 'renewed_by'"},
      {"lease_timeout_not_positive", set(kSession + "/lease/timeout_seconds", 0),
       kSession + "/lease/timeout_seconds", "the lease timeout must be positive"},
      {"lease_field_not_a_date_time", set(kSession + "/lease/field", "client_progress"),
       kSession + "/lease/field", "a lease field must be a date-time"},
      {"child_without_parent", erase("/resources/File/parent"), "/resources/File",
       "a child resource needs 'parent'"},
      {"resource_key_not_a_field", set(kSession + "/key", "session_id"), kSession + "/key",
       "key 'session_id' is not a field of DownloadSessionModel"},
      // -- bindings
      {"required_param_without_location",
       erase(kApi + "/DownloadSession.fail/params/client_error_message"),
       kApi + "/DownloadSession.fail/params",
       "required parameter 'client_error_message' of DownloadSession.fail has no location in "
       "binding 'api'"},
      {"binding_for_undeclared_operation",
       copy(kRest + "/DownloadSession.cancel", kRest + "/DownloadSession.pause"),
       kRest + "/DownloadSession.pause",
       "operation 'DownloadSession.pause' is not declared under /services"},
      {"operation_missing_from_binding", erase(kRest + "/File.get"), kRest,
       "operation 'File.get' has no entry in binding 'rest'"},
      {"path_placeholder_without_path_param",
       set(kApi + "/DownloadSession.get/path",
           "/api/content/library/item/download-session/{download_session_id}/{version}"),
       kApi + "/DownloadSession.get/path",
       "placeholder {version} is not bound to a path parameter"},
      {"path_param_without_placeholder",
       set(kApi + "/DownloadSession.get/path", "/api/content/library/item/download-session"),
       kApi + "/DownloadSession.get/params/download_session_id",
       "path parameter 'download_session_id' has no {download_session_id} in the path template"},
      {"unclosed_placeholder",
       set(kApi + "/DownloadSession.get/path",
           "/api/content/library/item/download-session/{download_session_id"),
       kApi + "/DownloadSession.get/path", "unclosed '{' in path template"},
      {"binding_param_not_a_parameter",
       set(kApi + "/DownloadSession.cancel/params/force", {{"in", "query"}}),
       kApi + "/DownloadSession.cancel/params/force",
       "'force' is not a parameter of DownloadSession.cancel"},
      {"success_status_out_of_range", set(kApi + "/DownloadSession.create/success_status", 302),
       kApi + "/DownloadSession.create/success_status", "a success status is in 200..299"},
      {"success_status_that_wraps_into_range",
       set(kApi + "/DownloadSession.create/success_status", std::int64_t{4294967497}),
       kApi + "/DownloadSession.create/success_status", "a success status is in 200..299"},
      {"login_status_out_of_range", set("/bindings/rest/login/success_status", 100),
       "/bindings/rest/login/success_status", "a success status is in 200..299"},
      {"path_without_leading_slash", set(kApi + "/File.list/path", "api/file"),
       kApi + "/File.list/path", "a path starts with '/'"},
      {"whole_body_outside_the_body",
       set(kApi + "/DownloadSession.create/params/create_spec/in", "query"),
       kApi + "/DownloadSession.create/params/create_spec/whole",
       "only a body parameter can be the whole body"},
      {"whole_body_shared_with_keyed_body",
       set(kApi + "/DownloadSession.create/params/client_token", {{"in", "body"}}),
       kApi + "/DownloadSession.create/params",
       "a whole-body parameter cannot share the body with keyed ones"},
      {"clause_inside_an_alternative",
       copy(kApi + "/DownloadSession.create/params/client_token/clause",
            kApi + "/DownloadSession.create/params/client_token/alternatives/0/clause"),
       kApi + "/DownloadSession.create/params/client_token/alternatives/0/clause",
       "unknown key 'clause' (allowed here: in, name)"},
      {"wrapped_result_without_key", erase("/bindings/rest/result/key"), "/bindings/rest/result",
       "a 'wrapped' result needs 'key'"},
      {"typed_error_without_keys", erase("/bindings/rest/error/value_key"), "/bindings/rest/error",
       "a 'typed' error needs 'type_key' and 'value_key'"},
      {"dispatch_query_not_a_string",
       set(kApi + "/DownloadSession.cancel/query/action", json::array({"cancel"})),
       kApi + "/DownloadSession.cancel/query/action", "expected a string, found array"},
  };
  return table;
}

const std::string kLabel = "mutated-downloadsession.json";

}  // namespace

BOOST_AUTO_TEST_SUITE(spec)
BOOST_AUTO_TEST_SUITE(malformed_specs)

BOOST_AUTO_TEST_CASE(the_unmutated_copy_is_valid) {
  // Guards the table: every case fails because of its mutation alone.
  BOOST_CHECK_NO_THROW(cs::parse_spec(shipped_json(), kLabel));
}

BOOST_DATA_TEST_CASE(is_rejected_with_pointer_and_reason, boost::unit_test::data::make(cases()),
                     c) {
  json doc = shipped_json();
  c.mutate(doc);
  BOOST_TEST_REQUIRE(doc != shipped_json(), "the mutation changed the document");
  try {
    cs::parse_spec(doc, kLabel);
    BOOST_ERROR("accepted: " << c.name);
  } catch (const cs::SpecError& e) {
    BOOST_TEST(e.file() == kLabel);
    BOOST_TEST(e.pointer() == c.pointer);
    BOOST_TEST(e.reason().find(c.reason) != std::string::npos,
               "reason '" << e.reason() << "' contains '" << c.reason << "'");
    const std::string what = e.what();
    BOOST_TEST(what.rfind(kLabel + ": " + (c.pointer.empty() ? "/" : c.pointer) + ": ", 0) == 0u,
               "what() '" << what << "' starts with label and pointer");
  }
}

BOOST_AUTO_TEST_CASE(document_that_is_not_an_object) {
  try {
    cs::parse_spec(json::array(), kLabel);
    BOOST_ERROR("accepted an array");
  } catch (const cs::SpecError& e) {
    BOOST_TEST(e.pointer() == "");
    BOOST_TEST(e.reason() == "expected an object, found array");
    BOOST_TEST(std::string(e.what()) == kLabel + ": /: expected an object, found array");
  }
}

// A file under the system temp directory, removed at the end of the test.
struct TempFile {
  std::filesystem::path path;
  explicit TempFile(const std::string& contents) {
    path = std::filesystem::temp_directory_path() /
           ("harness-spec-" + std::to_string(::getpid()) + "-" +
            std::to_string(reinterpret_cast<std::uintptr_t>(this)) + ".json");
    std::ofstream(path, std::ios::binary) << contents;
  }
  ~TempFile() {
    std::error_code ec;
    std::filesystem::remove(path, ec);
  }
};

BOOST_AUTO_TEST_CASE(invalid_json_text) {
  TempFile file(R"({"format_version": 1, "service": )");
  try {
    cs::load_spec(file.path);
    BOOST_ERROR("accepted invalid JSON");
  } catch (const cs::SpecError& e) {
    BOOST_TEST(e.file() == file.path.string());
    BOOST_TEST(e.pointer() == "");
    BOOST_TEST(e.reason().rfind("not valid JSON: ", 0) == 0u, e.reason());
    BOOST_TEST(std::string(e.what()).rfind(file.path.string() + ": /: not valid JSON", 0) == 0u);
  }
}

BOOST_AUTO_TEST_CASE(unreadable_file) {
  const auto missing = std::filesystem::temp_directory_path() / "harness-spec-does-not-exist.json";
  std::filesystem::remove(missing);
  try {
    cs::load_spec(missing);
    BOOST_ERROR("accepted a missing file");
  } catch (const cs::SpecError& e) {
    BOOST_TEST(e.file() == missing.string());
    BOOST_TEST(e.pointer() == "");
    BOOST_TEST(e.reason() == "cannot open the file");
    BOOST_TEST(std::string(e.what()) == missing.string() + ": /: cannot open the file");
  }
}

BOOST_AUTO_TEST_CASE(file_errors_name_the_file) {
  // load_spec labels messages with the path it was given, and a valid file loads.
  json doc = shipped_json();
  set("/resources/DownloadSession/states/initial", "NEW")(doc);
  TempFile bad(doc.dump(2));
  try {
    cs::load_spec(bad.path);
    BOOST_ERROR("accepted");
  } catch (const cs::SpecError& e) {
    BOOST_TEST(e.file() == bad.path.string());
    BOOST_TEST(e.pointer() == "/resources/DownloadSession/states/initial");
  }
  TempFile good(shipped_json().dump());
  BOOST_TEST(cs::load_spec(good.path).operations().size() == 10u);
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()

}  // namespace test_malformed_specs
