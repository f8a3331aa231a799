#include "sys/toml_write.hpp"

#include "sys/printable.hpp"

namespace cloister::sys {
namespace {

constexpr char kHex[] = "0123456789ABCDEF";

// \uXXXX: every code point escaped here is in the Basic Multilingual Plane.
void put_u(std::string& out, std::uint32_t cp) {
  out += "\\u";
  for (int shift = 12; shift >= 0; shift -= 4) out += kHex[(cp >> shift) & 0xf];
}

bool bare_key(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_'))
      return false;
  return true;
}

}  // namespace

std::string toml_quote(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out += '"';
  for (std::size_t i = 0; i < text.size();) {
    std::uint32_t cp = 0;
    const std::size_t n = utf8_sequence(text, i, cp);
    const auto byte = static_cast<unsigned char>(text[i]);
    if (n == 0) {
      put_u(out, byte);
      ++i;
      continue;
    }
    if (n == 1) {
      switch (byte) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\t':
          out += "\\t";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\f':
          out += "\\f";
          break;
        case '\r':
          out += "\\r";
          break;
        default:
          if (terminal_control(cp))
            put_u(out, cp);
          else
            out += static_cast<char>(byte);
      }
    } else if (terminal_control(cp) || cp == 0x2028 || cp == 0x2029) {
      put_u(out, cp);
    } else {
      out.append(text.substr(i, n));
    }
    i += n;
  }
  out += '"';
  return out;
}

void TomlWriter::comment(std::string_view text) {
  out_ += "# ";
  out_ += printable(text);
  out_ += '\n';
}

void TomlWriter::section(std::string_view name) {
  out_ += "\n[";
  out_ += bare_key(name) ? std::string(name) : toml_quote(name);
  out_ += "]\n";
}

void TomlWriter::key(std::string_view name) {
  if (in_item_) out_ += item_empty_ ? " " : ", ";
  item_empty_ = false;
  if (bare_key(name))
    out_ += name;
  else
    out_ += toml_quote(name);
  out_ += " = ";
}

void TomlWriter::end_value() {
  if (!in_item_) out_ += '\n';
}

void TomlWriter::str(std::string_view name, std::string_view value) {
  key(name);
  out_ += toml_quote(value);
  end_value();
}

void TomlWriter::num(std::string_view name, std::int64_t value) {
  key(name);
  out_ += std::to_string(value);
  end_value();
}

void TomlWriter::flag(std::string_view name, bool value) {
  key(name);
  out_ += value ? "true" : "false";
  end_value();
}

void TomlWriter::strs(std::string_view name, const std::vector<std::string>& values) {
  list(name, values, [](const std::string& v) { return toml_quote(v); });
}

void TomlWriter::nums(std::string_view name, const std::vector<std::int64_t>& values) {
  list(name, values, [](std::int64_t v) { return std::to_string(v); });
}

void TomlWriter::begin_array(std::string_view name) {
  key(name);
  out_ += '[';
  array_empty_ = true;
}

void TomlWriter::begin_item() {
  out_ += array_empty_ ? "\n  {" : ",\n  {";
  array_empty_ = false;
  in_item_ = true;
  item_empty_ = true;
}

void TomlWriter::end_item() {
  out_ += item_empty_ ? "}" : " }";
  in_item_ = false;
}

void TomlWriter::end_array() { out_ += array_empty_ ? "]\n" : "\n]\n"; }

}  // namespace cloister::sys
