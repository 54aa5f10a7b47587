#include "conformance/reports/dot.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <set>
#include <sstream>
#include <vector>

#include "conformance/reports/atomic_file.hpp"

namespace conformance::reports {

namespace {

// FILE.dot becomes FILE.dot.svg when Graphviz's `dot` is installed.
void render_svg(const std::string& dot_file) {
  std::string svg = dot_file + ".svg";
  std::vector<std::string> args = {"dot", "-Tsvg", dot_file, "-o", svg};
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  int rc = posix_spawnp(&pid, "dot", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return;  // no Graphviz: the DOT file is the report
  int status = 0;
  waitpid(pid, &status, 0);
}

using Matrix = decltype(engine::Coverage::matrix);

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c == '\n' ? ' ' : c;
  }
  return out + "\"";
}

// The model writes "S?" for a state the instance may have left (lease): same state.
bool same_state(const std::string& pre_state, const std::string& state) {
  return pre_state == state || pre_state == state + "?";
}

// "success", "called" (never succeeded) or "never" for `op` from `state` ("" = any).
std::string coverage_of(const Matrix& m, const std::string& op, const std::string& state) {
  auto it = m.find(op);
  if (it == m.end()) return "never";
  bool called = false;
  for (const auto& [pre, outcomes] : it->second) {
    if (!state.empty() && !same_state(pre, state)) continue;
    called = true;
    auto s = outcomes.find("success");
    if (s != outcomes.end() && s->second > 0) return "success";
  }
  return called ? "called" : "never";
}

std::string colour(const std::string& coverage) {
  return coverage == "success" ? "green4" : coverage == "called" ? "darkorange" : "grey70";
}

std::vector<std::string> allowed_states(const spec::Operation& op, const spec::Resource& r,
                                        const std::vector<std::string>& all) {
  std::vector<std::string> states = all;
  for (const auto& p : op.preconditions)
    if (p.check == spec::Precondition::Check::StateIn && p.resource == r.name &&
        p.clause.provenance != spec::Provenance::open)
      std::erase_if(states, [&](const std::string& s) {
        return std::find(p.states.begin(), p.states.end(), s) == p.states.end();
      });
  return states;
}

}  // namespace

std::string coverage_dot(const spec::Spec& spec, const engine::RunResult& result) {
  const Matrix& m = result.coverage.matrix;
  std::ostringstream out;
  out << "digraph coverage {\n  rankdir=LR;\n  node [shape=box, style=rounded];\n"
      << "  label=\"green: succeeded from that state; orange: called, never succeeded; grey: never "
         "called\";\n";
  for (const auto& [name, r] : spec.resources) {
    if (!r.states) continue;
    const spec::TypeDef* t = spec.find_type(r.states->type);
    std::vector<std::string> states = t ? t->values : std::vector<std::string>{};
    const bool child = r.kind == spec::Resource::Kind::Child;
    const std::string prefix = name + ".";
    out << "  subgraph " << quote("cluster_" + name) << " {\n    label=" << quote(name) << ";\n";
    for (const auto& s : states) {
      out << "    " << quote(prefix + s) << " [label=" << quote(s);
      if (!child) {
        bool called = std::any_of(m.begin(), m.end(), [&](const auto& op) {
          return std::any_of(op.second.begin(), op.second.end(),
                             [&](const auto& pre) { return same_state(pre.first, s); });
        });
        out << ", color=" << (called ? "green4" : "grey70")
            << ", fontcolor=" << (called ? "black" : "grey50");
      }
      out << "];\n";
    }
    out << "    " << quote(prefix + "(start)") << " [shape=point];\n";
    out << "    " << quote(prefix + "(gone)") << " [shape=doublecircle, label=\"gone\"];\n";
    out << "  }\n";

    std::set<std::string> seen;
    auto edge = [&](const std::string& from, const std::string& to, const std::string& label,
                    const std::string& style) {
      std::string e = "  " + quote(prefix + from) + " -> " + quote(prefix + to) +
                      " [label=" + quote(label) + (style.empty() ? "" : ", " + style) + "];\n";
      if (seen.insert(e).second) out << e;
    };
    auto coloured = [&](const std::string& op, const std::string& from_state) {
      std::string c = colour(coverage_of(m, op, from_state));
      return "color=" + c + ", fontcolor=" + c;
    };
    if (child) edge("(start)", r.states->initial, "", "");
    for (const spec::Operation* op : spec.operations()) {
      for (const auto& e : op->effects) {
        if (e.resource != name) continue;
        switch (e.kind) {
          case spec::Effect::Kind::Create:
            edge("(start)", r.states->initial, op->full_name, coloured(op->full_name, ""));
            break;
          case spec::Effect::Kind::SetState:
            for (const auto& from : allowed_states(*op, r, states))
              edge(from, e.to, op->full_name, coloured(op->full_name, child ? "" : from));
            break;
          case spec::Effect::Kind::Remove:
            for (const auto& from : allowed_states(*op, r, states))
              edge(from, "(gone)", op->full_name, coloured(op->full_name, child ? "" : from));
            break;
          case spec::Effect::Kind::AdvanceChild:
            for (const auto& to : e.to_any_of)
              edge(r.states->initial, to, op->full_name, coloured(op->full_name, ""));
            break;
          default:
            break;
        }
      }
    }
    for (const auto& [from, to] : r.states->spontaneous)
      edge(from, to, "", "style=dashed");
    if (r.lease)
      for (const auto& s : states)
        edge(s, "(gone)", "expiry", "style=dashed");
  }
  out << "}\n";
  return out.str();
}

DotReporter::DotReporter(std::string path, const spec::Spec& spec, bool svg)
    : path_(std::move(path)), spec_(spec), svg_(svg) {}

void DotReporter::run_finished(const engine::RunFinished& e) {
  write_file_atomically(path_, coverage_dot(spec_, e.result));
  if (svg_) render_svg(path_);
}

}  // namespace conformance::reports
