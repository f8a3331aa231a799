#include "sys/log.hpp"

#include <unistd.h>

#include <cstdarg>
#include <cstdio>

namespace cloister::log {
namespace {

Level g_level = Level::Warning;

// One write(2) per line, so lines from the launcher and the sandbox do not interleave mid-line.
void emit(const char* tag, const char* fmt, va_list ap) {
  char buf[4096];
  int n = std::snprintf(buf, sizeof buf, "cloister: %s", tag);
  if (n < 0) return;
  int m = std::vsnprintf(buf + n, sizeof buf - static_cast<size_t>(n), fmt, ap);
  if (m < 0) return;
  size_t len = static_cast<size_t>(n) + static_cast<size_t>(m);
  if (len > sizeof buf - 2) len = sizeof buf - 2;
  buf[len++] = '\n';
  ssize_t ignored = ::write(STDERR_FILENO, buf, len);
  (void)ignored;
}

}  // namespace

void set_level(Level level) { g_level = level; }
Level level() { return g_level; }
bool enabled(Level l) { return static_cast<int>(l) <= static_cast<int>(g_level); }

#define CLOISTER_LOG_FN(name, lvl, tag) \
  void name(const char* fmt, ...) {     \
    if (!enabled(lvl)) return;          \
    va_list ap;                         \
    va_start(ap, fmt);                  \
    emit(tag, fmt, ap);                 \
    va_end(ap);                         \
  }

CLOISTER_LOG_FN(error, Level::Error, "")
CLOISTER_LOG_FN(warn, Level::Warning, "warning: ")
CLOISTER_LOG_FN(info, Level::Info, "")
CLOISTER_LOG_FN(debug, Level::Debug, "")

#undef CLOISTER_LOG_FN

}  // namespace cloister::log
