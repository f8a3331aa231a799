// Malformed profiles, part 1: TOML syntax, unknown keys, wrong types and bad values. Each row
// gives the exact file:line:col, dotted key and (part of) the message the user will see.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "profile_fixtures.hpp"

using cloister::testing::BadProfile;
using cloister::testing::check_bad_profile;

namespace {

const std::vector<BadProfile> kSchemaErrors = {
    // TOML syntax: one diagnostic, at the parser's position.
    {"syntax error", {{"a.toml", "[app]\nname = \n"}}, {{"a.toml:2:8", "", "TOML syntax error"}}},
    {"integer too large",
     {{"a.toml", "[limits]\nprocesses = 99999999999999999999\n"}},
     {{"a.toml:2:33", "", "TOML syntax error"}}},  // toml++ reports the end of the number

    // Unknown keys, at the key itself.
    {"unknown top-level key",
     {{"a.toml", "foo = 1\n"}},
     {{"a.toml:1:1", "foo", "unknown top-level key \"foo\"; known keys are include and"}}},
    {"unknown key in [app]",
     {{"a.toml", "[app]\nnmae = \"x\"\n"}},
     {{"a.toml:2:1", "app.nmae",
       "unknown key \"nmae\" in [app]; known keys are name, command, desktop-entry and "
       "background"}}},
    {"unknown key in [namespaces]",
     {{"a.toml", "[namespaces]\nnet = \"none\"\n"}},
     {{"a.toml:2:1", "namespaces.net", "unknown key \"net\" in [namespaces]"}}},
    {"unknown key in [filesystem]",
     {{"a.toml", "[filesystem]\nreadonly = []\n"}},
     {{"a.toml:2:1", "filesystem.readonly", "unknown key \"readonly\" in [filesystem]"}}},
    {"unknown sub-table of [filesystem]",
     {{"a.toml", "[filesystem.extra]\nx = 1\n"}},
     {{"a.toml:1:13", "filesystem.extra", "unknown key \"extra\" in [filesystem]"}}},
    {"unknown key in [environment]",
     {{"a.toml", "[environment]\nunset = [\"A\"]\n"}},
     {{"a.toml:2:1", "environment.unset", "unknown key \"unset\" in [environment]"}}},
    {"unknown key in [security]",
     {{"a.toml", "[security]\nseccomp = []\n"}},
     {{"a.toml:2:1", "security.seccomp", "unknown key \"seccomp\" in [security]"}}},
    {"unknown key in [limits]",
     {{"a.toml", "[limits]\ncpu = 1\n"}},
     {{"a.toml:2:1", "limits.cpu", "unknown key \"cpu\" in [limits]"}}},
    {"unknown key in [desktop]",
     {{"a.toml", "[desktop]\npulseaudio = true\n"}},
     {{"a.toml:2:1", "desktop.pulseaudio", "unknown key \"pulseaudio\" in [desktop]"}}},
    {"unknown key in [desktop] as a dotted key",
     {{"a.toml", "desktop.display = true\n"}},
     {{"a.toml:1:9", "desktop.display", "unknown key \"display\" in [desktop]"}}},

    // Wrong types, at the value.
    {"string for an array",
     {{"a.toml", "[filesystem]\nread-only = \"/usr\"\n"}},
     {{"a.toml:2:13", "filesystem.read-only",
       "expected an array of strings, got a string; write it as [\"/usr\"]"}}},
    {"string for the command array",
     {{"a.toml", "[app]\ncommand = \"xterm -e x\"\n"}},
     {{"a.toml:2:11", "app.command", "expected an array of strings, got a string"}}},
    {"integer for a string",
     {{"a.toml", "[app]\nname = 5\n"}},
     {{"a.toml:2:8", "app.name", "expected a string, got an integer"}}},
    {"array of integers",
     {{"a.toml", "[filesystem]\ntmpfs = [1, 2]\n"}},
     {{"a.toml:2:10", "filesystem.tmpfs[0]", "expected a string, got an integer"},
      {"a.toml:2:13", "filesystem.tmpfs[1]", "expected a string, got an integer"}}},
    {"boolean for a string",
     {{"a.toml", "[namespaces]\nhostname = true\n"}},
     {{"a.toml:2:12", "namespaces.hostname", "expected a string, got a boolean"}}},
    {"string for a boolean",
     {{"a.toml", "[security]\nuser-namespaces = \"yes\"\n"}},
     {{"a.toml:2:19", "security.user-namespaces",
       "expected a boolean (true or false), got a string"}}},
    {"string for a table",
     {{"a.toml", "app = \"xterm\"\n"}},
     {{"a.toml:1:7", "app", "expected a table ([app]), got a string"}}},
    {"float for an integer",
     {{"a.toml", "[limits]\nprocesses = 1.5\n"}},
     {{"a.toml:2:13", "limits.processes", "expected an integer (0 leaves the limit as it is)"}}},
    {"array for an environment value",
     {{"a.toml", "[environment]\nset = { A = [\"x\"] }\n"}},
     {{"a.toml:2:13", "environment.set.A", "expected a string, got an array"}}},
    {"array for environment.set",
     {{"a.toml", "[environment]\nset = [\"A=b\"]\n"}},
     {{"a.toml:2:7", "environment.set", "expected a table ([environment.set]), got an array"}}},
    {"string for environment.keep",
     {{"a.toml", "[environment]\nkeep = \"LANG\"\n"}},
     {{"a.toml:2:8", "environment.keep", "expected an array of strings, got a string"}}},
    {"integer for desktop-entry",
     {{"a.toml", "[app]\ndesktop-entry = 3\n"}},
     {{"a.toml:2:17", "app.desktop-entry", "expected a string, got an integer"}}},
    {"string for include",
     {{"a.toml", "include = \"base\"\n"}},
     {{"a.toml:1:11", "include", "expected an array of strings, got a string; write it as"}}},

    // Closed value sets.
    {"bad network",
     {{"a.toml", "[namespaces]\nnetwork = \"off\"\n"}},
     {{"a.toml:2:11", "namespaces.network",
       "unknown value \"off\"; expected \"none\", \"user\" or \"host\""}}},
    {"bad ipc",
     {{"a.toml", "[namespaces]\nipc = \"shared\"\n"}},
     {{"a.toml:2:7", "namespaces.ipc", "expected \"private\" or \"host\""}}},
    {"bad time",
     {{"a.toml", "[namespaces]\ntime = \"local\"\n"}},
     {{"a.toml:2:8", "namespaces.time", "expected \"host\" or \"private\""}}},
    {"bad background",
     {{"a.toml", "[app]\nbackground = \"kill\"\n"}},
     {{"a.toml:2:14", "app.background", "expected \"stop\" or \"wait\""}}},
    {"bad home",
     {{"a.toml", "[filesystem]\nhome = \"ram\"\n"}},
     {{"a.toml:2:8", "filesystem.home",
       "unknown value \"ram\"; expected \"tmpfs\", \"persistent\", \"host-ro\" or \"host\""}}},
    {"boolean for an enum",
     {{"a.toml", "[namespaces]\nnetwork = false\n"}},
     {{"a.toml:2:11", "namespaces.network",
       "expected a string (\"none\", \"user\" or \"host\"), got a boolean"}}},
    {"unknown device",
     {{"a.toml", "[filesystem]\ndevices = [\"dri\", \"gpu\"]\n"}},
     {{"a.toml:2:19", "filesystem.devices[1]",
       "unknown device \"gpu\"; expected \"dri\", \"snd\", \"video\" or \"input\""}}},
    {"negative limit",
     {{"a.toml", "[limits]\nopen-files = -1\n"}},
     {{"a.toml:2:14", "limits.open-files", "negative limit -1"}}},

    // [app]
    {"empty command",
     {{"a.toml", "[app]\ncommand = []\n"}},
     {{"a.toml:2:11", "app.command", "empty command"}}},
    {"empty command element",
     {{"a.toml", "[app]\ncommand = [\"x\", \"\"]\n"}},
     {{"a.toml:2:17", "app.command[1]", "empty command element"}}},
    {"command element that expands to nothing",
     {{"a.toml", "[app]\ncommand = [\"${EMPTY}\"]\n"}},
     {{"a.toml:2:12", "app.command[0]", "command element \"${EMPTY}\" expands to nothing"}}},
    {"command element with a NUL byte",
     {{"a.toml", "[app]\ncommand = [\"a\\u0000b\"]\n"}},
     {{"a.toml:2:12", "app.command[0]", "NUL byte"}}},
    {"bad app name",
     {{"a.toml", "[app]\nname = \"Xterm\"\n"}},
     {{"a.toml:2:8", "app.name", "bad app name \"Xterm\""}}},
    {"app name too long",
     {{"a.toml", "[app]\nname = \"" + std::string(65, 'a') + "\"\n"}},
     {{"a.toml:2:8", "app.name", "at most 64 characters"}}},
    {"file stem that is not an app name",
     {{"Bad Name.toml", ""}},
     {{"Bad Name.toml", "app.name", "the file name \"Bad Name\" is not a valid app name"}}},

    // [namespaces] hostname, checked after expansion.
    {"bad hostname",
     {{"a.toml", "[namespaces]\nhostname = \"my_host\"\n"}},
     {{"a.toml:2:12", "namespaces.hostname", "bad hostname \"my_host\"; use 1 to 64"}}},
    {"hostname too long",
     {{"a.toml", "[namespaces]\nhostname = \"" + std::string(65, 'h') + "\"\n"}},
     {{"a.toml:2:12", "namespaces.hostname", "bad hostname"}}},
    {"empty hostname",
     {{"a.toml", "[namespaces]\nhostname = \"\"\n"}},
     {{"a.toml:2:12", "namespaces.hostname", "remove the key to use the app name"}}},
    {"hostname that expands to a path",
     {{"a.toml", "[namespaces]\nhostname = \"${HOME}\"\n"}},
     {{"a.toml:2:12", "namespaces.hostname", "bad hostname \"${HOME}\" (expands to \"/home/u\")"}}},

    // [environment]
    {"bad name in environment.set",
     {{"a.toml", "[environment]\nset = { \"MY-VAR\" = \"x\" }\n"}},
     {{"a.toml:2:9", "environment.set.MY-VAR", "bad variable name \"MY-VAR\""}}},
    {"wildcard in environment.set",
     {{"a.toml", "[environment]\nset = { \"A*\" = \"x\" }\n"}},
     {{"a.toml:2:9", "environment.set.\"A*\"", "bad variable name \"A*\""}}},
    {"bad pattern in environment.keep",
     {{"a.toml", "[environment]\nkeep = [\"LANG\", \"LC-*\"]\n"}},
     {{"a.toml:2:17", "environment.keep[1]", "bad variable name or pattern \"LC-*\""}}},
    {"NUL byte in an environment value",
     {{"a.toml", "[environment]\nset = { A = \"x\\u0000y\" }\n"}},
     {{"a.toml:2:13", "environment.set.A", "value contains a NUL byte"}}},
    {"unknown variable in an environment value",
     {{"a.toml", "[environment.set]\nA = \"${NOPE}\"\n"}},
     {{"a.toml:2:5", "environment.set.A", "unknown variable ${NOPE}"}}},

    // [security]
    {"unknown system call",
     {{"a.toml", "[security]\nseccomp-deny = [\"notasyscall\"]\n"}},
     {{"a.toml:2:17", "security.seccomp-deny[0]", "unknown system call \"notasyscall\""}}},
    {"system call with a NUL byte",
     {{"a.toml", "[security]\nseccomp-allow = [\"read\\u0000x\"]\n"}},
     {{"a.toml:2:18", "security.seccomp-allow[0]", "unknown system call"}}},
    {"system call both allowed and denied",
     {{"a.toml", "[security]\nseccomp-allow = [\"ptrace\"]\nseccomp-deny = [\"ptrace\"]\n"}},
     {{"a.toml:3:17", "security.seccomp-deny[0]",
       "system call \"ptrace\" is in both seccomp-allow and seccomp-deny (also at "
       "@/a.toml:2:18)"}}},
    {"system call denied by an include and allowed here",
     {{"a.toml", "include = [\"base\"]\n[security]\nseccomp-allow = [\"ptrace\"]\n"},
      {"lib/base.toml", "[security]\nseccomp-deny = [\"ptrace\"]\n"}},
     {{"a.toml:3:18", "security.seccomp-allow[0]",
       "is in both seccomp-allow and seccomp-deny (also at @/lib/base.toml:2:17)"}}},

    // Everything wrong in one file is reported, in file order.
    {"many errors in one file",
     {{"a.toml",
       "foo = 1\n"
       "[app]\n"
       "name = \"Bad\"\n"
       "command = []\n"
       "[filesystem]\n"
       "read-only = [\"/usr/\", \"rel\"]\n"
       "home = \"ram\"\n"
       "[limits]\n"
       "processes = -5\n"}},
     {{"a.toml:1:1", "foo", "unknown top-level key"},
      {"a.toml:3:8", "app.name", "bad app name"},
      {"a.toml:4:11", "app.command", "empty command"},
      {"a.toml:6:14", "filesystem.read-only[0]", "ends with /"},
      {"a.toml:6:23", "filesystem.read-only[1]", "relative path \"rel\""},
      {"a.toml:7:8", "filesystem.home", "unknown value \"ram\""},
      {"a.toml:9:13", "limits.processes", "negative limit -5"}}},
};

}  // namespace

TEST_CASE("malformed profiles: syntax, keys, types and values", "[profile]") {
  for (const auto& c : kSchemaErrors) {
    DYNAMIC_SECTION(c.name) { check_bad_profile(c); }
  }
}

TEST_CASE("ProfileError text lists every diagnostic as file:line:col: key: message", "[profile]") {
  cloister::testing::TempDir dir;
  std::string file = dir.write("a.toml", "[namespaces]\nipc = 1\ntime = \"x\"\n");
  try {
    cloister::profile::load_file(file, cloister::testing::fake_context(dir));
    FAIL("loaded");
  } catch (const cloister::ProfileError& e) {
    CHECK(std::string(e.what()) ==
          file +
              ":2:7: namespaces.ipc: expected a string (\"private\" or \"host\"), got an "
              "integer\n" +
              file +
              ":3:8: namespaces.time: unknown value \"x\"; expected \"host\" or \"private\"");
  }
}
