#include <unistd.h>

#include <climits>
#include <cstdio>

#include "cli/commands.hpp"
#include "plan/plan.hpp"

namespace cloister::cli {

std::string exe_dir() {
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return {};
  std::string path(buf, static_cast<size_t>(n));
  return path.substr(0, path.rfind('/'));
}

profile::LoadContext load_context(const host::HostFacts& host) {
  profile::LoadContext ctx;
  ctx.vars = host.vars;
  ctx.search_path = profile::default_search_path(host.vars, exe_dir());
  auto it = host.vars.find("XDG_CONFIG_HOME");
  if (it != host.vars.end()) ctx.override_dir = it->second + "/cloister/overrides";
  return ctx;
}

void add_profile_facts(host::HostFacts& host, const profile::Profile& prof) {
  host::add_desktop_facts(host, desktop_needs(prof));
  if (prof.network.value == profile::NetworkMode::User) host::add_network_facts(host);
  host::add_landlock_facts(host);
}

void print_diagnostics(const ProfileError& e, const char* severity) {
  // "file:line:col: error: key: message", the form editors and CI logs link to.
  for (const auto& d : e.diagnostics()) {
    std::string key = d.key.empty() ? "" : d.key + ": ";
    std::fprintf(stderr, "%s: %s: %s%s\n", d.where.to_string().c_str(), severity, key.c_str(),
                 d.message.c_str());
  }
}

}  // namespace cloister::cli
