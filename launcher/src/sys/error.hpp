// Error types shared by every module. Errors carry their context; they are logged once, in main.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace cloister {

// Where a value came from: a profile file and the position of the key or array element.
struct Origin {
  std::string file;  // empty for built-in defaults
  int line = 0;
  int column = 0;

  bool builtin() const { return file.empty(); }
  std::string to_string() const;  // "file:line:col", or "built-in"
};

// One problem found in a profile.
struct Diagnostic {
  Origin where;
  std::string key;      // dotted key, e.g. "filesystem.read-only[2]"; may be empty
  std::string message;  // what is wrong and, where it helps, what to do

  std::string to_string() const;  // "file:line:col: key: message"
};

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Bad command line. Exit status 2.
class UsageError : public Error {
 public:
  using Error::Error;
};

// One or more problems in a profile. Exit status 2 from `check`, 125 from `run`.
class ProfileError : public Error {
 public:
  explicit ProfileError(std::vector<Diagnostic> diagnostics);
  const std::vector<Diagnostic>& diagnostics() const { return diagnostics_; }

 private:
  std::vector<Diagnostic> diagnostics_;
};

// A failed system call: what was being done, and errno.
class SysError : public Error {
 public:
  SysError(std::string what_failed, int err);
  int err() const { return err_; }
  const std::string& operation() const { return operation_; }

 private:
  std::string operation_;
  int err_;
};

// Throws SysError(what, errno) when rc == -1; returns rc otherwise.
long check_sys(long rc, const std::string& what);

}  // namespace cloister
