// Dropping privilege. The new user namespace handed us every capability over it (and a full
// bounding set); none of that may reach the app, nor pid 1, which the app can signal and see.
#include <linux/securebits.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include <cerrno>

#include "exec/steps.hpp"
#include "sys/error.hpp"
#include "sys/log.hpp"

namespace cloister::exec {

void drop_privileges() {
  // Securebits need CAP_SETPCAP, so they come first. For a plan that maps the user to uid 0
  // inside, NOROOT stops exec from re-granting capabilities to "root", NO_SETUID_FIXUP stops
  // a setuid() from doing the same; the locks make both permanent for every descendant.
  const unsigned long bits = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
                             SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE |
                             SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;
  check_sys(::prctl(PR_SET_SECUREBITS, bits, 0, 0, 0), "setting securebits");
  check_sys(::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "setting no_new_privs");
  // Not dumpable: the app (same uid) cannot ptrace pid 1 or open /proc/1/fd. execve makes the
  // app itself dumpable again, as it should be.
  check_sys(::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), "clearing the dumpable flag");

  // The bounding set is what a later exec of a file with capabilities could still gain; it is
  // cleared while we hold CAP_SETPCAP, before capset empties the other sets.
  for (int cap = 0; cap < cap_max_bits(); ++cap) {
    if (cap_drop_bound(static_cast<cap_value_t>(cap)) == -1 && errno != EINVAL)
      throw SysError("dropping capability " + std::to_string(cap) + " from the bounding set",
                     errno);
  }
  check_sys(cap_reset_ambient(), "clearing the ambient capabilities");
  cap_t none = cap_init();  // every flag of every set clear
  if (!none) throw SysError("cap_init", errno);
  int rc = cap_set_proc(none);
  int err = errno;
  cap_free(none);
  if (rc == -1) throw SysError("clearing the capability sets", err);
  log::debug("caps: no_new_privs, securebits locked, all capabilities dropped");
}

}  // namespace cloister::exec
