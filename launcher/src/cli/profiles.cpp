// cloister profiles: each profile on the search path and the file it comes from.
#include <cstdio>

#include "cli/commands.hpp"

namespace cloister::cli {

int profiles_command(const std::vector<std::string>& args) {
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
    std::printf(
        "usage: cloister profiles\n\nLists every profile on the search path (first match "
        "wins) and the file it comes from.\n");
    return 0;
  }
  if (!args.empty()) throw UsageError("profiles: unexpected argument `" + args[0] + "`");
  const profile::LoadContext ctx = load_context(host::gather());
  for (const auto& [name, file] : profile::list_profiles(ctx))
    std::printf("%-24s %s\n", name.c_str(), file.c_str());
  std::fprintf(stderr, "search path (first match wins):\n");
  for (const auto& dir : ctx.search_path) std::fprintf(stderr, "  %s\n", dir.c_str());
  return 0;
}

}  // namespace cloister::cli
