#include "variants.hpp"

#include <stdexcept>

#include "dsmock/server.hpp"

namespace dsmock {

const std::vector<VariantInfo>& variant_catalogue() {
  static const std::vector<VariantInfo> catalogue = {
      {"keepalive-progress-decrease",
       "accept",
       {"accept", "ignore", "reject"},
       {"keep_alive.sets_progress", "keep_alive.progress_out_of_range"},
       true,
       "keep_alive with a progress lower than client_progress: accept = stored as sent; ignore = "
       "success, client_progress keeps the higher value; reject = 400 INVALID_ARGUMENT, nothing "
       "changes. An equal value is always accepted"},
      {"keepalive-progress-range",
       "reject",
       {"reject", "clamp", "ignore"},
       {"keep_alive.progress_out_of_range"},
       false,
       "keep_alive with a progress outside 0..100: reject = 400 INVALID_ARGUMENT; clamp = success, "
       "stored clamped to 0..100; ignore = success, client_progress unchanged (the lease is "
       "extended either way)"},
      {"keepalive-null-progress",
       "absent",
       {"absent", "reject"},
       {"request.rejects_malformed"},
       false,
       "keep_alive with \"progress\": null: absent = as if no progress was sent; reject = 400 "
       "INVALID_REQUEST"},
  };
  return catalogue;
}

namespace {

const VariantInfo* find_variant(const std::string& name) {
  for (const auto& v : variant_catalogue())
    if (v.name == name) return &v;
  return nullptr;
}

// The index of `value` in v.values, or -1. A listed value "prefix<...>" matches prefix + any
// non-empty text.
int value_index(const VariantInfo& v, const std::string& value) {
  for (std::size_t i = 0; i < v.values.size(); ++i) {
    const std::string& allowed = v.values[i];
    const auto lt = allowed.find('<');
    if (lt == std::string::npos ? value == allowed
                                : value.size() > lt && value.compare(0, lt, allowed, 0, lt) == 0)
      return static_cast<int>(i);
  }
  return -1;
}

std::string joined(const std::vector<std::string>& xs, const char* sep) {
  std::string out;
  for (const auto& x : xs)
    out += (out.empty() ? "" : sep) + x;
  return out;
}

}  // namespace

void add_variant(Options& options, const std::string& assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw std::invalid_argument("variant '" + assignment +
                                "': expected NAME=VALUE (see --list-variants)");
  const std::string name = assignment.substr(0, eq), value = assignment.substr(eq + 1);
  detail::check_variant(name, value);
  auto [it, fresh] = options.variants.emplace(name, value);
  if (!fresh && it->second != value)
    throw std::invalid_argument("variant '" + name + "' given twice ('" + it->second + "' and '" +
                                value + "')");
}

namespace detail {

void check_variant(const std::string& name, const std::string& value) {
  const VariantInfo* v = find_variant(name);
  if (!v) throw std::invalid_argument("unknown variant '" + name + "' (see --list-variants)");
  if (value_index(*v, value) < 0)
    throw std::invalid_argument("variant '" + name + "': bad value '" + value +
                                "' (allowed: " + joined(v->values, "|") + ")");
}

Variants::Variants(const std::map<std::string, std::string>& chosen) {
  for (const auto& [name, value] : chosen)
    check_variant(name, value);
  // The index of the chosen value (0 = the default when not chosen).
  auto index = [&](const char* name) {
    auto it = chosen.find(name);
    return it == chosen.end() ? 0 : value_index(*find_variant(name), it->second);
  };
  progress_decrease = static_cast<ProgressDecrease>(index("keepalive-progress-decrease"));
  progress_range = static_cast<ProgressRange>(index("keepalive-progress-range"));
  null_progress_rejected = index("keepalive-null-progress") == 1;
}

}  // namespace detail
}  // namespace dsmock
