// The launch's private host directory, $XDG_RUNTIME_DIR/cloister/<app>-<pid>: where helpers
// such as xdg-dbus-proxy put the sockets the sandbox gets bound in, and where the instance
// record that `cloister ps`, `enter`, `stop` and `attest` read is kept (instance/record.hpp).
//
// Created 0700 before anything else and removed (with whatever the helpers left in it) when the
// InstanceDir is destroyed, which run() arranges on every way out. Every name below
// $XDG_RUNTIME_DIR is created and opened relative to an fd of its parent, never following a
// symlink, and checked to be ours. A flock on the directory marks it as in use: directories
// left by launchers that were SIGKILLed are unlocked and so known to be stale. Each launch
// removes them (one of its own name, possible on pid reuse, included) before making its own.
#pragma once

#include <string>

#include "sys/error.hpp"
#include "sys/unique_fd.hpp"

namespace cloister::exec {

// $XDG_RUNTIME_DIR does not exist.
class NoRuntimeDir : public Error {
 public:
  using Error::Error;
};

// The record's file name inside an instance directory.
constexpr const char* kRecordName = "record";

class InstanceDir {
 public:
  InstanceDir() = default;
  InstanceDir(InstanceDir&&) = default;
  InstanceDir& operator=(InstanceDir&&) = delete;
  ~InstanceDir() { remove(); }

  // `path` is plan.instance_dir: <runtime dir>/<base>/<name>. `needed_for` names what needs it
  // ("the session bus proxy") for the message given when the runtime dir does not exist.
  static InstanceDir create(const std::string& path, const std::string& needed_for);

  // Writes `text` as the file "record" in the directory, atomically: readers see the whole
  // record or none (a temporary file renamed over it). Throws SysError.
  void write_record(const std::string& text);
  // Removes the record (the sandbox is gone; the directory follows once the helpers stopped).
  void remove_record() noexcept;

  const std::string& path() const { return path_; }

  // Removes the directory and its contents. Idempotent, never throws (problems are logged).
  void remove() noexcept;

 private:
  std::string path_;
  std::string name_;  // last component of path_
  UniqueFd base_;     // <runtime dir>/<base>
  UniqueFd dir_;      // the instance directory itself (O_RDONLY: holds the flock)
};

}  // namespace cloister::exec
