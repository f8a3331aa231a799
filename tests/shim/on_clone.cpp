// Test-only LD_PRELOAD library: runs $CLOISTER_TEST_ON_CLONE (a shell command) once, right
// before the launcher's first clone(2), i.e. after it has checked and opened the file
// arguments and before the sandbox binds them. The integration tests use it to swap a symlink
// or a file in exactly that window, which no timing-based test could hit reliably.
#include <dlfcn.h>
#include <sys/syscall.h>

#include <cstdarg>
#include <cstdlib>

extern "C" long syscall(long number, ...) {
  using Real = long (*)(long, ...);
  static Real real = reinterpret_cast<Real>(dlsym(RTLD_NEXT, "syscall"));
  va_list ap;
  va_start(ap, number);
  long a[6];
  for (long& x : a) x = va_arg(ap, long);
  va_end(ap);
  if (number == SYS_clone) {
    if (const char* command = std::getenv("CLOISTER_TEST_ON_CLONE")) {
      if (*command != '\0' && std::system(command) != 0) std::abort();
      ::unsetenv("CLOISTER_TEST_ON_CLONE");
    }
  }
  return real(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}
