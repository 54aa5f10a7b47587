// The embedded default target: the mock started in-process on a loopback port,
// with the virtual clock, and the profile that describes it.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>

#include "conformance/engine/profile.hpp"
#include "dsmock/server.hpp"

namespace conformance::cli {

struct EmbeddedMock {
  std::unique_ptr<dsmock::Server> server;
  engine::Profile profile;
};

// Starts the mock with these faults and variants (name -> value), and describes it in the
// profile: a variant that changes what the profile states (a cleanup grace, privileges, the
// time a prepare takes) changes the profile too. Throws std::invalid_argument for an unknown
// fault or variant or a bad variant value, std::runtime_error when it cannot start.
EmbeddedMock start_embedded_mock(const std::set<std::string>& faults,
                                 const std::string& binding = "api", double prepare_delay_s = 2,
                                 const std::map<std::string, std::string>& variants = {});

// The mock as a server the harness cannot reset, as the standalone one started apart
// (examples/profile-local-mock.json): on the wall clock with this session timeout, its
// prepares done at once, and a profile without clock control (cleanup between sequences,
// real waits) that allows 0.5 s of latency and of lingering after expiry.
EmbeddedMock start_wall_clock_mock(const std::set<std::string>& faults, const std::string& binding,
                                   double session_timeout_s,
                                   const std::map<std::string, std::string>& variants = {});

}  // namespace conformance::cli
