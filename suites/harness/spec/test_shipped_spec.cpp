// The shipped spec (specs/downloadsession.json) against the API reference
// (shared/api/downloadsession-api.md): operations, documented errors, bindings,
// error catalogue, clause bookkeeping, and the derived views.
#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "conformance/spec/loader.hpp"
#include "conformance/spec/spec.hpp"

// Its own namespace: the suites build as one file (CMAKE_UNITY_BUILD) with the others.
namespace test_shipped_spec {

namespace cs = conformance::spec;

namespace {

const cs::Spec& shipped() {
  static const cs::Spec spec = cs::load_spec(CONFORMANCE_DEFAULT_SPEC);
  return spec;
}

const cs::Operation& op(const std::string& full_name) {
  const cs::Operation* o = shipped().find_operation(full_name);
  BOOST_TEST_REQUIRE(o != nullptr, full_name << " is declared");
  return *o;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// The per-operation error lists of the reference, §1.1 and §1.2 (the machine-readable
// error dicts; Unauthorized/Unauthenticated are only listed where declared).
const std::map<std::string, std::set<std::string>>& documented_errors() {
  static const std::map<std::string, std::set<std::string>> m = {
      {"DownloadSession.create", {"INVALID_ARGUMENT", "NOT_FOUND"}},
      {"DownloadSession.get", {"NOT_FOUND"}},
      {"DownloadSession.list", {"NOT_FOUND"}},
      {"DownloadSession.delete", {"NOT_FOUND"}},
      {"DownloadSession.keep_alive", {"NOT_FOUND", "NOT_ALLOWED_IN_CURRENT_STATE"}},
      {"DownloadSession.cancel", {"NOT_FOUND", "NOT_ALLOWED_IN_CURRENT_STATE"}},
      {"DownloadSession.fail", {"NOT_FOUND", "NOT_ALLOWED_IN_CURRENT_STATE"}},
      {"File.list", {"NOT_FOUND"}},
      {"File.get", {"NOT_FOUND", "INVALID_ARGUMENT"}},
      {"File.prepare", {"NOT_FOUND", "INVALID_ARGUMENT", "UNAUTHORIZED"}},
  };
  return m;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(spec)
BOOST_AUTO_TEST_SUITE(shipped_spec)

BOOST_AUTO_TEST_CASE(loads_with_its_label_and_digest) {
  const auto& s = shipped();
  BOOST_TEST(s.file == std::string(CONFORMANCE_DEFAULT_SPEC));
  BOOST_TEST(s.format_version == 1);
  BOOST_TEST(s.service_name == "content.library.item.download_session");
  BOOST_TEST(s.sha256.size() == 64u);
  BOOST_TEST(std::all_of(s.sha256.begin(), s.sha256.end(),
                         [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); }));
  // Same bytes, same digest.
  BOOST_TEST(cs::load_spec(CONFORMANCE_DEFAULT_SPEC).sha256 == s.sha256);
}

BOOST_AUTO_TEST_CASE(has_the_ten_operations_of_the_reference) {
  std::vector<std::string> names;
  for (const cs::Operation* o : shipped().operations())
    names.push_back(o->full_name);
  const std::vector<std::string> expected = {"DownloadSession.create",
                                             "DownloadSession.get",
                                             "DownloadSession.list",
                                             "DownloadSession.keep_alive",
                                             "DownloadSession.cancel",
                                             "DownloadSession.fail",
                                             "DownloadSession.delete",
                                             "File.list",
                                             "File.get",
                                             "File.prepare"};
  BOOST_TEST(names == expected, boost::test_tools::per_element());
  BOOST_TEST_REQUIRE(shipped().services.size() == 2u);
  BOOST_TEST(shipped().services[0].name == "DownloadSession");
  BOOST_TEST(shipped().services[0].operations.size() == 7u);
  BOOST_TEST(shipped().services[1].name == "File");
  BOOST_TEST(shipped().services[1].operations.size() == 3u);
  BOOST_TEST(shipped().services[0].vapi_id == "com.vmware.content.library.item.download_session");
  BOOST_TEST(shipped().services[1].vapi_id ==
             "com.vmware.content.library.item.downloadsession.file");
}

BOOST_AUTO_TEST_CASE(every_binding_binds_every_operation) {
  const auto& s = shipped();
  BOOST_TEST_REQUIRE(s.bindings.size() == 3u);
  for (const char* b : {"api", "rest", "jsonrpc"}) {
    BOOST_TEST_CONTEXT("binding " << b) {
      BOOST_TEST_REQUIRE(s.bindings.count(b) == 1u);
      const auto& binding = s.bindings.at(b);
      BOOST_TEST(binding.operations.size() == s.operations().size());
      for (const cs::Operation* o : s.operations()) {
        BOOST_TEST_CONTEXT(o->full_name) {
          BOOST_TEST_REQUIRE(binding.operations.count(o->full_name) == 1u);
          const auto& ob = binding.operations.at(o->full_name);
          for (const auto& p : o->params)
            if (p.required) BOOST_TEST(ob.params.count(p.name) == 1u, p.name << " has a location");
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(every_documented_error_is_a_precondition) {
  for (const auto& [name, errors] : documented_errors()) {
    const cs::Operation& o = op(name);
    for (const auto& error : errors) {
      bool found = std::any_of(o.preconditions.begin(), o.preconditions.end(),
                               [&](const cs::Precondition& p) { return p.error == error; });
      BOOST_TEST(found, name << " has a precondition answering " << error);
    }
  }
}

BOOST_AUTO_TEST_CASE(documented_preconditions_only_use_documented_errors) {
  // The converse: an error the reference does not declare for an operation may only
  // come from an inferred or open clause.
  for (const cs::Operation* o : shipped().operations()) {
    const auto& allowed = documented_errors().at(o->full_name);
    for (const auto& p : o->preconditions)
      if (p.clause.provenance == cs::Provenance::documented)
        BOOST_TEST(allowed.count(p.error) == 1u,
                   p.clause.id << " (documented) answers " << p.error
                               << ", which the reference does not declare for " << o->full_name);
  }
}

BOOST_AUTO_TEST_CASE(existence_is_checked_before_state) {
  // The first broken precondition decides the error: a missing session must answer
  // NOT_FOUND, never NOT_ALLOWED_IN_CURRENT_STATE or INVALID_ARGUMENT.
  for (const cs::Operation* o : shipped().operations()) {
    for (std::size_t i = 0; i < o->preconditions.size(); ++i) {
      const auto& p = o->preconditions[i];
      if (p.check != cs::Precondition::Check::StateIn &&
          p.check != cs::Precondition::Check::ChildExists)
        continue;
      const std::string& target =
          p.check == cs::Precondition::Check::StateIn ? p.param : p.parent_param;
      auto exists = std::find_if(
          o->preconditions.begin(), o->preconditions.end(), [&](const cs::Precondition& q) {
            return q.check == cs::Precondition::Check::Exists && q.param == target;
          });
      BOOST_TEST_REQUIRE((exists != o->preconditions.end()), p.clause.id << " has an exists");
      BOOST_TEST(static_cast<std::size_t>(exists - o->preconditions.begin()) < i,
                 exists->clause.id << " comes before " << p.clause.id);
    }
  }
}

BOOST_AUTO_TEST_CASE(success_statuses_per_binding) {
  const auto& s = shipped();
  const std::map<std::string, int> api = {{"DownloadSession.create", 201},
                                          {"DownloadSession.get", 200},
                                          {"DownloadSession.list", 200},
                                          {"DownloadSession.keep_alive", 204},
                                          {"DownloadSession.cancel", 204},
                                          {"DownloadSession.fail", 204},
                                          {"DownloadSession.delete", 204},
                                          {"File.list", 200},
                                          {"File.get", 200},
                                          {"File.prepare", 200}};
  for (const auto& [name, status] : api)
    BOOST_TEST(s.bindings.at("api").operations.at(name).success_status == status, "/api " << name);
  for (const cs::Operation* o : s.operations())
    BOOST_TEST(s.bindings.at("rest").operations.at(o->full_name).success_status == 200,
               "/rest " << o->full_name);
  BOOST_TEST(s.bindings.at("api").login.success_status == 201);
  BOOST_TEST(s.bindings.at("api").logout.success_status == 204);
  BOOST_TEST(s.bindings.at("rest").login.success_status == 200);
  BOOST_TEST(s.bindings.at("rest").logout.success_status == 200);
}

BOOST_AUTO_TEST_CASE(bindings_shape) {
  const auto& api = shipped().bindings.at("api");
  const auto& rest = shipped().bindings.at("rest");
  BOOST_TEST(api.result_style == "bare");
  BOOST_TEST(api.error_style == "bare");
  BOOST_TEST(rest.result_style == "wrapped");
  BOOST_TEST(rest.result_key == "value");
  BOOST_TEST(rest.error_style == "typed");
  BOOST_TEST(rest.error_type_key == "type");
  BOOST_TEST(rest.error_value_key == "value");
  BOOST_TEST(api.session_header == "vmware-api-session-id");
  BOOST_TEST(rest.session_header == "vmware-api-session-id");
  const auto& create = api.operations.at("DownloadSession.create");
  BOOST_TEST(create.params.at("create_spec").whole);
  BOOST_TEST(create.params.at("client_token").name == "Client-Token");
  BOOST_TEST(create.params.at("client_token").alternatives.size() == 2u);
  const auto& cancel = api.operations.at("DownloadSession.cancel");
  BOOST_TEST_REQUIRE(cancel.query.size() == 1u);
  BOOST_TEST(cancel.query[0].first == "action");
  BOOST_TEST(cancel.query[0].second == "cancel");
  const auto& rcancel = rest.operations.at("DownloadSession.cancel");
  BOOST_TEST_REQUIRE(rcancel.query.size() == 1u);
  BOOST_TEST(rcancel.query[0].first == "~action");
  BOOST_TEST(contains(rcancel.path, "/id:{download_session_id}"));
}

BOOST_AUTO_TEST_CASE(error_catalogue_matches_reference_3_3) {
  // Reference §3.3, the std errors the spec names.
  const std::map<std::string, int> expected = {
      {"ALREADY_EXISTS", 400},        {"INVALID_ARGUMENT", 400},
      {"INVALID_REQUEST", 400},       {"NOT_ALLOWED_IN_CURRENT_STATE", 400},
      {"UNSUPPORTED", 400},           {"UNAUTHENTICATED", 401},
      {"UNAUTHORIZED", 403},          {"NOT_FOUND", 404},
      {"OPERATION_NOT_FOUND", 404},   {"CONCURRENT_CHANGE", 409},
      {"INTERNAL_SERVER_ERROR", 500}, {"ERROR", 500},
      {"SERVICE_UNAVAILABLE", 503},   {"TIMED_OUT", 504}};
  const auto& errors = shipped().errors;
  BOOST_TEST(errors.size() == expected.size());
  for (const auto& [name, status] : expected) {
    BOOST_TEST_CONTEXT(name) {
      BOOST_TEST_REQUIRE(errors.count(name) == 1u);
      BOOST_TEST(errors.at(name).http_status == status);
      std::string lower = name;
      std::transform(lower.begin(), lower.end(), lower.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      BOOST_TEST(errors.at(name).rest_type == "com.vmware.vapi.std.errors." + lower);
    }
  }
  BOOST_TEST(shipped().checks.auth_error == "UNAUTHENTICATED");
}

BOOST_AUTO_TEST_CASE(clause_ids_are_unique_and_well_formed) {
  const std::regex id_syntax("[a-z0-9_]+(\\.[a-z0-9_]+)+");
  std::set<std::string> seen;
  for (const cs::Clause* c : shipped().clauses()) {
    BOOST_TEST(seen.insert(c->id).second, "clause id " << c->id << " is unique");
    BOOST_TEST(std::regex_match(c->id, id_syntax), c->id);
    BOOST_TEST(!c->summary.empty(), c->id << " has a summary");
    BOOST_TEST(!c->pointer.empty(), c->id << " has a pointer");
    BOOST_TEST(shipped().find_clause(c->id) == c);
  }
  BOOST_TEST(seen.size() > 40u);
}

BOOST_AUTO_TEST_CASE(every_inferred_or_open_clause_has_a_reason) {
  int undocumented = 0;
  for (const cs::Clause* c : shipped().clauses())
    if (c->provenance != cs::Provenance::documented) {
      ++undocumented;
      BOOST_TEST(!c->reason.empty(),
                 c->id << " (" << cs::to_string(c->provenance) << ") has a reason");
    }
  BOOST_TEST(undocumented > 0);
}

BOOST_AUTO_TEST_CASE(mock_fault_clause_ids_exist) {
  // The clause ids the mock's fault switches name (mocks/src/faults.cpp).
  for (const char* id : {"cancel.sets_canceled",
                         "cancel.requires_active",
                         "fail.sets_error",
                         "fail.stores_message",
                         "create.client_token_idempotent",
                         "keep_alive.extends_lease",
                         "lease.not_before_expiration",
                         "lease.expires_after_timeout",
                         "delete.removes",
                         "get.requires_exists",
                         "keep_alive.requires_active",
                         "list.owner_only",
                         "list.filter_by_item",
                         "create.requires_item_exists",
                         "keep_alive.sets_progress",
                         "model.datetime_format",
                         "binding.success_status",
                         "auth.requires_session",
                         "create.client_token_concurrent",
                         "file.prepare.completes",
                         "file.get.requires_known_file"})
    BOOST_TEST(shipped().find_clause(id) != nullptr, id);
}

BOOST_AUTO_TEST_CASE(state_machines) {
  const auto& s = shipped();
  const cs::Resource* session = s.find_resource("DownloadSession");
  const cs::Resource* file = s.find_resource("File");
  BOOST_TEST_REQUIRE(session != nullptr);
  BOOST_TEST_REQUIRE(file != nullptr);
  BOOST_TEST_REQUIRE(session->states.has_value());
  BOOST_TEST(session->states->initial == "ACTIVE");
  BOOST_TEST(session->ownership.has_value());
  BOOST_TEST_REQUIRE(session->lease.has_value());
  BOOST_TEST(session->lease->timeout_seconds == 300.0);
  BOOST_TEST((file->kind == cs::Resource::Kind::Child));
  BOOST_TEST(file->parent == "DownloadSession");
  BOOST_TEST_REQUIRE(file->states.has_value());
  BOOST_TEST(file->states->initial == "UNPREPARED");
  BOOST_TEST((s.find_resource("LibraryItem")->kind == cs::Resource::Kind::External));
  // cancel: exists, then state_in ACTIVE; effect CANCELED.
  const auto& cancel = op("DownloadSession.cancel");
  BOOST_TEST_REQUIRE(cancel.preconditions.size() == 2u);
  BOOST_TEST(cancel.preconditions[0].error == "NOT_FOUND");
  BOOST_TEST(cancel.preconditions[1].error == "NOT_ALLOWED_IN_CURRENT_STATE");
  BOOST_TEST_REQUIRE(cancel.effects.size() == 1u);
  BOOST_TEST(cancel.effects[0].to == "CANCELED");
  BOOST_TEST(op("DownloadSession.fail").effects.at(0).to == "ERROR");
}

BOOST_AUTO_TEST_CASE(describe_mentions_every_operation_and_clause) {
  const std::string text = cs::describe(shipped());
  for (const cs::Operation* o : shipped().operations())
    BOOST_TEST(contains(text, o->full_name + "("), o->full_name);
  for (const cs::Clause* c : shipped().clauses())
    BOOST_TEST(contains(text, c->id), c->id);
  BOOST_TEST(contains(text, "Operations (10)"));
  for (const auto& [name, r] : shipped().resources) {
    if (!r.states || r.kind != cs::Resource::Kind::Managed) continue;
    for (const auto& state : shipped().find_type(r.states->type)->values)
      BOOST_TEST(contains(text, "  " + state + ":"), name << " state " << state);
  }
}

BOOST_AUTO_TEST_CASE(dot_mentions_every_state_and_transition) {
  const std::string dot = cs::to_dot(shipped());
  BOOST_TEST(dot.rfind("digraph", 0) == 0u);
  BOOST_TEST(dot.back() == '\n');
  int machines = 0;
  for (const auto& [name, r] : shipped().resources) {
    if (!r.states) continue;
    ++machines;
    for (const auto& state : shipped().find_type(r.states->type)->values)
      BOOST_TEST(contains(dot, "\"" + name + "." + state + "\""), name << " state " << state);
  }
  BOOST_TEST(machines == 2);
  // Every operation whose effect moves a state appears as an edge label.
  for (const cs::Operation* o : shipped().operations())
    for (const auto& e : o->effects)
      if (e.kind == cs::Effect::Kind::Create || e.kind == cs::Effect::Kind::SetState ||
          e.kind == cs::Effect::Kind::Remove || e.kind == cs::Effect::Kind::AdvanceChild)
        BOOST_TEST(contains(dot, "label=\"" + o->full_name + "\""), o->full_name);
  BOOST_TEST(contains(dot, "\"DownloadSession.ACTIVE\" -> \"DownloadSession.CANCELED\""));
  BOOST_TEST(contains(dot, "\"DownloadSession.ACTIVE\" -> \"DownloadSession.ERROR\""));
}

BOOST_AUTO_TEST_CASE(readme_lists_every_inferred_and_open_clause) {
  // specs/README.md keeps a table of the shipped spec's inferred and open clauses;
  // it must list exactly those, with their provenance and JSON pointer.
  auto readme_path = std::filesystem::path(CONFORMANCE_DEFAULT_SPEC).parent_path() / "README.md";
  std::ifstream in(readme_path);
  BOOST_TEST_REQUIRE(in.good(), readme_path.string() << " is readable");
  std::string line, text;
  bool in_section = false;
  std::map<std::string, std::pair<std::string, std::string>> listed;  // id -> provenance, pointer
  const std::regex row(R"(^\|\s*`([a-z0-9_.]+)`\s*\|\s*(inferred|open)\s*\|\s*`([^`]*)`\s*\|.*)");
  while (std::getline(in, line)) {
    text += line + "\n";
    if (line.rfind("## ", 0) == 0) in_section = contains(line, "Inferred and open clauses");
    std::smatch m;
    if (in_section && std::regex_match(line, m, row)) listed[m[1]] = {m[2], m[3]};
  }
  std::map<std::string, std::pair<std::string, std::string>> expected;
  for (const cs::Clause* c : shipped().clauses())
    if (c->provenance != cs::Provenance::documented)
      expected[c->id] = {cs::to_string(c->provenance), c->pointer};
  BOOST_TEST(listed.size() == expected.size());
  std::map<cs::Provenance, int> counts;
  for (const cs::Clause* c : shipped().clauses())
    ++counts[c->provenance];
  const std::string tally = std::to_string(counts[cs::Provenance::inferred]) + " inferred and " +
                            std::to_string(counts[cs::Provenance::open]) + " open, of " +
                            std::to_string(shipped().clauses().size()) + " clauses";
  BOOST_TEST(contains(text, tally), "README says '" << tally << "'");
  for (const auto& [id, want] : expected) {
    BOOST_TEST_CONTEXT(id) {
      BOOST_TEST_REQUIRE(listed.count(id) == 1u, "listed in specs/README.md");
      BOOST_TEST(listed.at(id).first == want.first);
      BOOST_TEST(listed.at(id).second == want.second);
    }
  }
  for (const auto& [id, _] : listed)
    BOOST_TEST(expected.count(id) == 1u, id << " is in the spec");
}

BOOST_AUTO_TEST_SUITE_END()
BOOST_AUTO_TEST_SUITE_END()

}  // namespace test_shipped_spec
