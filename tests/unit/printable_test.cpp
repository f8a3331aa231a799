// Text cloister shows but does not control (a process's self-chosen name, a file name): nothing
// a terminal acts on survives printable(), and what is plain text passes unchanged.
#include "sys/printable.hpp"

#include <catch2/catch.hpp>

using cloister::has_unprintable;
using cloister::printable;

TEST_CASE("printable: terminal controls become \\xHH, text stays as it is") {
  struct Case {
    const char* what;
    std::string in;
    std::string out;
  };
  const std::vector<Case> cases = {
      {"plain ASCII", "firefox-esr (2 inside)", "firefox-esr (2 inside)"},
      {"empty", "", ""},
      {"UTF-8 text", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
       "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"},
      {"a backslash, so \\x1b in a name is not taken for an escape", "a\\x1b", "a\\\\x1b"},
      {"ESC: conceal the rest", "ok\x1b[8m", "ok\\x1b[8m"},
      {"cursor up, erase line", "\x1b[1A\x1b[2K", "\\x1b[1A\\x1b[2K"},
      {"OSC title with BEL", "\x1b]0;x\x07", "\\x1b]0;x\\x07"},
      {"carriage return, newline, tab", "a\rb\nc\td", "a\\x0db\\x0ac\\x09d"},
      {"DEL", "a\x7f", "a\\x7f"},
      {"C1 CSI in UTF-8",
       "a\xc2\x9b"
       "2J",
       "a\\xc2\\x9b2J"},
      {"a raw C1 byte",
       "a\x9b"
       "2J",
       "a\\x9b2J"},
      {"right-to-left override",
       "a\xe2\x80\xae"
       "b",
       "a\\xe2\\x80\\xaeb"},
      {"bidi isolate", "\xe2\x81\xa6x", "\\xe2\\x81\\xa6x"},
      {"invalid byte", "a\xff", "a\\xff"},
      {"truncated sequence", "a\xc3", "a\\xc3"},
      {"overlong slash", "\xc0\xaf", "\\xc0\\xaf"},
      {"surrogate", "\xed\xa0\x80", "\\xed\\xa0\\x80"},
      {"past U+10FFFF", "\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80"},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    CHECK(printable(c.in) == c.out);
    CHECK(printable(c.out).find('\x1b') == std::string::npos);
    const bool changed = printable(c.in) != c.in;
    const bool only_backslashes = c.in.find('\\') != std::string::npos && c.in == "a\\x1b";
    CHECK(has_unprintable(c.in) == (changed && !only_backslashes));
  }
}
