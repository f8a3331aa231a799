#include "desktop/exec_line.hpp"

#include <cstring>

namespace cloister::desktop {
namespace {

// Field codes the specification defines; the deprecated ones are accepted and dropped.
constexpr const char* kFieldCodes = "fFuUick";
constexpr const char* kDeprecatedCodes = "dDnNvm";

struct Token {
  std::string text;  // unquoted, '%' sequences still in it
  bool quoted = false;
};

// Splits on spaces into whole arguments, undoing the quoting. Arguments are quoted whole
// ("a b"), never in part (a"b"): a partly quoted one is read differently by different
// launchers, so it is refused.
std::optional<std::vector<Token>> tokenize(const std::string& s, std::string& error) {
  std::vector<Token> out;
  std::size_t i = 0;
  while (i < s.size()) {
    if (s[i] == ' ') {
      ++i;
      continue;
    }
    Token t;
    if (s[i] == '"') {
      t.quoted = true;
      ++i;
      bool closed = false;
      while (i < s.size()) {
        char c = s[i++];
        if (c == '"') {
          closed = true;
          break;
        }
        if (c == '\\') {
          if (i == s.size() || std::strchr("\"`$\\", s[i]) == nullptr) {
            error = "a backslash in quotes before something other than \" ` $ or \\";
            return std::nullopt;
          }
          c = s[i++];
        }
        t.text += c;
      }
      if (!closed) {
        error = "a quote that is never closed";
        return std::nullopt;
      }
      if (i < s.size() && s[i] != ' ') {
        error = "an argument quoted only in part (text right after the closing quote)";
        return std::nullopt;
      }
    } else {
      while (i < s.size() && s[i] != ' ') {
        if (is_reserved(s[i])) {
          error = std::string("the reserved character '") + s[i] +
                  "' outside quotes (it must be quoted)";
          return std::nullopt;
        }
        t.text += s[i++];
      }
    }
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace

bool is_reserved(char c) {
  return c != '\0' && std::strchr(" \t\n\"'\\><~|&;$*?#()`", c) != nullptr;
}

std::optional<std::vector<ExecArg>> parse_exec(const std::string& exec, std::string& error) {
  for (char c : exec) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      error = "a control character in the command line";
      return std::nullopt;
    }
  }
  auto tokens = tokenize(exec, error);
  if (!tokens) return std::nullopt;
  std::vector<ExecArg> args;
  int file_codes = 0;
  for (const Token& t : *tokens) {
    ExecArg arg;
    bool dropped = false;
    for (std::size_t i = 0; i < t.text.size(); ++i) {
      if (t.text[i] != '%') {
        arg.text += t.text[i];
        continue;
      }
      if (i + 1 == t.text.size()) {
        error = "a lone % at the end of an argument (a literal % is written %%)";
        return std::nullopt;
      }
      const char code = t.text[++i];
      if (code == '%') {
        arg.text += '%';
        continue;
      }
      if (std::strchr(kDeprecatedCodes, code) != nullptr) {
        dropped = t.text.size() == 2;
        continue;
      }
      if (std::strchr(kFieldCodes, code) == nullptr) {
        error = std::string("the unknown field code %") + code;
        return std::nullopt;
      }
      if (t.quoted) {
        error = std::string("the field code %") + code + " inside a quoted argument";
        return std::nullopt;
      }
      if (t.text.size() != 2) {
        // "--file=%f" or "dvd://%f": the file would be hidden inside another argument, where
        // nothing can tell which part of it is the file.
        error = std::string("the field code %") + code + " inside the argument \"" + t.text +
                "\" (field codes must stand alone)";
        return std::nullopt;
      }
      arg.field = code;
    }
    if (dropped) continue;
    if (arg.field != 0 && std::strchr("fFuU", arg.field) != nullptr && ++file_codes > 1) {
      error = "more than one of %f %F %u %U";
      return std::nullopt;
    }
    args.push_back(std::move(arg));
  }
  if (args.empty()) {
    error = "an empty command line";
    return std::nullopt;
  }
  const ExecArg& program = args.front();
  if (program.field != 0) {
    error = "a field code as the program";
    return std::nullopt;
  }
  if (program.text.empty() || program.text[0] == '-') {
    error = "a program name \"" + program.text +
            "\" that is empty or starts with '-' (it would read as an option)";
    return std::nullopt;
  }
  return args;
}

std::string format_exec(const std::vector<ExecArg>& args) {
  std::string out;
  for (const auto& a : args) {
    if (!out.empty()) out += ' ';
    if (a.field != 0) {
      out += '%';
      out += a.field;
      continue;
    }
    bool quote = a.text.empty();
    for (char c : a.text) quote = quote || is_reserved(c);
    if (quote) out += '"';
    for (char c : a.text) {
      if (c == '%') {
        out += "%%";
        continue;
      }
      if (quote && std::strchr("\"`$\\", c) != nullptr) out += '\\';
      out += c;
    }
    if (quote) out += '"';
  }
  return out;
}

}  // namespace cloister::desktop
