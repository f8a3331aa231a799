#include "exec/instance_store.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "exec/instance.hpp"
#include "exec/instance_fs.hpp"
#include "instance/proc.hpp"
#include "sys/error.hpp"
#include "sys/log.hpp"
#include "sys/read_file.hpp"

namespace cloister::exec {
namespace {

using namespace detail;

// The record of one instance directory, or a reason it is not believed ("" = not one to
// mention: a launch still starting has no record yet).
struct Found {
  bool ok = false;
  instance::Record record;
  std::string why;
};

std::string read_all(int fd, std::size_t max, const std::string& shown) {
  std::string out;
  const int err = cloister::sys::read_to_end(fd, max, out);
  if (err == EFBIG) throw Error(shown + ": too large to be an instance record");
  if (err != 0) throw SysError("reading " + shown, err);
  return out;
}

Found read_instance(int base, const std::string& base_path, const std::string& name) {
  Found f;
  const std::string dir_path = base_path + "/" + name;
  UniqueFd dir(::openat(base, name.c_str(), kDirFlags));
  struct stat st {};
  if (!dir || ::fstat(dir.get(), &st) == -1 || st.st_uid != ::geteuid()) {
    f.why = dir_path + ": not a directory of yours";
    return f;
  }
  if (::flock(dir.get(), LOCK_EX | LOCK_NB) == 0) {
    // Its launcher exited after the sweep: not running, removed by the next one.
    ::flock(dir.get(), LOCK_UN);
    return f;
  }
  const std::string path = dir_path + "/" + kRecordName;
  UniqueFd file(::openat(dir.get(), kRecordName, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!file) {
    if (errno != ENOENT) f.why = path + ": " + std::strerror(errno);
    return f;  // ENOENT: the launch is still starting, or its sandbox just ended
  }
  if (::fstat(file.get(), &st) == -1 || !S_ISREG(st.st_mode) || st.st_uid != ::geteuid()) {
    f.why = path + ": not a regular file of yours";
    return f;
  }
  try {
    f.record = instance::parse_record(read_all(file.get(), instance::kMaxRecordSize, path), path);
  } catch (const Error& e) {
    f.why = e.what();
    return f;
  }
  if (f.record.id != name) {
    f.why = path + ": records " + f.record.id + ", not " + name;
    return f;
  }
  if (!instance::still_running(f.record.launcher.pid, f.record.launcher.start)) {
    f.why = path + ": its launcher (pid " + std::to_string(f.record.launcher.pid) + ") is gone";
    return f;
  }
  if (!instance::still_running(f.record.pid1.pid, f.record.pid1.start)) {
    f.why = path + ": pid " + std::to_string(f.record.pid1.pid) +
            " is not the sandbox's pid 1 any more (it ended, or the pid was reused)";
    return f;
  }
  f.ok = true;
  return f;
}

}  // namespace

Instances list_instances(const std::string& base_dir) {
  Instances out;
  out.base_dir = base_dir;
  const auto slash = base_dir.rfind('/');
  if (slash == std::string::npos || slash + 1 >= base_dir.size())
    throw Error("instance directory `" + base_dir + "`: not an absolute path");
  const std::string runtime_path = slash == 0 ? "/" : base_dir.substr(0, slash);
  const std::string base_name = base_dir.substr(slash + 1);

  UniqueFd runtime;
  try {
    runtime = open_runtime_dir(runtime_path, "its instance records");
  } catch (const NoRuntimeDir&) {
    out.no_runtime_dir = true;
    return out;
  }
  UniqueFd base(::openat(runtime.get(), base_name.c_str(), kDirFlags));
  if (!base) {
    if (errno == ENOENT) return out;  // nothing was ever recorded
    if (errno == ELOOP || errno == ENOTDIR)
      throw Error(base_dir + " is a symlink or not a directory; refusing to read it");
    throw SysError("opening " + base_dir, errno);
  }
  struct stat st {};
  check_sys(::fstat(base.get(), &st), "inspecting " + base_dir);
  if (st.st_uid != ::geteuid())
    throw Error(base_dir + " belongs to uid " + std::to_string(st.st_uid) +
                ", not to you; refusing to read it");
  if (st.st_mode & (S_IWGRP | S_IWOTH))
    throw Error(base_dir + " is writable by other users (mode " + mode_text(st.st_mode) +
                "); refusing to read it");

  // With the base lock held, a launch between its mkdir and its flock is never taken for a
  // stale one; stale ones (launcher SIGKILLed) go now.
  DirLock lock(base.get(), base_dir);
  sweep_stale(base.get(), base_dir, "");
  for (const auto& name : list_names(base.get(), base_dir)) {
    Found f = read_instance(base.get(), base_dir, name);
    if (f.ok) {
      out.running.push_back(std::move(f.record));
    } else if (!f.why.empty()) {
      log::debug("instance: skipped %s", f.why.c_str());
      out.skipped.push_back(std::move(f.why));
    }
  }
  std::sort(out.running.begin(), out.running.end(), [](const auto& a, const auto& b) {
    return a.started_unix != b.started_unix ? a.started_unix < b.started_unix : a.id < b.id;
  });
  return out;
}

const instance::Record& select_instance(const Instances& instances, const std::string& name) {
  std::vector<const instance::Record*> by_app;
  for (const auto& r : instances.running) {
    if (r.id == name) return r;
    if (r.app == name) by_app.push_back(&r);
  }
  if (by_app.size() == 1) return *by_app.front();
  std::string msg;
  if (by_app.empty()) {
    msg = "no running sandbox is called `" + name + "`";
    if (instances.no_runtime_dir) {
      msg += " (XDG_RUNTIME_DIR does not exist, so none is recorded)";
    } else if (instances.running.empty()) {
      msg += " (none is running)\n`cloister ps` lists your running sandboxes";
    } else {
      msg += "; running:";
      for (const auto& r : instances.running) msg += "\n  " + r.id + "  (" + r.app + ")";
    }
  } else {
    msg = std::to_string(by_app.size()) + " sandboxes of " + name +
          " are running; name one by its id:";
    for (const auto* r : by_app)
      msg += "\n  " + r->id + "  (pid " + std::to_string(r->pid1.pid) + ": " +
             instance::command_line(r->argv) + ")";
  }
  throw UsageError(msg);
}

}  // namespace cloister::exec
