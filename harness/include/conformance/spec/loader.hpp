// Reads and validates a spec file. Every problem names the file, the JSON pointer
// and the reason; nothing half-valid is ever returned.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>

#include "conformance/spec/spec.hpp"

namespace conformance::spec {

class SpecError : public std::runtime_error {
 public:
  SpecError(std::string file, std::string pointer, std::string reason);
  const std::string& file() const { return file_; }
  const std::string& pointer() const { return pointer_; }
  const std::string& reason() const { return reason_; }

 private:
  std::string file_, pointer_, reason_;
};

// Throws SpecError (unreadable file, invalid JSON, or an invalid spec).
Spec load_spec(const std::filesystem::path& file);
// Validates an already parsed document; `file` only labels messages.
Spec parse_spec(const nlohmann::json& document, const std::string& file);

// Derived views used by `conformance spec show`.
std::string describe(const Spec& spec);  // operations, clauses, provenance
std::string to_dot(const Spec& spec);    // the state machine(s) as Graphviz DOT

}  // namespace conformance::spec
