// cloister enter INSTANCE [-- COMMAND [ARG...]]: a command (a shell by default) inside a
// running sandbox, confined exactly as its app.
#include "exec/enter.hpp"

#include "cli/commands.hpp"
#include "cli/instance_args.hpp"

namespace cloister::cli {
namespace {

constexpr const char* kEnterUsage = "usage: cloister enter [-v] INSTANCE [-- COMMAND [ARG...]]";

// The app's $SHELL when it is an absolute path, else sh (looked up in the app's PATH).
std::vector<std::string> default_command(const instance::Record& record) {
  for (const auto& e : record.env)
    if (e.rfind("SHELL=/", 0) == 0) return {e.substr(6)};
  return {"sh"};
}

}  // namespace

int enter_command(const std::vector<std::string>& args) {
  InstanceCommand c{kEnterUsage,
                    "Runs COMMAND (default: a shell) inside the running sandbox INSTANCE, in all "
                    "its namespaces and\nwith exactly the app's restrictions: its environment, "
                    "working directory, resource limits\nand seccomp filter, no capabilities, "
                    "no_new_privs."};
  c.command = true;
  c.status_help =
      "exit status: the command's; 128+N if a signal N killed it; 125 if cloister failed\n"
      "(no such instance included); 126 not executable; 127 not found.";
  const InstanceArgs a = parse_instance_args(args, c);
  if (a.help) return 0;
  const exec::Instances found = list_instances_here();
  const instance::Record& record = exec::select_instance(found, a.instance);
  return exec::enter(record, a.command.empty() ? default_command(record) : a.command);
}

}  // namespace cloister::cli
