// Minimal logging to stderr with the "cloister: " prefix. printf-style because g++ 12 has no
// <format>; the attribute lets the compiler check the arguments.
#pragma once

namespace cloister::log {

enum class Level { Error = 0, Warning = 1, Info = 2, Debug = 3 };

void set_level(Level level);
Level level();
bool enabled(Level level);

void error(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void warn(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void info(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void debug(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

}  // namespace cloister::log
