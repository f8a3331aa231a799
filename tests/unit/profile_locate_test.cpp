// The profile search path: locate(), default_search_path() and list_profiles().
#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <vector>

#include "profile/profile.hpp"
#include "profile_fixtures.hpp"

using cloister::Error;
using cloister::profile::default_search_path;
using cloister::profile::list_profiles;
using cloister::profile::LoadContext;
using cloister::profile::locate;
using cloister::testing::TempDir;
using Strings = std::vector<std::string>;

namespace {

LoadContext two_dirs(const TempDir& dir) {
  LoadContext ctx;
  ctx.search_path = {dir / "first", dir / "second", dir / "missing"};
  return ctx;
}

}  // namespace

TEST_CASE("locate: a name is looked up on the search path, first match wins", "[profile]") {
  TempDir dir;
  dir.write("first/xterm.toml", "");
  dir.write("second/xterm.toml", "");
  dir.write("second/gimp.toml", "");
  std::filesystem::create_directories(dir / "first/dironly.toml");
  dir.write("second/dironly.toml", "");
  const LoadContext ctx = two_dirs(dir);

  CHECK(locate("xterm", ctx) == dir / "first/xterm.toml");
  CHECK(locate("gimp", ctx) == dir / "second/gimp.toml");
  // Only regular files count: a directory of that name is skipped.
  CHECK(locate("dironly", ctx) == dir / "second/dironly.toml");
}

TEST_CASE("locate: names that are not found or not valid", "[profile]") {
  TempDir dir;
  const LoadContext ctx = two_dirs(dir);
  try {
    locate("nope", ctx);
    FAIL("found");
  } catch (const Error& e) {
    std::string msg = e.what();
    CHECK_THAT(msg, Catch::Contains("no profile named \"nope\""));
    CHECK_THAT(msg,
               Catch::Contains(dir / "first" + ", " + dir / "second" + ", " + dir / "missing"));
    CHECK_THAT(msg, Catch::Contains("cloister profiles"));
  }
  CHECK_THROWS_WITH(locate(".hidden", ctx), Catch::Contains("bad profile name \".hidden\""));
  CHECK_THROWS_WITH(locate("Xterm", ctx), Catch::Contains("bad profile name"));
  CHECK_THROWS_WITH(locate("", ctx), Catch::Contains("bad profile name"));
}

TEST_CASE("locate: a path is used as given", "[profile]") {
  TempDir dir;
  std::string file = dir.write("elsewhere/my.toml", "");
  dir.write("first/my.toml", "");
  const LoadContext ctx = two_dirs(dir);
  CHECK(locate(file, ctx) == file);
  CHECK_THROWS_WITH(locate(dir / "elsewhere/none.toml", ctx),
                    "no such profile file: " + dir / "elsewhere/none.toml");
  // Ending in .toml makes it a path even without a slash: never a search-path lookup.
  CHECK_THROWS_WITH(locate("my.toml", ctx), "no such profile file: my.toml");
  CHECK_THROWS_WITH(locate(dir / "elsewhere", ctx), Catch::Contains("not a regular file"));
}

TEST_CASE("default_search_path", "[profile]") {
  std::map<std::string, std::string> vars = {{"XDG_CONFIG_HOME", "/home/u/.config"}};
  TempDir dir;

  Strings installed = default_search_path(vars, dir.path());
  REQUIRE(installed.size() == 3);
  CHECK(installed[0] == "/home/u/.config/cloister/profiles");
  CHECK(installed[1] == "/etc/cloister/profiles");
  CHECK_THAT(installed[2], Catch::EndsWith("/cloister/profiles"));

  // From a build tree the source tree's profiles come last.
  dir.write("CMakeCache.txt", "");
  Strings build_tree = default_search_path(vars, dir.path());
  REQUIRE(build_tree.size() == 4);
  CHECK(Strings(build_tree.begin(), build_tree.begin() + 3) == installed);
  CHECK(build_tree[3] == std::string(CLOISTER_SOURCE_DIR) + "/profiles");

  CHECK(default_search_path({}, "").size() == 2);  // no XDG_CONFIG_HOME, no build tree
}

TEST_CASE("list_profiles: every valid *.toml, first directory wins", "[profile]") {
  TempDir dir;
  dir.write("first/a.toml", "");
  dir.write("first/b.toml", "");
  dir.write("first/notes.txt", "");
  dir.write("first/Bad Name.toml", "");
  dir.write("first/.hidden.toml", "");
  std::filesystem::create_directories(dir / "first/c.toml");
  dir.write("second/b.toml", "");
  dir.write("second/c.toml", "");
  std::map<std::string, std::string> expected = {
      {"a", dir / "first/a.toml"},
      {"b", dir / "first/b.toml"},
      {"c", dir / "second/c.toml"},
  };
  CHECK(list_profiles(two_dirs(dir)) == expected);
  CHECK(list_profiles(LoadContext{}).empty());
}
