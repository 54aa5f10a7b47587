// The `conformance` command line. Exit codes (README, "Exit codes"):
//   0 conforms / ok, 1 violations, 2 bad usage, spec or profile,
//   3 target unreachable or login failed, 4 internal error.
#include <CLI/CLI.hpp>
#include <exception>
#include <fstream>
#include <iostream>

#include "conformance/spec/loader.hpp"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitUsage = 2;
constexpr int kExitInternal = 4;

int spec_check(const std::string& file) {
  auto spec = conformance::spec::load_spec(file);
  std::cout << file << ": ok (" << spec.operations().size() << " operations, " << spec.clauses().size()
            << " clauses, " << spec.bindings.size() << " bindings)\n";
  return kExitOk;
}

int spec_show(const std::string& file, bool dot) {
  auto spec = conformance::spec::load_spec(file);
  std::cout << (dot ? conformance::spec::to_dot(spec) : conformance::spec::describe(spec));
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"conformance: checks a vSphere download-session service against its declarative spec"};
  app.set_version_flag("--version", std::string("conformance ") + CONFORMANCE_VERSION);
  app.require_subcommand(1);

  auto* spec_cmd = app.add_subcommand("spec", "Check or show a spec file");
  spec_cmd->require_subcommand(1);
  std::string check_file;
  auto* check = spec_cmd->add_subcommand("check", "Validate a spec file (exit 0 if valid, 2 if not)");
  check->add_option("FILE", check_file, "spec file")->required();
  std::string show_file;
  bool dot = false;
  auto* show = spec_cmd->add_subcommand("show", "Print operations, clauses and the state machine");
  show->add_option("FILE", show_file, "spec file")->required();
  show->add_flag("--dot", dot, "print the state machine as Graphviz DOT instead");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }
  try {
    if (check->parsed()) return spec_check(check_file);
    if (show->parsed()) return spec_show(show_file, dot);
  } catch (const conformance::spec::SpecError& e) {
    std::cerr << "conformance: invalid spec: " << e.what() << "\n";
    return kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << "conformance: internal error: " << e.what() << "\n";
    return kExitInternal;
  }
  return kExitUsage;
}
