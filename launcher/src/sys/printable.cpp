#include "sys/printable.hpp"

#include <cstdint>

namespace cloister {
std::size_t utf8_sequence(std::string_view s, std::size_t at, std::uint32_t& code_point) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char lead = byte(at);
  std::size_t n;
  std::uint32_t cp;
  if (lead < 0x80) {
    code_point = lead;
    return 1;
  } else if (lead >= 0xc2 && lead <= 0xdf) {
    n = 2;
    cp = lead & 0x1f;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    n = 3;
    cp = lead & 0x0f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    n = 4;
    cp = lead & 0x07;
  } else {
    return 0;  // a continuation byte, or never valid in UTF-8
  }
  if (at + n > s.size()) return 0;
  for (std::size_t i = 1; i < n; ++i) {
    if ((byte(at + i) & 0xc0) != 0x80) return 0;
    cp = cp << 6 | (byte(at + i) & 0x3f);
  }
  // Overlong forms, surrogates and code points past Unicode are not UTF-8.
  if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
      (cp >= 0xd800 && cp <= 0xdfff))
    return 0;
  code_point = cp;
  return n;
}

bool terminal_control(std::uint32_t cp) {
  return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x200e || cp == 0x200f ||
         (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

namespace {

// The length of the valid UTF-8 sequence at `at` whose code point is safe to print, or 0.
std::size_t safe_sequence(std::string_view s, std::size_t at) {
  std::uint32_t cp = 0;
  const std::size_t n = utf8_sequence(s, at, cp);
  return n == 0 || terminal_control(cp) ? 0 : n;
}

}  // namespace

std::string printable(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] == '\\') {
      out += "\\\\";
      ++i;
      continue;
    }
    if (const std::size_t n = safe_sequence(text, i)) {
      out.append(text.substr(i, n));
      i += n;
      continue;
    }
    const auto c = static_cast<unsigned char>(text[i++]);
    out += "\\x";
    out += kHex[c >> 4];
    out += kHex[c & 0xf];
  }
  return out;
}

bool has_unprintable(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] == '\\') {
      ++i;
      continue;
    }
    const std::size_t n = safe_sequence(text, i);
    if (n == 0) return true;
    i += n;
  }
  return false;
}

}  // namespace cloister
