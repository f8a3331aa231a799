// The guard: the suite proves nothing as root or without unprivileged user namespaces, so it
// fails loudly there (every other test calls require_preconditions() too).
#include <unistd.h>

#include <catch2/catch.hpp>

#include "harness.hpp"

using namespace cloister_it;

TEST_CASE("preconditions: unprivileged user, user namespaces, built binaries", "[guard]") {
  INFO("uid " << getuid() << ", euid " << geteuid());
  require_preconditions();
  SUCCEED("running as uid " << getuid() << " with unprivileged user namespaces available");
}
