#include "conformance/engine/selection.hpp"

#include <fnmatch.h>

namespace conformance::engine {

namespace {

bool glob(const std::string& pattern, const std::string& text) {
  return !text.empty() && fnmatch(pattern.c_str(), text.c_str(), 0) == 0;
}

bool matches(const std::string& pattern, const spec::Clause& c) {
  return glob(pattern, c.id) || glob(pattern, c.area);
}

void check_known(const spec::Spec& spec, const std::string& flag, const std::string& pattern) {
  for (const auto* c : spec.clauses())
    if (matches(pattern, *c)) return;
  for (const auto* op : spec.operations())
    if (glob(pattern, op->full_name)) return;
  throw std::invalid_argument(flag + " '" + pattern +
                              "' matches no clause id and no operation of the spec (see "
                              "`conformance spec show`)");
}

}  // namespace

Selection select(const spec::Spec& spec, const std::vector<std::string>& include,
                 const std::vector<std::string>& exclude) {
  for (const auto& p : include)
    check_known(spec, "--include", p);
  for (const auto& p : exclude)
    check_known(spec, "--exclude", p);
  Selection s;
  for (const auto* op : spec.operations())
    for (const auto& p : exclude)
      if (glob(p, op->full_name)) s.excluded_operations.insert(op->full_name);
  if (!spec.operations().empty() && s.excluded_operations.size() == spec.operations().size())
    throw std::invalid_argument("--exclude leaves no operation to call");
  for (const auto* c : spec.clauses()) {
    std::string why;
    for (const auto& p : exclude)
      if (why.empty() && matches(p, *c))
        why = "left out by --exclude '" + p + "'" +
              (s.excluded_operations.count(c->area) ? " (operation " + c->area + ")" : "");
    if (why.empty() && !include.empty()) {
      bool in = false;
      for (const auto& p : include)
        in = in || matches(p, *c);
      if (!in) why = "not selected by --include";
    }
    if (!why.empty()) s.excluded_clauses[c->id] = why;
  }
  return s;
}

}  // namespace conformance::engine
