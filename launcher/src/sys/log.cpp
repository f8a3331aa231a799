#include "sys/log.hpp"

#include <time.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdio>

namespace cloister::log {
namespace {

Level g_level = Level::Warning;
timespec g_start{};  // when debug logging was turned on: -v lines say how long since then

double ms_since_start() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<double>(now.tv_sec - g_start.tv_sec) * 1e3 +
         static_cast<double>(now.tv_nsec - g_start.tv_nsec) / 1e6;
}

// One write(2) per line, so lines from the launcher and the sandbox do not interleave mid-line.
// Debug lines (only they) carry the milliseconds since -v was read, so `run -v` shows where the
// launch's time goes step by step (the sandbox's lines too: the clone inherits the same start).
void emit(Level lvl, const char* tag, const char* fmt, va_list ap) {
  char buf[4096];
  int n = lvl == Level::Debug
              ? std::snprintf(buf, sizeof buf, "cloister: [%8.3f ms] %s", ms_since_start(), tag)
              : std::snprintf(buf, sizeof buf, "cloister: %s", tag);
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

void set_level(Level level) {
  if (level == Level::Debug && g_level != Level::Debug) ::clock_gettime(CLOCK_MONOTONIC, &g_start);
  g_level = level;
}
Level level() { return g_level; }
bool enabled(Level l) { return static_cast<int>(l) <= static_cast<int>(g_level); }

#define CLOISTER_LOG_FN(name, lvl, tag) \
  void name(const char* fmt, ...) {     \
    if (!enabled(lvl)) return;          \
    va_list ap;                         \
    va_start(ap, fmt);                  \
    emit(lvl, tag, fmt, ap);            \
    va_end(ap);                         \
  }

CLOISTER_LOG_FN(error, Level::Error, "")
CLOISTER_LOG_FN(warn, Level::Warning, "warning: ")
CLOISTER_LOG_FN(info, Level::Info, "")
CLOISTER_LOG_FN(debug, Level::Debug, "")

#undef CLOISTER_LOG_FN

}  // namespace cloister::log
