// find_text_defect(): a single pass over TOML text that knows just enough of the syntax
// (strings of the four kinds, comments, line ends) to tell key parts joined by dots from dots
// anywhere else, and bytes outside strings and comments from those inside. It needs no
// key/value context: outside strings, a chain of more than a few dotted parts can only be a key
// (a float has one dot, a time one).
#include "profile/limits.hpp"

namespace cloister::profile::detail {
namespace {

class Scanner {
 public:
  Scanner(std::string_view text, const std::string& file) : text_(text), file_(file) {}

  std::optional<TextDefect> run() {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == '\n') {
        advance(1);
        chain_ = 0;
        dot_pending_ = false;
      } else if (c == ' ' || c == '\t' || c == '\r') {
        advance(1);  // spaces may sit around the dots of a key
      } else if (c == '#') {
        while (pos_ < text_.size() && text_[pos_] != '\n') advance(1);
      } else if (c == '.') {
        dot_pending_ = chain_ > 0;
        if (!dot_pending_) chain_ = 0;
        advance(1);
      } else if (c == '"' || c == '\'') {
        if (part()) return deep();
        skip_string(c);
      } else if (is_separator(c)) {
        chain_ = 0;
        dot_pending_ = false;
        advance(1);
      } else {
        if (part()) return deep();
        while (pos_ < text_.size() && !is_separator(text_[pos_]) && !is_space(text_[pos_]) &&
               text_[pos_] != '.' && text_[pos_] != '"' && text_[pos_] != '\'' &&
               text_[pos_] != '#') {
          if (static_cast<unsigned char>(text_[pos_]) >= 0x80) {
            return TextDefect{Origin{file_, line_, column_},
                              "a non-ASCII character outside a string or comment; TOML allows "
                              "those only in quoted strings and comments (quote the key or "
                              "value)"};
          }
          advance(1);
        }
      }
    }
    return std::nullopt;
  }

 private:
  static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
  static bool is_separator(char c) {
    return c == '=' || c == '[' || c == ']' || c == '{' || c == '}' || c == ',';
  }

  // A part starts here: continues the chain after a dot, or starts a new one. True when the
  // chain now has too many parts (at_ is where this part starts).
  bool part() {
    chain_ = dot_pending_ ? chain_ + 1 : 1;
    dot_pending_ = false;
    if (chain_ <= kMaxKeyParts) return false;
    at_ = Origin{file_, line_, column_};
    return true;
  }

  TextDefect deep() const {
    return {at_, "a key of more than " + std::to_string(kMaxKeyParts) +
                     " dotted parts; profile keys have at most three (environment.set.NAME)"};
  }

  void advance(std::size_t n) {
    for (std::size_t i = 0; i < n && pos_ < text_.size(); ++i, ++pos_) {
      const auto byte = static_cast<unsigned char>(text_[pos_]);
      if (byte == '\n') {
        ++line_;
        column_ = 1;
      } else if ((byte & 0xC0) != 0x80) {
        ++column_;  // columns count characters, as toml++'s do: not UTF-8 continuation bytes
      }
    }
  }

  bool starts_with(std::string_view s) const { return text_.substr(pos_).substr(0, s.size()) == s; }

  void skip_string(char quote) {
    const bool basic = quote == '"';
    const std::string triple(3, quote);
    if (starts_with(triple)) {
      advance(3);
      while (pos_ < text_.size()) {
        if (basic && text_[pos_] == '\\') {
          advance(2);
        } else if (starts_with(triple)) {
          // Up to two more quotes may end the content just before the delimiter.
          std::size_t run = 0;
          while (pos_ + run < text_.size() && text_[pos_ + run] == quote && run < 5) ++run;
          advance(run);
          return;
        } else {
          advance(1);
        }
      }
      return;
    }
    advance(1);
    while (pos_ < text_.size() && text_[pos_] != '\n') {
      if (basic && text_[pos_] == '\\') {
        advance(2);
        continue;
      }
      if (text_[pos_] == quote) {
        advance(1);
        return;
      }
      advance(1);
    }
  }

  std::string_view text_;
  const std::string& file_;
  std::size_t pos_ = 0;
  int line_ = 1;
  int column_ = 1;
  std::size_t chain_ = 0;     // parts in the current dotted chain
  bool dot_pending_ = false;  // a dot followed the last part
  Origin at_;
};

}  // namespace

std::optional<TextDefect> find_text_defect(std::string_view text, const std::string& file) {
  return Scanner(text, file).run();
}

}  // namespace cloister::profile::detail
