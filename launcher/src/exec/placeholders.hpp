// Mount points that file arguments need inside an app's persistent home, which is a host
// directory: the sandbox's setup makes the missing ones (a mount needs something to sit on),
// and they are taken away again when the sandbox ends, so a launch leaves nothing behind.
//
//   Placeholders marks(plan.placeholders);   // before the clone: notes what is missing now
//   ... the sandbox runs ...
//   // ~Placeholders: removes what was missing, if it is still an empty file or directory
//
// Every step walks from the persistent home's descriptor without following symlinks: the app
// can write its home while it runs and must not turn the clean-up against other files. If
// cloister is killed with SIGKILL, an empty placeholder stays behind.
#pragma once

#include <string>
#include <vector>

#include "plan/plan.hpp"

namespace cloister::exec {

class Placeholders {
 public:
  explicit Placeholders(const std::vector<plan::Placeholder>& list);
  ~Placeholders();
  Placeholders(const Placeholders&) = delete;
  Placeholders& operator=(const Placeholders&) = delete;

 private:
  struct Entry {
    std::string base;
    std::vector<std::string> names;  // path components below base
    std::size_t first_missing = 0;   // index in names of the first one missing before the run
    bool is_dir = false;
  };
  std::vector<Entry> entries_;
};

}  // namespace cloister::exec
