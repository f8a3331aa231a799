// Malformed profiles, part 2: paths, ${VAR} expansion, conflicting grants, includes and the
// user override. Each row gives the exact file:line:col, key and (part of) the message.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "profile_fixtures.hpp"

using cloister::testing::BadProfile;
using cloister::testing::check_bad_profile;

namespace {

const std::vector<BadProfile> kPathErrors = {
    // One path, checked after ~ and ${VAR} expansion.
    {"relative path",
     {{"a.toml", "[filesystem]\nread-only = [\"usr/lib\"]\n"}},
     {{"a.toml:2:14", "filesystem.read-only[0]",
       "relative path \"usr/lib\": paths must be absolute"}}},
    {"~user is not home",
     {{"a.toml", "[filesystem]\nread-only = [\"~bob/x\"]\n"}},
     {{"a.toml:2:14", "filesystem.read-only[0]",
       "only a leading ~ or ~/ means the home directory"}}},
    {"dot-dot component",
     {{"a.toml", "[filesystem]\nread-write = [\"~/../etc\"]\n"}},
     {{"a.toml:2:15", "filesystem.read-write[0]",
       "path \"~/../etc\" (expands to \"/home/u/../etc\") has a . or .. component"}}},
    {"dot component",
     {{"a.toml", "[filesystem]\ntmpfs = [\"/tmp/./x\"]\n"}},
     {{"a.toml:2:10", "filesystem.tmpfs[0]", "has a . or .. component"}}},
    {"trailing dot-dot",
     {{"a.toml", "[filesystem]\nhide = [\"/a/..\"]\n"}},
     {{"a.toml:2:9", "filesystem.hide[0]", "has a . or .. component"}}},
    {"double slash",
     {{"a.toml", "[filesystem]\nhide = [\"/a//b\"]\n"}},
     {{"a.toml:2:9", "filesystem.hide[0]", "path \"/a//b\" contains //"}}},
    {"trailing slash",
     {{"a.toml", "[filesystem]\nread-only = [\"/usr/\"]\n"}},
     {{"a.toml:2:14", "filesystem.read-only[0]", "ends with /; remove the trailing slash"}}},
    {"granting /",
     {{"a.toml", "[filesystem]\nread-only = [\"/\"]\n"}},
     {{"a.toml:2:14", "filesystem.read-only[0]",
       "granting / would expose the whole host; grant specific directories"}}},
    {"optional /",
     {{"a.toml", "[filesystem]\nread-write = [\"?/\"]\n"}},
     {{"a.toml:2:15", "filesystem.read-write[0]", "granting / would expose the whole host"}}},
    {"hiding /",
     {{"a.toml", "[filesystem]\nhide = [\"/\"]\n"}},
     {{"a.toml:2:9", "filesystem.hide[0]", "hiding / would hide everything"}}},
    {"NUL byte in a path",
     {{"a.toml", "[filesystem]\nread-only = [\"/usr\\u0000/x\"]\n"}},
     {{"a.toml:2:14", "filesystem.read-only[0]", "path contains a NUL byte"}}},
    {"empty path",
     {{"a.toml", "[filesystem]\nread-only = [\"?\"]\n"}},
     {{"a.toml:2:14", "filesystem.read-only[0]", "empty path"}}},
    {"unknown variable",
     {{"a.toml", "[filesystem]\nread-write = [\"${NOPE}/x\"]\n"}},
     {{"a.toml:2:15", "filesystem.read-write[0]",
       "unknown variable ${NOPE}; known variables are APP, EMPTY, GID, HOME, UID, USER, "
       "XDG_CONFIG_HOME, XDG_DOWNLOAD_DIR, XDG_RUNTIME_DIR"}}},
    {"unterminated ${",
     {{"a.toml", "[filesystem]\nread-write = [\"${HOME/x\"]\n"}},
     {{"a.toml:2:15", "filesystem.read-write[0]", "unterminated ${ at character 1"}}},
    {"bad variable reference",
     {{"a.toml", "[filesystem]\nread-only = [\"/x/${1X}\"]\n"}},
     {{"a.toml:2:14", "filesystem.read-only[0]", "bad variable reference ${1X}"}}},
    {"empty variable reference",
     {{"a.toml", "[filesystem]\nread-only = [\"/x/${}\"]\n"}},
     {{"a.toml:2:14", "filesystem.read-only[0]", "bad variable reference ${}"}}},

    // Conflicts between entries.
    {"granted and hidden",
     {{"a.toml", "[filesystem]\nread-only = [\"~/.ssh\"]\nhide = [\"~/.ssh\"]\n"}},
     {{"a.toml:3:9", "filesystem.hide[0]",
       "\"~/.ssh\" is both granted (filesystem.read-only) and hidden (filesystem.hide), also at "
       "@/a.toml:2:14"}}},
    {"hidden, then granted",
     {{"a.toml", "[filesystem]\nhide = [\"~/.ssh\"]\ntmpfs = [\"${HOME}/.ssh\"]\n"}},
     {{"a.toml:3:10", "filesystem.tmpfs[0]",
       "is both granted (filesystem.tmpfs) and hidden (filesystem.hide)"}}},
    {"grant inside a hidden path",
     {{"a.toml", "[filesystem]\nhide = [\"~/.ssh\"]\nread-only = [\"~/.ssh/known_hosts\"]\n"}},
     {{"a.toml:3:14", "filesystem.read-only[0]",
       "hidden path ~/.ssh contains a grant (filesystem.read-only \"~/.ssh/known_hosts\"); "
       "a hide covers everything below it: remove this grant, or the hide at @/a.toml:2:9"}}},
    {"grant inside a path hidden by an include",
     {{"a.toml", "include = [\"base\"]\n[filesystem]\nread-write = [\"${HOME}/.gnupg/x\"]\n"},
      {"lib/base.toml", "[filesystem]\nhide = [\"~/.gnupg\"]\n"}},
     {{"a.toml:3:15", "filesystem.read-write[0]", "hidden path ~/.gnupg contains a grant"}}},
    {"read-only and read-write",
     {{"a.toml", "[filesystem]\nread-only = [\"/srv\"]\nread-write = [\"/srv\"]\n"}},
     {{"a.toml:3:15", "filesystem.read-write[0]",
       "\"/srv\" is both in filesystem.read-only (at @/a.toml:2:14) and in "
       "filesystem.read-write; a path is granted one way only"}}},
    {"read-only in an include, tmpfs here",
     {{"a.toml", "include = [\"base\"]\n[filesystem]\ntmpfs = [\"/srv\"]\n"},
      {"lib/base.toml", "[filesystem]\nread-only = [\"?/srv\"]\n"}},
     {{"a.toml:3:10", "filesystem.tmpfs[0]",
       "is both in filesystem.read-only (at @/lib/base.toml:2:14) and in filesystem.tmpfs"}}},
    {"same path twice in one list",
     {{"a.toml", "[filesystem]\nread-only = [\"/srv\", \"/srv\"]\n"}},
     {{"a.toml:2:22", "filesystem.read-only[1]",
       "\"/srv\" is listed twice in filesystem.read-only (first at @/a.toml:2:14); remove one"}}},
    {"same path twice in one file, also granted by an include",
     {{"a.toml", "include = [\"base\"]\n[filesystem]\nread-only = [\"/srv\", \"/srv\"]\n"},
      {"lib/base.toml", "[filesystem]\nread-only = [\"/srv\"]\n"}},
     {{"a.toml:3:22", "filesystem.read-only[1]",
       "is listed twice in filesystem.read-only (first at @/a.toml:3:14)"}}},
    {"same hidden path twice, spelt two ways",
     {{"a.toml", "[filesystem]\nhide = [\"~/.x\", \"${HOME}/.x\"]\n"}},
     {{"a.toml:2:17", "filesystem.hide[1]", "is listed twice in filesystem.hide"}}},

    // Includes.
    {"missing include by name",
     {{"a.toml", "include = [\"nope\"]\n"}},
     {{"a.toml:1:12", "include[0]",
       "included profile \"nope\" not found; looked for nope.toml in @/lib"}}},
    {"missing include by path",
     {{"a.toml", "include = [\"sub/x.toml\"]\n"}},
     {{"a.toml:1:12", "include[0]", "included file not found: @/sub/x.toml"}}},
    {"bad include name",
     {{"a.toml", "include = [\"Base\"]\n"}},
     {{"a.toml:1:12", "include[0]", "bad include name \"Base\""}}},
    {"empty include",
     {{"a.toml", "include = [\"\"]\n"}},
     {{"a.toml:1:12", "include[0]", "empty include"}}},
    {"include cycle",
     {{"a.toml", "include = [\"b.toml\"]\n"}, {"b.toml", "include = [\"a.toml\"]\n"}},
     {{"b.toml:1:12", "include[0]", "include cycle: a.toml -> b.toml -> a.toml"}}},
    {"file including itself",
     {{"a.toml", "include = [\"./a.toml\"]\n"}},
     {{"a.toml:1:12", "include[0]", "include cycle: a.toml -> a.toml"}}},
    {"cycle through the search path",
     {{"a.toml", "include = [\"x\"]\n"},
      {"lib/x.toml", "include = [\"y\"]\n"},
      {"lib/y.toml", "\ninclude = [\"x\"]\n"}},
     {{"lib/y.toml:2:12", "include[0]", "include cycle: x.toml -> y.toml -> x.toml"}}},
    {"errors in an included file",
     {{"a.toml", "include = [\"base\"]\n[app]\nnmae = 1\n"},
      {"lib/base.toml", "[namespaces]\nipc = \"none\"\n"}},
     {{"lib/base.toml:2:7", "namespaces.ipc", "unknown value \"none\""},
      {"a.toml:3:1", "app.nmae", "unknown key \"nmae\""}}},
    {"syntax error in an included file",
     {{"a.toml", "include = [\"base\"]\n[app]\nname = 1\n"}, {"lib/base.toml", "[app\n"}},
     {{"lib/base.toml:1:5", "", "TOML syntax error"},
      {"a.toml:3:8", "app.name", "expected a string"}}},

    // The user override.
    {"override renaming the app",
     {{"a.toml", ""}, {"overrides/a.toml", "[app]\nname = \"other\"\n"}},
     {{"overrides/a.toml:2:8", "app.name", "an override cannot rename the app (it is \"a\")"}}},
    {"error in the override",
     {{"a.toml", "[app]\nname = \"xt\"\n"}, {"overrides/xt.toml", "[namespaces]\nipc = 1\n"}},
     {{"overrides/xt.toml:2:7", "namespaces.ipc", "expected a string"}}},
    {"override widening a read-only grant",
     {{"a.toml", "[filesystem]\nread-only = [\"/srv\"]\n"},
      {"overrides/a.toml", "[filesystem]\nread-write = [\"/srv\"]\n"}},
     {{"overrides/a.toml:2:15", "filesystem.read-write[0]",
       "is both in filesystem.read-only (at @/a.toml:2:14) and in filesystem.read-write"}}},
};

}  // namespace

TEST_CASE("malformed profiles: paths, expansion, conflicts, includes", "[profile]") {
  for (const auto& c : kPathErrors) {
    DYNAMIC_SECTION(c.name) { check_bad_profile(c); }
  }
}
