// Profiles: read with their defaults, refused with a JSON pointer when wrong.
#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "conformance/engine/profile.hpp"
#include "conformance/spec/loader.hpp"

// Its own namespace: the suites build as one file (CMAKE_UNITY_BUILD) with the others.
namespace test_profile {

using namespace conformance;
namespace fs = std::filesystem;

namespace {

std::string write(const std::string& name, const std::string& content) {
  fs::path p = fs::temp_directory_path() / ("harness-profile-" + name + ".json");
  std::ofstream(p) << content;
  return p.string();
}

const char* kUsers =
    R"("users": [{"name": "alice", "password_env": "HARNESS_TEST_PW"},
                 {"name": "bob", "password_env": "HARNESS_TEST_PW", "privileges": ["Read"]}])";

const spec::Spec& shipped() {
  static const spec::Spec s = spec::load_spec(CONFORMANCE_DEFAULT_SPEC);
  return s;
}

const spec::Spec& toy() {
  static const spec::Spec s = spec::load_spec(TOY_SPEC);
  return s;
}

std::string error_of(const std::string& content, const spec::Spec& spec = shipped()) {
  try {
    engine::load_profile(write("bad", content), spec);
  } catch (const engine::ProfileError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(profile)

BOOST_AUTO_TEST_CASE(a_minimal_profile_gets_the_defaults) {
  setenv("HARNESS_TEST_PW", "pw", 1);
  auto p = engine::load_profile(
      write("minimal",
            std::string("{") + kUsers + R"(, "instances": {"LibraryItem": [{"id": "item-1"}]}})"),
      shipped());
  BOOST_TEST(p.binding == "api");
  BOOST_TEST(p.users.size() == 2u);
  BOOST_TEST(p.users[0].password == "pw");
  BOOST_TEST(!p.users[0].privileges.has_value());
  BOOST_TEST(p.users[1].privileges.value() == std::vector<std::string>{"Read"});
  BOOST_TEST(p.instances_of("LibraryItem").at(0).members.empty());  // to be discovered
  BOOST_TEST(p.tls_verify);
  BOOST_TEST(!p.virtual_clock());
  BOOST_TEST(!p.session_timeout_s);  // the spec's lease timeout applies
  BOOST_TEST(!p.missing_instance_id.empty());
}

BOOST_AUTO_TEST_CASE(instances_are_keyed_by_the_specs_external_resource) {
  setenv("HARNESS_TEST_PW", "pw", 1);
  auto p = engine::load_profile(
      write("instances", std::string("{") + kUsers + R"(, "instances": {"Kit": [
          {"id": "kit-1", "members": ["axle", "wheel"]}, {"id": "kit-2"}]},
          "missing_instance_id": "kit-0"})"),
      toy());
  BOOST_TEST(p.instances_of("Kit").size() == 2u);
  BOOST_TEST(p.find_instance("Kit", "kit-1")->members ==
             (std::vector<std::string>{"axle", "wheel"}));
  BOOST_TEST(p.find_instance("Kit", "kit-2")->members.empty());
  BOOST_TEST(!p.find_instance("Kit", "kit-0"));
  BOOST_TEST(p.missing_instance_id == "kit-0");
  // Only the spec's external resources; every one of them.
  BOOST_TEST(
      error_of(std::string("{") + kUsers + R"(, "instances": {"Widget": [{"id": "w"}]}})", toy())
          .find("/instances/Widget: 'Widget' is not an external resource of the spec") !=
      std::string::npos);
  BOOST_TEST(error_of(std::string("{") + kUsers + R"(, "instances": {}})", toy())
                 .find("/instances: no instances of 'Kit'") != std::string::npos);
  BOOST_TEST(error_of(std::string("{") + kUsers + R"(})", toy()).find("/instances") !=
             std::string::npos);
  BOOST_TEST(error_of(std::string("{") + kUsers +
                          R"(, "instances": {"Kit": [{"id": "a", "files": ["x"]}]}})",
                      toy())
                 .find("/instances/Kit/0/files: unknown key 'files'") != std::string::npos);
  BOOST_TEST(error_of(std::string("{") + kUsers +
                          R"(, "instances": {"Kit": [{"id": "a", "members": []}]}})",
                      toy())
                 .find("/instances/Kit/0/members") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_deprecated_items_key_names_the_only_external_resource) {
  setenv("HARNESS_TEST_PW", "pw", 1);
  // The profile files users have: "items" with "files", "missing_item_id".
  auto p = engine::load_profile(write("items", std::string("{") + kUsers + R"(, "items": [
          {"id": "item-1", "files": ["a.ovf", "a.vmdk"]}, {"id": "item-2"}],
          "missing_item_id": "item-0"})"),
                                shipped());
  BOOST_TEST(p.instances.size() == 1u);
  BOOST_TEST(p.find_instance("LibraryItem", "item-1")->members ==
             (std::vector<std::string>{"a.ovf", "a.vmdk"}));
  BOOST_TEST(p.find_instance("LibraryItem", "item-2")->members.empty());
  BOOST_TEST(p.missing_instance_id == "item-0");
  // The same for any spec with one external resource.
  auto t = engine::load_profile(
      write("items-toy", std::string("{") + kUsers + R"(, "items": [{"id": "kit-1"}]})"), toy());
  BOOST_TEST(t.instances_of("Kit").at(0).id == "kit-1");
  // Not both forms at once.
  BOOST_TEST(error_of(std::string("{") + kUsers +
                      R"(, "items": [{"id": "a"}], "instances": {"LibraryItem": [{"id": "a"}]}})")
                 .find("/items: give 'instances' only") != std::string::npos);
  BOOST_TEST(error_of(std::string("{") + kUsers +
                      R"(, "items": [{"id": "a"}], "missing_item_id": "b",
                          "missing_instance_id": "c"})")
                 .find("/missing_item_id") != std::string::npos);
  BOOST_TEST(error_of(std::string("{") + kUsers + R"(, "items": [{"id": "a", "members": ["x"]}]})")
                 .find("/items/0/members: unknown key 'members'") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(mistakes_are_named_by_pointer) {
  setenv("HARNESS_TEST_PW", "pw", 1);
  BOOST_TEST(error_of("[").find("not valid JSON") != std::string::npos);
  BOOST_TEST(error_of(R"({"users": []})").find("/users") != std::string::npos);
  BOOST_TEST(error_of(std::string("{") + kUsers + R"(, "items": []})").find("/items") !=
             std::string::npos);
  BOOST_TEST(error_of(std::string("{") + kUsers + R"(, "items": [{"id": "a"}], "color": 1})")
                 .find("unknown key 'color'") != std::string::npos);
  BOOST_TEST(error_of(std::string("{") + kUsers +
                      R"(, "items": [{"id": "a"}], "session_timeout_seconds": 0})")
                 .find("/session_timeout_seconds") != std::string::npos);
  BOOST_TEST(
      error_of(std::string("{") + kUsers + R"(, "items": [{"id": "a"}], "missing_item_id": "a"})")
          .find("/missing_item_id") != std::string::npos);
  unsetenv("HARNESS_TEST_PW");
  BOOST_TEST(error_of(std::string("{") + kUsers + R"(, "items": [{"id": "a"}]})")
                 .find("HARNESS_TEST_PW is not set") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace test_profile
