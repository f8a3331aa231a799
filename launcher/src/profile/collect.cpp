// Includes: which files make up a profile, and in what order. Files are identified by their
// canonical path, so a diamond reached through two spellings (or a symlink) is still merged once
// and a cycle is still seen as one.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>
#include <string>

#include "profile/internal.hpp"
#include "profile/limits.hpp"

namespace cloister::profile::detail {
namespace {

namespace fs = std::filesystem;

bool has_dotdot(const fs::path& p) {
  return std::any_of(p.begin(), p.end(), [](const fs::path& part) { return part == ".."; });
}

// The name diagnostics use for a file. Lexical clean-up is only safe without "..": through a
// symlinked directory "a/.." is not ".", so then the canonical path is shown instead.
std::string display_name(const std::string& path, const std::string& canonical) {
  fs::path p(path);
  if (has_dotdot(p)) return canonical;
  return p.lexically_normal().string();
}

// "a.toml -> b.toml -> a.toml": short names when they tell the files apart, full otherwise;
// a long chain keeps its first three and last two files.
std::string chain_text(std::vector<std::string> files) {
  if (files.size() > 6) {
    const std::size_t left_out = files.size() - 5;
    files.erase(files.begin() + 3, files.end() - 2);
    files.insert(files.begin() + 3, "(" + std::to_string(left_out) + " more)");
  }
  std::set<std::string> short_names;
  std::set<std::string> full_names(files.begin(), files.end());
  for (const auto& f : files) short_names.insert(fs::path(f).filename().string());
  bool use_short = short_names.size() == full_names.size();
  std::string s;
  for (const auto& f : files) {
    if (!s.empty()) s += " -> ";
    s += use_short ? fs::path(f).filename().string() : f;
  }
  return s;
}

}  // namespace

std::string Collector::add(const std::string& file) {
  int err = 0;
  auto canonical = files_of(ctx_).canonical(file, err);
  if (!canonical) {
    diags_.push_back(
        {Origin{file, 0, 0}, "", std::string("cannot read profile: ") + std::strerror(err)});
    out_.seen.push_back(file);
    return file;
  }
  std::string display = display_name(file, *canonical);
  if (full_) return display;
  if (std::find(done_.begin(), done_.end(), *canonical) == done_.end())
    visit(display, *canonical, nullptr);
  return display;
}

std::optional<std::pair<std::string, std::string>> Collector::resolve_include(
    const Item& inc, const std::string& from) {
  auto fail = [&](std::string message) {
    diags_.push_back({inc.origin, inc.key, std::move(message)});
    return std::nullopt;
  };
  if (inc.text.empty()) return fail("empty include; remove it or name a profile");
  if (inc.text.find('\0') != std::string::npos) return fail("include contains a NUL byte");

  std::string path;
  if (is_path_argument(inc.text)) {
    fs::path p(inc.text);
    path = p.is_absolute() ? p.string() : (fs::path(from).parent_path() / p).string();
  } else {
    if (!valid_app_name(inc.text)) {
      return fail("bad include name " + quote(inc.text) +
                  "; a name is lower-case letters, digits, '.', '_' and '-'; a file is "
                  "given by a path containing / or ending in .toml");
    }
    path = find_on_search_path(inc.text, ctx_.search_path, files_of(ctx_));
    if (path.empty()) {
      std::string dirs;
      for (const auto& d : ctx_.search_path) {
        if (!d.empty()) dirs += dirs.empty() ? d : ", " + d;
      }
      return fail("included profile \"" + inc.text + "\" not found; looked for " + inc.text +
                  ".toml in " + (dirs.empty() ? "no directories (empty search path)" : dirs));
    }
  }
  int err = 0;
  auto canonical = files_of(ctx_).canonical(path, err);
  if (!canonical) {
    if (err == ENOENT || err == ENOTDIR) {
      return fail("included file not found: " + path +
                  " (a relative include is looked up in the including file's directory)");
    }
    return fail("cannot read included file " + path + ": " + std::strerror(err));
  }
  if (!is_regular_file(files_of(ctx_), *canonical))
    return fail("included " + path + " is not a regular file");
  return std::make_pair(display_name(path, *canonical), *canonical);
}

bool Collector::room_for(const Item& inc) {
  if (files_ < kMaxProfileFiles) return true;
  diags_.push_back({inc.origin, inc.key,
                    "more than " + std::to_string(kMaxProfileFiles) +
                        " files in one profile; merge some of them"});
  full_ = true;  // one report; the rest of the includes are not read
  return false;
}

void Collector::visit(const std::string& display, const std::string& canonical, const Item* via) {
  stack_.push_back({canonical, display});
  std::string err;
  bool too_large = false;
  // Read the canonical path: it is the identity used for cycles and diamonds, so what is
  // read is what was checked.
  auto text = files_of(ctx_).read(canonical, err, too_large);
  ++files_;
  if (text && bytes_ + text->size() > kMaxTotalBytes) {
    err =
        "the profile's files add up to more than " + std::to_string(kMaxTotalBytes >> 20) + " MiB";
    too_large = true;
    full_ = true;
    text.reset();
  }
  std::optional<Layer> layer;
  if (!text) {
    if (via != nullptr) {
      diags_.push_back({via->origin, via->key, "cannot read " + display + ": " + err});
    } else {
      // A size problem is the profile's own, so it gets a position like any other.
      int at = too_large ? 1 : 0;
      diags_.push_back({Origin{display, at, at}, "", "cannot read profile: " + err});
    }
  } else {
    bytes_ += text->size();
    layer = parse_layer(display, *text, diags_);
  }
  if (layer) {
    for (const Item& inc : layer->includes) {
      if (full_) break;
      auto target = resolve_include(inc, display);
      if (!target) continue;
      // Named, not a structured binding: clang 14 (the fuzz build) cannot capture those.
      const std::string& inc_display = target->first;
      const std::string& inc_canonical = target->second;
      auto cycle_start = std::find_if(stack_.begin(), stack_.end(),
                                      [&](const Frame& f) { return f.canonical == inc_canonical; });
      if (cycle_start != stack_.end()) {
        std::vector<std::string> chain;
        for (auto it = cycle_start; it != stack_.end(); ++it) chain.push_back(it->display);
        chain.push_back(cycle_start->display);
        diags_.push_back(
            {inc.origin, inc.key,
             "include cycle: " + chain_text(chain) + "; remove one of these includes"});
        continue;
      }
      if (std::find(done_.begin(), done_.end(), inc_canonical) != done_.end()) continue;
      // The walk recurses once per level: bounded here, so a crafted chain of thousands of
      // files is an error at the include, not a stack overflow.
      if (stack_.size() > kMaxIncludeDepth) {
        std::vector<std::string> chain;
        for (const auto& f : stack_) chain.push_back(f.display);
        chain.push_back(inc_display);
        diags_.push_back({inc.origin, inc.key,
                          "includes nested more than " + std::to_string(kMaxIncludeDepth) +
                              " levels deep (" + chain_text(chain) +
                              "); include the files from fewer levels"});
        continue;
      }
      if (!room_for(inc)) break;
      visit(inc_display, inc_canonical, &inc);
    }
    out_.layers.push_back(std::move(*layer));
    out_.files.push_back(display);
  }
  done_.push_back(canonical);
  out_.seen.push_back(display);
  stack_.pop_back();
}

}  // namespace cloister::profile::detail
