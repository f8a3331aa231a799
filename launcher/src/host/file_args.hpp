// Files named on the app's command line (`cloister run --open`, a desktop entry's %f %F %u %U):
// which arguments name local files, and what the host says about each, gathered once.
//
// Each local file is opened here, once, with O_PATH: a symlink the user gave is resolved at
// that moment and never again. The descriptor stays open until the sandbox is built, and the
// executor binds only the very file it names, so a symlink or file swapped in later cannot
// redirect the grant.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <vector>

#include "host/host_facts.hpp"
#include "sys/unique_fd.hpp"

namespace cloister::host {

enum class ArgForm {
  Path,          // an absolute path, or a relative one made absolute against the cwd
  RelativePath,  // relative text that may or may not be a file (decided by whether it exists)
  FileUri,       // file:///abs/path (or file://localhost/...)
  OtherUri,      // https:, mailto:, file://otherhost/...: passed on, bound nothing
  NotAFile,      // an option ("-x"), empty text: passed on, bound nothing
};

struct FileArg {
  ArgForm form = ArgForm::NotAFile;
  std::string path;     // Path, RelativePath, FileUri: absolute and normalised
  std::string text;     // what the app receives (a relative path becomes absolute)
  std::string problem;  // non-empty: the argument is refused (the launch fails)
};

// Classifies one argument. `explicit_file` (cloister run --open) says the text is meant as a
// file: relative text, even "-x", is a path then. Pure: no system call.
FileArg classify_file_arg(const std::string& arg, const std::string& cwd, bool explicit_file);

// Decodes %XX escapes; false on a bad escape or an encoded NUL.
bool percent_decode(const std::string& in, std::string& out);

// One argument that names a local file, after the host was asked about it.
struct OpenedFile {
  std::size_t index = 0;  // position in the app's argv
  std::string arg;        // the argument as given
  FileArg parsed;
  bool opened = false;     // false: missing (a "save as" target) or unreachable: binds nothing
  std::string open_error;  // why not opened ("No such file or directory")
  int fd = -1;             // O_PATH descriptor, owned by OpenedFiles::fds
  std::string resolved;    // the canonical path that descriptor names
  FileType type = FileType::Missing;  // of the resolved file
  bool writable = false;              // the caller may write it (for a directory: create in it)
  // A directory: the first socket or FIFO found inside it ("" = none), or why its contents
  // could not all be checked. A bound directory carries them into the sandbox, and a socket
  // there connects to whatever listens on it outside.
  std::string special_inside;
  std::string unchecked;
};

// The most entries (at any depth) a directory argument's contents are checked for sockets.
constexpr std::size_t kMaxScannedEntries = 200000;

struct OpenedFiles {
  std::vector<OpenedFile> files;  // in argv order
  std::vector<UniqueFd> fds;      // keep these open until the sandbox is set up
};

// For each index in `explicit_indices` (from --open) and `forward_indices` (a desktop entry's
// file field codes) of `argv`: classifies the argument and opens it when it is a local file.
// Relative text in `forward_indices` counts as a file only when it exists and does not start
// with '-'. Only queries the host.
OpenedFiles open_file_args(const HostFacts& facts, const std::vector<std::string>& argv,
                           const std::vector<std::size_t>& explicit_indices,
                           const std::vector<std::size_t>& forward_indices);

}  // namespace cloister::host
