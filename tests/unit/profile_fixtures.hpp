// Helpers for the profile tests: a scratch directory that cleans up after itself, and a load
// context with a fixed, fake host so expected values do not depend on who runs the tests.
#pragma once

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "profile/profile.hpp"

namespace cloister::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "cloister-test-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

  // Writes `text` to `rel` (creating parent directories) and returns the full path.
  std::string write(const std::string& rel, const std::string& text) const {
    std::filesystem::path p = std::filesystem::path(path_) / rel;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream out(p, std::ios::binary);
    out << text;
    if (!out) throw std::runtime_error("cannot write " + p.string());
    // scripts/fuzz.sh runs the profile tests with CLOISTER_FUZZ_SEEDS set to collect every
    // profile they write as a seed for the fuzzer.
    if (const char* seeds = std::getenv("CLOISTER_FUZZ_SEEDS"); seeds != nullptr && *seeds) {
      std::ofstream(std::string(seeds) + "/unit-" + std::to_string(std::hash<std::string>{}(text)),
                    std::ios::binary)
          << text;
    }
    return p.string();
  }

 private:
  std::string path_;
};

// Names include = ["x"] resolves in <dir>/lib; the user override dir is <dir>/overrides.
inline profile::LoadContext fake_context(const TempDir& dir) {
  profile::LoadContext ctx;
  ctx.search_path = {dir / "lib"};
  ctx.override_dir = dir / "overrides";
  ctx.vars = {
      {"HOME", "/home/u"},
      {"USER", "u"},
      {"UID", "1000"},
      {"GID", "1000"},
      {"EMPTY", ""},
      {"XDG_CONFIG_HOME", "/home/u/.config"},
      {"XDG_DOWNLOAD_DIR", "/home/u/Downloads"},
      {"XDG_RUNTIME_DIR", "/run/user/1000"},
  };
  return ctx;
}

// One expected diagnostic. `where` is relative to the test's directory ("a.toml:2:14"); in
// `message` (a substring of the real one) "@" stands for that directory and "@@" for "@".
struct ExpectedDiag {
  std::string where;
  std::string key;
  std::string message;
};

// A malformed profile: files to write (the first one is loaded) and every diagnostic expected,
// in order.
struct BadProfile {
  std::string name;
  std::vector<std::pair<std::string, std::string>> files;
  std::vector<ExpectedDiag> expect;
};

inline std::string with_dir(std::string text, const std::string& dir) {
  for (std::size_t at = text.find('@'); at != std::string::npos; at = text.find('@', at)) {
    if (text.compare(at, 2, "@@") == 0) {
      text.erase(at, 1);
      at += 1;
      continue;
    }
    text.replace(at, 1, dir);
    at += dir.size();
  }
  return text;
}

inline void check_bad_profile(const BadProfile& c) {
  TempDir dir;
  for (const auto& [rel, text] : c.files) dir.write(rel, text);
  const profile::LoadContext ctx = fake_context(dir);
  std::vector<Diagnostic> got;
  try {
    profile::load_file(dir / c.files.front().first, ctx);
    FAIL("the profile loaded without error");
  } catch (const ProfileError& e) {
    got = e.diagnostics();
  }
  std::string all;
  for (const auto& d : got) all += d.to_string() + "\n";
  INFO("diagnostics:\n" << all);
  REQUIRE(got.size() == c.expect.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    CHECK(got[i].where.to_string() == dir / c.expect[i].where);
    CHECK(got[i].key == c.expect[i].key);
    CHECK_THAT(got[i].message, Catch::Contains(with_dir(c.expect[i].message, dir.path())));
  }
}

}  // namespace cloister::testing
