#include "embedded_mock.hpp"

#include <algorithm>
#include <string>

namespace conformance::cli {

namespace {

EmbeddedMock start(const std::set<std::string>& faults, const std::string& binding,
                   double prepare_delay_s, const std::map<std::string, std::string>& variants,
                   double wall_timeout_s) {
  EmbeddedMock m;
  dsmock::Options mo;
  mo.virtual_clock = wall_timeout_s <= 0;
  if (wall_timeout_s > 0)
    mo.session_timeout = std::chrono::milliseconds(static_cast<long>(wall_timeout_s * 1000));
  mo.prepare_delay = std::chrono::milliseconds(static_cast<long>(prepare_delay_s * 1000));
  mo.faults = faults;
  mo.variants = variants;
  m.server = std::make_unique<dsmock::Server>(mo);
  m.server->start();
  const auto& eff = m.server->options();
  engine::Profile& p = m.profile;
  p.url = m.server->url();
  p.binding = binding;
  if (wall_timeout_s <= 0) {
    p.clock_control = m.server->url() + "/mock/v1";
  } else {
    p.cleanup_grace_s = 0.5;
    p.clock_tolerance_s = 0.5;
  }
  for (const auto& [name, pw] : eff.users)
    p.users.push_back({name, pw, std::vector<std::string>{}});  // no mock user holds one
  for (const auto& item : eff.items) {
    engine::ExternalInstance it{item.id, {}};
    for (const auto& f : item.files)
      it.members.push_back(f.name);
    p.instances["LibraryItem"].push_back(it);  // the mock serves the shipped spec
  }
  p.session_timeout_s = static_cast<double>(eff.session_timeout.count()) / 1000.0;
  p.prepare_timeout_s = prepare_delay_s + 1;
  p.request_timeout_s = 10;
  // Variants that change what the profile states about the server.
  auto variant = [&eff](const char* name) {
    auto it = eff.variants.find(name);
    return it == eff.variants.end() ? std::string() : it->second;
  };
  if (const std::string grace = variant("expiry-grace"); !grace.empty())
    p.cleanup_grace_s = std::max(p.cleanup_grace_s, std::stod(grace));
  if (variant("direct-endpoint") == "allowed")
    for (auto& u : p.users)
      u.privileges = std::vector<std::string>{"ContentLibrary.ReadStorage"};
  // It keeps time to the second: a lease may end up to 1 s after renewal + timeout.
  if (variant("datetime-form") == "seconds")
    p.clock_tolerance_s = std::max(p.clock_tolerance_s, 1.0);
  if (const std::string timing = variant("prepare-timing");
      timing == "delayed" || timing == "polls")
    p.prepare_timeout_s = std::max(prepare_delay_s, 1.0) + 1;  // they take at least 1 s
  return m;
}

}  // namespace

EmbeddedMock start_embedded_mock(const std::set<std::string>& faults, const std::string& binding,
                                 double prepare_delay_s,
                                 const std::map<std::string, std::string>& variants) {
  return start(faults, binding, prepare_delay_s, variants, 0);
}

EmbeddedMock start_wall_clock_mock(const std::set<std::string>& faults, const std::string& binding,
                                   double session_timeout_s,
                                   const std::map<std::string, std::string>& variants) {
  return start(faults, binding, 0, variants, session_timeout_s);
}

}  // namespace conformance::cli
