// Profiles: read with their defaults, refused with a JSON pointer when wrong.
#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "conformance/engine/profile.hpp"

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

std::string error_of(const std::string& content) {
  try {
    engine::load_profile(write("bad", content));
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
      write("minimal", std::string("{") + kUsers + R"(, "items": [{"id": "item-1"}]})"));
  BOOST_TEST(p.binding == "api");
  BOOST_TEST(p.users.size() == 2u);
  BOOST_TEST(p.users[0].password == "pw");
  BOOST_TEST(!p.users[0].privileges.has_value());
  BOOST_TEST(p.users[1].privileges.value() == std::vector<std::string>{"Read"});
  BOOST_TEST(p.items.at(0).files.empty());  // to be discovered
  BOOST_TEST(p.tls_verify);
  BOOST_TEST(!p.virtual_clock());
  BOOST_TEST(!p.session_timeout_s);  // the spec's lease timeout applies
  BOOST_TEST(!p.missing_item_id.empty());
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
