// cloister: dispatch to a subcommand; the one place errors are printed.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "exec/run.hpp"
#include "sys/error.hpp"

namespace {

constexpr const char* kUsage =
    "usage: cloister run [--dry-run] [-v] [--open FILE|URI]... [--forward N[:M]] PROFILE\n"
    "                    [-- COMMAND [ARG...]]\n"
    "       cloister check PROFILE...\n"
    "       cloister audit [--json] [--live] [--fail-on high|medium|low] PROFILE\n"
    "       cloister profiles\n"
    "       cloister desktop install [--bin] [--dry-run] (PROFILE... | --all)\n"
    "       cloister desktop remove [--dry-run] (PROFILE... | --all)\n"
    "       cloister desktop list [--json]\n"
    "       cloister ps [--json]\n"
    "       cloister enter INSTANCE [-- COMMAND [ARG...]]\n"
    "       cloister stop [--timeout N] INSTANCE | --all\n"
    "       cloister attest [--json] INSTANCE\n"
    "       cloister --help | --version\n"
    "\n"
    "Runs desktop apps in rootless sandboxes described by TOML profiles.\n"
    "PROFILE is a name on the search path or a path to a .toml file.\n"
    "INSTANCE is a running sandbox's id, or its app name when only one of it runs.\n"
    "`cloister SUBCOMMAND --help` says more; `man cloister` says everything.\n";

// The name cloister was started under: a command link (~/.local/bin/evince -> cloister) when it
// is not "cloister".
std::string invoked_as(const char* argv0) {
  std::string name = argv0 != nullptr ? argv0 : "";
  std::size_t slash = name.rfind('/');
  return slash == std::string::npos ? name : name.substr(slash + 1);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace cloister;
  const std::string name = invoked_as(argc > 0 ? argv[0] : nullptr);
  const bool as_link = !name.empty() && name != "cloister";
  std::vector<std::string> args(argv + (argc > 1 ? 2 : argc), argv + argc);
  if (as_link) args.assign(argv + 1, argv + argc);
  const std::string sub = as_link ? "" : argc > 1 ? argv[1] : "";
  // `run` and `enter` must not be confused with the command's own status: their own failures
  // are 125 (env(1)).
  const bool is_run = sub == "run" || sub == "enter" || as_link;
  const int usage_status = is_run ? exec::kExitSetupFailed : 2;
  const int failure_status = is_run ? exec::kExitSetupFailed : 1;
  try {
    if (as_link) return cli::command_link(name, args);
    if (sub == "run") return cli::run_command(args);
    if (sub == "desktop") return cli::desktop_command(args);
    if (sub == "check") return cli::check_command(args);
    if (sub == "profiles") return cli::profiles_command(args);
    if (sub == "ps") return cli::ps_command(args);
    if (sub == "enter") return cli::enter_command(args);
    if (sub == "stop") return cli::stop_command(args);
    if (sub == "attest") return cli::attest_command(args);
    if (sub == "audit") return cli::audit_command(args);
    if (sub == "--help" || sub == "-h" || sub == "help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (sub == "--version") {
      std::printf("cloister %s\n", CLOISTER_VERSION);
      return 0;
    }
    throw UsageError(sub.empty() ? std::string("no subcommand given")
                                 : "unknown subcommand `" + sub + "`");
  } catch (const UsageError& e) {
    std::fprintf(stderr, "cloister: %s\n", e.what());
    if (std::strchr(e.what(), '\n') == nullptr) std::fputs(kUsage, stderr);
    return usage_status;
  } catch (const ProfileError& e) {
    cli::print_diagnostics(e, "error");
    std::fprintf(stderr,
                 "cloister: the profile is invalid (%zu problem%s); fix it, then see "
                 "`cloister check`\n",
                 e.diagnostics().size(), e.diagnostics().size() == 1 ? "" : "s");
    return is_run ? exec::kExitSetupFailed : 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cloister: %s\n", e.what());
    return failure_status;
  }
}
