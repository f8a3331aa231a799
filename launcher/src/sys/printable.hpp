// Text cloister does not control, made safe to show on a terminal. A process names itself
// (its comm, which `attest` and `enter` show) and a file name can hold any byte: printed raw,
// an escape sequence could hide the lines after it, move the cursor over a DRIFT or retitle the
// window. So control characters (C0, DEL, C1), the bidirectional overrides that reorder a
// line, and bytes that are not UTF-8 are shown as \xHH, and a backslash as \\.
#pragma once

#include <string>
#include <string_view>

namespace cloister {

std::string printable(std::string_view text);

// True when printable(text) would change something other than backslashes: the text holds a
// byte a terminal could act on.
bool has_unprintable(std::string_view text);

}  // namespace cloister
