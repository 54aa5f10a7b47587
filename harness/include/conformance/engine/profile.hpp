// What the harness needs to know about a target beyond the spec: where it is, how
// to log in, which library items exist, its lease timing and clock.
#pragma once

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace conformance::engine {

struct User {
  std::string name;
  std::string password;  // never printed, never written to any report
  // The privileges the profile declares the user holds. Not declared (nullopt): the
  // harness does not know, so outcomes that hang on a privilege are not asserted.
  std::optional<std::vector<std::string>> privileges;
};

struct Item {
  std::string id;
  std::vector<std::string> files;
};

struct Profile {
  std::string url;  // base URL, e.g. https://vc.example:443
  std::string binding = "api";
  std::vector<User> users;
  std::vector<Item> items;
  // An id no item has (what a call about an unknown item sends).
  std::string missing_item_id = "00000000-0000-4000-8000-00000c0ffee0";
  bool tls_verify = true;
  std::string ca_file;
  // The server's lease timeout; not given: the spec's lease `timeout_seconds`.
  std::optional<double> session_timeout_s;
  double cleanup_grace_s = 0;    // how long after expiration_time a session may linger
  double clock_tolerance_s = 0;  // wall clock: slack for latency and clock skew
  double prepare_timeout_s = 30;
  double request_timeout_s = 10;
  std::string clock_control;  // URL of a clock-control server; empty = wall clock

  bool virtual_clock() const { return !clock_control.empty(); }
  const User* user(const std::string& name) const;
};

class ProfileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Reads a profile JSON file (README, "Profiles"). Passwords come from
// "password_env" (an environment variable) or "password_file". Throws
// ProfileError naming the file, the JSON pointer and the reason.
Profile load_profile(const std::string& file);

}  // namespace conformance::engine
