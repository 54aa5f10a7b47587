// The embedded default target: the mock started in-process on a loopback port,
// with the virtual clock, and the profile that describes it.
#pragma once

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

// Starts the mock with these faults. Throws std::invalid_argument for an unknown
// fault, std::runtime_error when it cannot start.
EmbeddedMock start_embedded_mock(const std::set<std::string>& faults,
                                 const std::string& binding = "api", double prepare_delay_s = 2);

}  // namespace conformance::cli
