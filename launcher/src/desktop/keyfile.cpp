#include "desktop/keyfile.hpp"

#include <algorithm>
#include <cctype>

namespace cloister::desktop {
namespace {

bool valid_key(const std::string& key) {
  // A-Za-z0-9- and an optional [locale] suffix (lang_COUNTRY.ENCODING@MODIFIER).
  std::size_t bracket = key.find('[');
  std::string base = key.substr(0, bracket);
  if (base.empty()) return false;
  for (char c : base)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
  if (bracket == std::string::npos) return true;
  if (key.back() != ']' || key.size() < bracket + 3) return false;
  for (std::size_t i = bracket + 1; i + 1 < key.size(); ++i) {
    const auto c = static_cast<unsigned char>(key[i]);
    if (!std::isalnum(c) && c != '_' && c != '.' && c != '@' && c != '-') return false;
  }
  return true;
}

std::string trim(const std::string& s) {
  std::size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  std::size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

}  // namespace

const std::string* Group::get(const std::string& key) const {
  for (const auto& l : lines)
    if (l.kind == KeyLine::Kind::Entry && l.key == key) return &l.value;
  return nullptr;
}

void Group::set(const std::string& key, const std::string& raw_value) {
  for (auto& l : lines) {
    if (l.kind == KeyLine::Kind::Entry && l.key == key) {
      l.value = raw_value;
      return;
    }
  }
  // After the last entry, so trailing blank lines and comments keep separating the groups.
  auto last = std::find_if(lines.rbegin(), lines.rend(),
                           [](const KeyLine& l) { return l.kind == KeyLine::Kind::Entry; });
  lines.insert(last.base(), KeyLine{KeyLine::Kind::Entry, "", key, raw_value});
}

void Group::remove(const std::string& key) {
  lines.erase(std::remove_if(
                  lines.begin(), lines.end(),
                  [&](const KeyLine& l) { return l.kind == KeyLine::Kind::Entry && l.key == key; }),
              lines.end());
}

Group* KeyFile::group(const std::string& name) {
  for (auto& g : groups)
    if (g.name == name) return &g;
  return nullptr;
}

const Group* KeyFile::group(const std::string& name) const {
  for (const auto& g : groups)
    if (g.name == name) return &g;
  return nullptr;
}

void KeyFile::remove_group(const std::string& name) {
  groups.erase(
      std::remove_if(groups.begin(), groups.end(), [&](const Group& g) { return g.name == name; }),
      groups.end());
}

std::string KeyFile::str() const {
  std::string out;
  auto put = [&](const KeyLine& l) {
    out += l.kind == KeyLine::Kind::Entry ? l.key + "=" + l.value : l.text;
    out += '\n';
  };
  for (const auto& l : header) put(l);
  for (const auto& g : groups) {
    out += "[" + g.name + "]\n";
    for (const auto& l : g.lines) put(l);
  }
  return out;
}

std::optional<KeyFile> parse_keyfile(const std::string& text, std::string& error) {
  KeyFile file;
  int number = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    ++number;
    auto fail = [&](const std::string& what) {
      error = "line " + std::to_string(number) + ": " + what;
      return std::nullopt;
    };
    for (char c : line) {
      const auto u = static_cast<unsigned char>(c);
      if (u < 0x20 && c != '\t')
        return fail("a control character (byte " + std::to_string(u) + ")");
    }
    const std::string trimmed = trim(line);
    KeyLine kl;
    if (trimmed.empty() || trimmed[0] == '#') {
      kl.kind = trimmed.empty() ? KeyLine::Kind::Blank : KeyLine::Kind::Comment;
      kl.text = line;
      (file.groups.empty() ? file.header : file.groups.back().lines).push_back(kl);
      continue;
    }
    if (line[0] == '[') {
      if (line.back() != ']' || line.size() < 3) return fail("a malformed group header");
      std::string name = line.substr(1, line.size() - 2);
      if (name.find_first_of("[]") != std::string::npos)
        return fail("a group name with [ or ] in it");
      if (file.group(name) != nullptr) return fail("the group [" + name + "] a second time");
      file.groups.push_back(Group{name, number, {}});
      continue;
    }
    std::size_t eq = line.find('=');
    if (eq == std::string::npos) return fail("neither a group, a comment nor key=value");
    if (file.groups.empty()) return fail("a key before the first group");
    kl.key = trim(line.substr(0, eq));
    // Space after '=' is not part of the value; trailing space is.
    std::size_t v = line.find_first_not_of(" \t", eq + 1);
    kl.value = v == std::string::npos ? "" : line.substr(v);
    if (!valid_key(kl.key)) return fail("the key \"" + kl.key + "\" is not a valid key name");
    if (file.groups.back().get(kl.key) != nullptr)
      return fail("the key " + kl.key + " a second time in [" + file.groups.back().name + "]");
    file.groups.back().lines.push_back(kl);
  }
  return file;
}

std::optional<std::string> unescape_value(const std::string& raw) {
  std::string out;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '\\') {
      out += raw[i];
      continue;
    }
    if (++i == raw.size()) return std::nullopt;
    switch (raw[i]) {
      case 's':
        out += ' ';
        break;
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case 'r':
        out += '\r';
        break;
      case '\\':
        out += '\\';
        break;
      default:
        return std::nullopt;
    }
  }
  return out;
}

std::string escape_value(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == ' ' && i == 0) {
      out += "\\s";  // a leading space would be taken for the space after '='
    } else {
      out += c;
    }
  }
  return out;
}

std::vector<std::string> split_list(const std::string& raw) {
  std::vector<std::string> out;
  std::string item;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\\' && i + 1 < raw.size() && raw[i + 1] == ';') {
      item += ';';
      ++i;
    } else if (raw[i] == ';') {
      out.push_back(item);
      item.clear();
    } else {
      item += raw[i];
    }
  }
  if (!item.empty()) out.push_back(item);
  return out;
}

}  // namespace cloister::desktop
