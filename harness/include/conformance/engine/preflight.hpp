// The preflight (`conformance doctor`, and `run` before its first sequence): checks that
// the profile describes the target, so that a profile mistake is a configuration error
// naming the profile field, never a violation of the server. It logs in each user,
// checks that clock control answers, that every external instance (library item) and
// each member (file) the profile lists exists, that missing_instance_id names none (a
// warning only: a server that accepts unknown ones looks the same), and that the
// server's lease expiry field
// (expiration_time) agrees with the profile's session timeout. What it creates on the
// target (one session per instance) it deletes again; it deletes nothing else.
#pragma once

#include <string>
#include <vector>

#include "conformance/engine/profile.hpp"
#include "conformance/spec/spec.hpp"

namespace conformance::engine {

struct ConfigProblem {
  std::string field;    // JSON pointer of the profile field, e.g. "/instances/LibraryItem/1/id"
  std::string message;  // what is wrong and how to fix it
  int exit_code = 2;    // 2: a profile mistake; 3: the target cannot be reached / login fails
};

struct PreflightReport {
  std::vector<std::string> ok;  // checks that passed, one line each
  std::vector<ConfigProblem> problems;
  std::vector<ConfigProblem> warnings;  // what may be a profile mistake or the server's own
  int exit_code() const;                // 0 when no problem, else the highest problem's (3 over 2)
};

// Runs the checks against profile.url. Never throws for what the target answers.
PreflightReport preflight(const spec::Spec& spec, const Profile& profile);

// A transport error (no HTTP answer) said for a user: names the URL and suggests a fix
// (TLS verification, a refused connection, a timeout, a name that does not resolve).
std::string explain_transport_error(const std::string& url, const std::string& error);

}  // namespace conformance::engine
