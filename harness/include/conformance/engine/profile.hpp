// What the harness needs to know about a target beyond the spec: where it is, how
// to log in, which instances of the spec's external resources exist, its lease timing
// and clock.
#pragma once

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace conformance::spec {
struct Spec;
}

namespace conformance::engine {

struct User {
  std::string name;
  std::string password;  // never printed, never written to any report
  // The privileges the profile declares the user holds. Not declared (nullopt): the
  // harness does not know, so outcomes that hang on a privilege are not asserted.
  std::optional<std::vector<std::string>> privileges;
};

// An instance of a resource the spec declares external (one the service does not
// manage, e.g. a library item): its id and the keys of its members, the child
// instances drawn from it (e.g. file names). No members: to be discovered.
struct ExternalInstance {
  std::string id;
  std::vector<std::string> members;
};

struct Profile {
  std::string url;  // base URL, e.g. https://vc.example:443
  std::string binding = "api";
  std::vector<User> users;
  // The external instances, keyed by the external resource's name.
  std::map<std::string, std::vector<ExternalInstance>> instances;
  // An id no external instance has (what a call about an unknown one sends).
  std::string missing_instance_id = "00000000-0000-4000-8000-00000c0ffee0";
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
  // The instances of an external resource (none if the profile names none).
  const std::vector<ExternalInstance>& instances_of(const std::string& resource) const;
  const ExternalInstance* find_instance(const std::string& resource, const std::string& id) const;
};

class ProfileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Reads a profile JSON file (README, "Profiles") for a spec: "instances" is keyed by
// the spec's external resources; the deprecated "items" names the instances of the
// spec's only external resource. Passwords come from "password_env" (an environment
// variable) or "password_file". Throws ProfileError naming the file, the JSON pointer
// and the reason.
Profile load_profile(const std::string& file, const spec::Spec& spec);

}  // namespace conformance::engine
