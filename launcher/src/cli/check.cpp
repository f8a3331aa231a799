// cloister check PROFILE...: every problem in every file, then a verdict. 0 ok, 2 invalid.
#include <cstdio>

#include "cli/commands.hpp"
#include "plan/plan.hpp"

namespace cloister::cli {

int check_command(const std::vector<std::string>& args) {
  if (args.empty()) throw UsageError("check: no PROFILE given\nusage: cloister check PROFILE...");
  if (args[0] == "--help" || args[0] == "-h") {
    std::printf(
        "usage: cloister check PROFILE...\n\nValidates each profile and prints every "
        "problem as file:line:col. Exit 0 when all are valid, 2 otherwise.\n");
    return 0;
  }
  const host::HostFacts base = host::gather();
  const profile::LoadContext ctx = load_context(base);
  int invalid = 0;
  for (const auto& name : args) {
    try {
      profile::Profile prof = profile::load(name, ctx);
      // The profile is valid; what this host lacks is worth a warning, not a failure, since
      // profiles are shared between machines.
      host::HostFacts host = base;
      add_profile_facts(host, prof);
      try {
        plan::build_plan(prof, host, {});
      } catch (const ProfileError& e) {
        print_diagnostics(e, "warning");
      }
      std::printf("%s: ok\n", name.c_str());
    } catch (const ProfileError& e) {
      print_diagnostics(e, "error");
      std::fprintf(stderr, "cloister: %s: invalid (%zu problem%s)\n", name.c_str(),
                   e.diagnostics().size(), e.diagnostics().size() == 1 ? "" : "s");
      ++invalid;
    } catch (const Error& e) {
      std::fprintf(stderr, "cloister: %s: %s\n", name.c_str(), e.what());
      ++invalid;
    }
  }
  return invalid ? 2 : 0;
}

}  // namespace cloister::cli
