// Text cloister does not control, made safe to show on a terminal. A process names itself
// (its comm, which `attest` and `enter` show) and a file name can hold any byte: printed raw,
// an escape sequence could hide the lines after it, move the cursor over a DRIFT or retitle the
// window. So control characters (C0, DEL, C1), the bidirectional overrides that reorder a
// line, and bytes that are not UTF-8 are shown as \xHH, and a backslash as \\.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace cloister {

// The length of the well-formed UTF-8 sequence starting at `at` (1 for any ASCII byte, control
// characters included), with its code point in `code_point`; 0 when the bytes there are not
// UTF-8 (a stray continuation byte, a cut sequence, an overlong form, a surrogate, a code point
// past U+10FFFF).
std::size_t utf8_sequence(std::string_view s, std::size_t at, std::uint32_t& code_point);

// A code point a terminal may act on, or that reorders what is shown: C0, DEL, C1 (0x9b is CSI
// to some terminals), the bidirectional marks, embeddings, overrides and isolates.
bool terminal_control(std::uint32_t code_point);

std::string printable(std::string_view text);

// True when printable(text) would change something other than backslashes: the text holds a
// byte a terminal could act on.
bool has_unprintable(std::string_view text);

}  // namespace cloister
