#include "sys/error.hpp"

#include <cerrno>
#include <cstring>

namespace cloister {

std::string Origin::to_string() const {
  if (builtin()) return "built-in";
  std::string s = file;
  if (line > 0) {
    s += ":" + std::to_string(line);
    if (column > 0) s += ":" + std::to_string(column);
  }
  return s;
}

std::string Diagnostic::to_string() const {
  std::string s = where.to_string() + ": ";
  if (!key.empty()) s += key + ": ";
  return s + message;
}

static std::string join_diagnostics(const std::vector<Diagnostic>& ds) {
  std::string s;
  for (const auto& d : ds) {
    if (!s.empty()) s += "\n";
    s += d.to_string();
  }
  return s;
}

ProfileError::ProfileError(std::vector<Diagnostic> diagnostics)
    : Error(join_diagnostics(diagnostics)), diagnostics_(std::move(diagnostics)) {}

SysError::SysError(std::string what_failed, int err)
    : Error(what_failed + ": " + std::strerror(err)),
      operation_(std::move(what_failed)),
      err_(err) {}

long check_sys(long rc, const std::string& what) {
  if (rc == -1) throw SysError(what, errno);
  return rc;
}

}  // namespace cloister
