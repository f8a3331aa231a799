// Bounds on what a profile may be, so that a crafted one is an error at a file:line:col rather
// than a crash or an unbounded amount of work: profiles are small hand-written files, and
// every limit here is far above what a real one needs. Internal to profile/.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "sys/error.hpp"

namespace cloister::profile::detail {

// Levels of include below the top file (an unbounded chain would exhaust the stack).
inline constexpr std::size_t kMaxIncludeDepth = 16;
// Files in one profile, includes and the override counted.
inline constexpr std::size_t kMaxProfileFiles = 64;
// Bytes of one file, and of all of a profile's files together.
inline constexpr std::size_t kMaxFileBytes = 1u << 20;
inline constexpr std::size_t kMaxTotalBytes = 4u << 20;
// Parts of one dotted key or table header ("environment.set.NAME" has three). toml++ builds,
// and later destroys, one nested table per part, recursively.
inline constexpr std::size_t kMaxKeyParts = 8;

// What toml++ must not be given, found in one linear pass before it sees the text:
// - a key with more than kMaxKeyParts parts (at its first excess part; dots in strings,
//   comments and values are not key parts);
// - a non-ASCII character outside strings and comments. TOML allows none there, and toml++
//   3.3's whitespace test reaches __builtin_unreachable on many of them (U+00A1..U+0499 among
//   others: undefined behaviour, found by the fuzzer) before it reports the error.
// Origins are 1-based lines and columns in characters.
struct TextDefect {
  Origin at;
  std::string message;
};
std::optional<TextDefect> find_text_defect(std::string_view text, const std::string& file);

// Text from a profile for a message: whole when short, else its start and end around "..."
// with the full length, cut on UTF-8 character boundaries.
std::string shorten(std::string_view text);
// shorten() in double quotes.
std::string quote(std::string_view text);

}  // namespace cloister::profile::detail
