// ~ and ${NAME} expansion. One pass, no recursion: a value that itself contains "${...}" is
// copied as is, so what a variable holds can never pull in another variable.
#include <optional>
#include <string>

#include "profile/internal.hpp"

namespace cloister::profile::detail {
namespace {

std::string known_names(const Vars& vars) {
  std::string s;
  for (const auto& [name, value] : vars) {
    if (!s.empty()) s += ", ";
    s += name;
  }
  return s.empty() ? "none" : s;
}

bool lookup(const Vars& vars, const std::string& name, std::string& out, std::string& error) {
  auto it = vars.find(name);
  if (it == vars.end()) {
    error = "unknown variable ${" + name + "}; known variables are " + known_names(vars);
    return false;
  }
  out += it->second;
  return true;
}

}  // namespace

std::optional<std::string> expand(const std::string& text, const Vars& vars, std::string& error) {
  std::string out;
  std::size_t i = 0;
  // Only a leading "~" alone or before "/" means home; "~user" is left alone (and a path
  // validator then says it is relative).
  if (text == "~" || text.rfind("~/", 0) == 0) {
    if (!lookup(vars, "HOME", out, error)) return std::nullopt;
    i = 1;
  }
  while (i < text.size()) {
    char c = text[i];
    if (c != '$' || i + 1 >= text.size() || text[i + 1] != '{') {
      out += c;  // a lone '$' is literal
      ++i;
      continue;
    }
    std::size_t close = text.find('}', i + 2);
    if (close == std::string::npos) {
      error = "unterminated ${ at character " + std::to_string(i + 1) + "; close it with }";
      return std::nullopt;
    }
    std::string name = text.substr(i + 2, close - i - 2);
    if (!valid_env_name(name)) {
      error = "bad variable reference ${" + name +
              "}; names are letters, digits and '_', not starting with a digit";
      return std::nullopt;
    }
    if (!lookup(vars, name, out, error)) return std::nullopt;
    i = close + 1;
  }
  return out;
}

}  // namespace cloister::profile::detail
