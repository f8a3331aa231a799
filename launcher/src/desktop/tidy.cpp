#include "desktop/tidy.hpp"

#include <cctype>

namespace cloister::desktop {
namespace {

bool same_text(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

bool ends_with_ci(const std::string& s, const std::string& suffix) {
  return s.size() > suffix.size() && same_text(s.substr(s.size() - suffix.size()), suffix);
}

// "Comment[de]" -> "[de]", "Comment" -> "".
std::string locale_of(const std::string& key) {
  const std::size_t bracket = key.find('[');
  return bracket == std::string::npos ? "" : key.substr(bracket);
}

void tidy_icons(Group& g, std::vector<std::string>& notes) {
  for (auto& l : g.lines) {
    if (l.kind != KeyLine::Kind::Entry || l.key.substr(0, l.key.find('[')) != "Icon") continue;
    if (l.value.empty() || l.value[0] == '/') continue;  // a file path keeps its extension
    for (const char* ext : {".png", ".svg", ".xpm"}) {
      if (!ends_with_ci(l.value, ext)) continue;
      const std::string name = l.value.substr(0, l.value.size() - 4);
      notes.push_back("[" + g.name + "] " + l.key + "=" + l.value + " written as " + name +
                      " (an icon name has no extension)");
      l.value = name;
      break;
    }
  }
}

void tidy_comments(Group& g, std::vector<std::string>& notes) {
  std::vector<std::string> dropped;
  for (const auto& l : g.lines) {
    if (l.kind != KeyLine::Kind::Entry || l.key.substr(0, l.key.find('[')) != "Comment") continue;
    for (const char* other : {"Name", "GenericName"}) {
      const std::string* v = g.get(other + locale_of(l.key));
      if (v == nullptr || !same_text(*v, l.value)) continue;
      dropped.push_back(l.key);
      notes.push_back("[" + g.name + "] dropped " + l.key + ": the same text as " + other +
                      locale_of(l.key));
      break;
    }
  }
  for (const auto& key : dropped) g.remove(key);
}

}  // namespace

void tidy_entry(KeyFile& file, std::vector<std::string>& notes) {
  for (auto& g : file.groups) {
    tidy_icons(g, notes);
    tidy_comments(g, notes);
  }
  if (file.groups.empty()) return;
  Group& main = file.groups.front();
  if (const std::string* single = main.get("SingleMainWindow")) {
    const std::string value = *single;
    main.remove("SingleMainWindow");
    if (main.get("X-GNOME-SingleWindow") == nullptr) main.set("X-GNOME-SingleWindow", value);
    notes.push_back(
        "SingleMainWindow written as X-GNOME-SingleWindow (desktop-file-validate "
        "0.26 predates the key)");
  }
}

}  // namespace cloister::desktop
