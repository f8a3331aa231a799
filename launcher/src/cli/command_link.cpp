// cloister started as ~/.local/bin/<command> (a link `desktop install --bin` made): runs the
// profile whose command that is, with the arguments passed on and the files among them bound
// as with `run --forward`. Never runs anything outside a sandbox: no matching profile, no run.
#include <cstdio>

#include "cli/commands.hpp"
#include "cli/desktop_ops.hpp"

namespace cloister::cli {
namespace {

// The profile file for command `name`: the profile of that name if its command is `name`,
// else the only profile on the search path whose command is.
std::string profile_for(const std::string& name, const profile::LoadContext& ctx) {
  const auto profiles = profile::list_profiles(ctx);
  auto matches = [&](const std::string& file) {
    try {
      return desktop_ops::link_name(profile::load_file(file, ctx)) == name;
    } catch (const Error&) {
      return false;
    }
  };
  if (auto it = profiles.find(name); it != profiles.end() && matches(it->second)) return it->second;
  std::vector<std::string> found;
  for (const auto& [n, file] : profiles)
    if (n != name && matches(file)) found.push_back(file);
  if (found.size() == 1) return found.front();
  if (found.empty())
    throw Error("started as `" + name + "`, but no profile on the search path runs " + name +
                "; nothing was started (remove the link with `cloister desktop remove --all`, "
                "or add a profile)");
  std::string list;
  for (const auto& f : found) list += "\n  " + f;
  throw Error("started as `" + name + "`, and several profiles run " + name +
              "; nothing was started. Give one a name of " + name + ":" + list);
}

}  // namespace

int command_link(const std::string& name, const std::vector<std::string>& args) {
  const host::HostFacts host = host::gather();
  const std::string file = profile_for(name, load_context(host));
  const profile::Profile prof = profile::load_file(file, load_context(host));
  std::vector<std::string> run_args = {"--forward=" + std::to_string(prof.command.value.size()),
                                       file, "--"};
  run_args.insert(run_args.end(), prof.command.value.begin(), prof.command.value.end());
  run_args.insert(run_args.end(), args.begin(), args.end());
  return run_command(run_args);
}

}  // namespace cloister::cli
