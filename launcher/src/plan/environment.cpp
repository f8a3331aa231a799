// The app's environment is an allowlist: nothing from the launching environment passes unless a
// `keep` pattern names it.
#include <fnmatch.h>

#include <algorithm>

#include "plan/plan.hpp"

namespace cloister::plan {
namespace {

// The dynamic loader obeys these before any code of the app runs; a kept pattern such as "*"
// must not let them through. Only an explicit `set` can.
bool is_loader_variable(const std::string& name) { return name.rfind("LD_", 0) == 0; }

bool matches_any(const std::string& name, const std::vector<std::string>& patterns) {
  return std::any_of(patterns.begin(), patterns.end(), [&](const std::string& p) {
    return ::fnmatch(p.c_str(), name.c_str(), 0) == 0;
  });
}

}  // namespace

std::vector<std::string> filter_environment(const std::map<std::string, std::string>& host_env,
                                            const std::vector<std::string>& keep,
                                            const std::map<std::string, std::string>& set) {
  std::map<std::string, std::string> out;
  for (const auto& [name, value] : host_env) {
    if (is_loader_variable(name)) continue;
    if (matches_any(name, keep)) out[name] = value;
  }
  for (const auto& [name, value] : set) out[name] = value;
  std::vector<std::string> env;
  env.reserve(out.size());
  for (const auto& [name, value] : out) env.push_back(name + "=" + value);
  return env;  // std::map iteration order: already sorted by name
}

std::map<std::string, EnvOrigin> explain_environment(
    const std::vector<std::string>& env, const std::vector<profile::Sourced<std::string>>& keep,
    const std::map<std::string, profile::Sourced<std::string>>& set) {
  std::map<std::string, EnvOrigin> out;
  for (const auto& entry : env) {
    const std::string name = entry.substr(0, entry.find('='));
    auto s = set.find(name);
    if (s != set.end()) {
      out[name] = {s->second.origin.builtin() ? "built-in" : "set", s->second.origin.to_string()};
      continue;
    }
    for (const auto& k : keep) {
      if (::fnmatch(k.value.c_str(), name.c_str(), 0) == 0) {
        out[name] = {k.value, k.origin.to_string()};
        break;
      }
    }
  }
  return out;
}

}  // namespace cloister::plan
