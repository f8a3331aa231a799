// The [desktop] table: good profiles (defaults, merging, expansion in D-Bus names, the bus
// mode set by another file) and malformed ones, each with the exact file:line:col, key and
// (part of) the message the user will see.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "profile/profile.hpp"
#include "profile_fixtures.hpp"

using cloister::profile::DbusMode;
using cloister::profile::Profile;
using cloister::profile::Sourced;
using cloister::testing::BadProfile;
using cloister::testing::check_bad_profile;
using cloister::testing::fake_context;
using cloister::testing::TempDir;
using Strings = std::vector<std::string>;

namespace {

Strings values(const std::vector<Sourced<std::string>>& entries) {
  Strings out;
  for (const auto& e : entries) out.push_back(e.value);
  return out;
}

// Both buses filtered (lines 1-3), so a rule on line 4 is checked on its own.
const std::string kFiltered =
    "[desktop]\n"
    "dbus-session = \"filtered\"\n"
    "dbus-system = \"filtered\"\n";

const std::vector<BadProfile> kDesktopErrors = {
    // Types and closed value sets.
    {"[desktop] that is not a table",
     {{"a.toml", "desktop = true\n"}},
     {{"a.toml:1:11", "desktop", "expected a table ([desktop]), got a boolean"}}},
    {"string for a boolean",
     {{"a.toml", "[desktop]\nx11 = \"yes\"\n"}},
     {{"a.toml:2:7", "desktop.x11", "expected a boolean (true or false), got a string"}}},
    {"integer for a boolean",
     {{"a.toml", "[desktop]\ngpu = 1\n"}},
     {{"a.toml:2:7", "desktop.gpu", "expected a boolean (true or false), got an integer"}}},
    {"bad bus mode",
     {{"a.toml", "[desktop]\ndbus-session = \"filter\"\n"}},
     {{"a.toml:2:16", "desktop.dbus-session",
       "unknown value \"filter\"; expected \"none\", \"filtered\" or \"host\""}}},
    {"boolean for a bus mode",
     {{"a.toml", "[desktop]\ndbus-system = true\n"}},
     {{"a.toml:2:15", "desktop.dbus-system",
       "expected a string (\"none\", \"filtered\" or \"host\"), got a boolean"}}},
    {"string for a rule list",
     {{"a.toml", kFiltered + "dbus-talk = \"org.a.B\"\n"}},
     {{"a.toml:4:13", "desktop.dbus-talk",
       "expected an array of strings, got a string; write it as [\"org.a.B\"]"}}},
    {"integer in a rule list",
     {{"a.toml", kFiltered + "dbus-own = [\"org.a.B\", 7]\n"}},
     {{"a.toml:4:24", "desktop.dbus-own[1]", "expected a string, got an integer"}}},
    {"unknown key",
     {{"a.toml", "[desktop]\ndbus-user = \"none\"\n"}},
     {{"a.toml:2:1", "desktop.dbus-user",
       "unknown key \"dbus-user\" in [desktop]; known keys are x11, wayland, audio, gpu, fonts, "
       "themes, dbus-session, dbus-system, dbus-see, dbus-talk, dbus-own, dbus-call, "
       "dbus-broadcast, dbus-system-talk, dbus-system-call and dbus-system-broadcast"}}},
    {"owning a name on the system bus",
     {{"a.toml", kFiltered + "dbus-system-own = [\"org.a.B\"]\n"}},
     {{"a.toml:4:1", "desktop.dbus-system-own",
       "the system bus takes no own rules; use dbus-system-talk"}}},

    // Bus names (see, talk, own), checked after expansion.
    {"bus name with one element",
     {{"a.toml", kFiltered + "dbus-talk = [\"org\"]\n"}},
     {{"a.toml:4:14", "desktop.dbus-talk[0]",
       "bad bus name \"org\": it has a single element; a bus name is two or more '.'-separated "
       "elements"}}},
    {"bus name element starting with a digit",
     {{"a.toml", kFiltered + "dbus-see = [\"org.2fa.App\"]\n"}},
     {{"a.toml:4:13", "desktop.dbus-see[0]",
       "bad bus name \"org.2fa.App\": element \"2fa\" starts with a digit"}}},
    {"bus name that expands to a bad one",
     {{"a.toml",
       "[app]\nname = \"9lives\"\n" + kFiltered + "dbus-own = [\"org.example.${APP}\"]\n"}},
     {{"a.toml:6:13", "desktop.dbus-own[0]",
       "bad bus name \"org.example.${APP}\" (expands to \"org.example.9lives\"): element "
       "\"9lives\" starts with a digit"}}},
    {"unknown variable in a bus name",
     {{"a.toml", kFiltered + "dbus-talk = [\"org.${NOPE}\"]\n"}},
     {{"a.toml:4:14", "desktop.dbus-talk[0]", "unknown variable ${NOPE}"}}},
    {"unique connection name",
     {{"a.toml", kFiltered + "dbus-talk = [\":1.42\"]\n"}},
     {{"a.toml:4:14", "desktop.dbus-talk[0]",
       "bad bus name \":1.42\": unique connection names (\":1.42\") change each time the peer "
       "connects; use the well-known name it owns"}}},
    {"wildcard inside a bus name",
     {{"a.toml", kFiltered + "dbus-talk = [\"org.*.Notifications\"]\n"}},
     {{"a.toml:4:14", "desktop.dbus-talk[0]", "'*' may only end a name, as \".*\""}}},
    {"wildcard alone",
     {{"a.toml", kFiltered + "dbus-system-talk = [\"*\"]\n"}},
     {{"a.toml:4:21", "desktop.dbus-system-talk[0]",
       "bad bus name \"*\": \"*\" alone matches no name: list the names the app needs"}}},
    {"wildcard of a single element",
     {{"a.toml", kFiltered + "dbus-talk = [\"org.*\"]\n"}},
     {{"a.toml:4:14", "desktop.dbus-talk[0]", "bad bus name \"org.*\": it has a single element"}}},
    {"empty element in a bus name",
     {{"a.toml", kFiltered + "dbus-talk = [\"org..a\", \"org.a.\", \"\"]\n"}},
     {{"a.toml:4:14", "desktop.dbus-talk[0]", "it has an empty element"},
      {"a.toml:4:24", "desktop.dbus-talk[1]", "it has an empty element"},
      {"a.toml:4:34", "desktop.dbus-talk[2]", "bad bus name \"\": it is empty"}}},
    {"bad character in a bus name",
     {{"a.toml", kFiltered + "dbus-talk = [\"org.example/app\", \"org.my app\"]\n"}},
     {{"a.toml:4:14", "desktop.dbus-talk[0]", "bad bus name \"org.example/app\": it contains '/'"},
      {"a.toml:4:33", "desktop.dbus-talk[1]", "it contains a space"}}},
    {"NUL byte in a bus name",
     {{"a.toml", kFiltered + "dbus-talk = [\"org.a\\u0000b\"]\n"}},
     {{"a.toml:4:14", "desktop.dbus-talk[0]", "bus name contains a NUL byte; remove it"}}},
    {"bus name longer than 255 characters",
     {{"a.toml", kFiltered + "dbus-own = [\"org." + std::string(252, 'a') + "\"]\n"}},
     {{"a.toml:4:13", "desktop.dbus-own[0]", "it is longer than 255 characters"}}},

    // call and broadcast rules: NAME=[METHOD][@PATH].
    {"call rule without a rule",
     {{"a.toml", kFiltered + "dbus-call = [\"org.a.B\"]\n"}},
     {{"a.toml:4:14", "desktop.dbus-call[0]",
       "bad rule \"org.a.B\": no rule after the name; write \"org.a.B=*\" to allow everything, "
       "or narrow it; a rule is NAME=[METHOD][@@PATH]"}}},
    {"call rule with nothing after =",
     {{"a.toml", kFiltered + "dbus-broadcast = [\"org.a.B=\"]\n"}},
     {{"a.toml:4:19", "desktop.dbus-broadcast[0]",
       "nothing after '='; write \"org.a.B=*\" to allow everything"}}},
    {"bad bus name in a call rule",
     {{"a.toml", kFiltered + "dbus-call = [\"org=*\"]\n"}},
     {{"a.toml:4:14", "desktop.dbus-call[0]",
       "bad rule \"org=*\": bus name \"org\": it has a single element"}}},
    {"method without its interface",
     {{"a.toml", kFiltered + "dbus-call = [\"org.a.B=Notify\"]\n"}},
     {{"a.toml:4:14", "desktop.dbus-call[0]",
       "method \"Notify\": a method needs its interface: write \"INTERFACE.Notify\""}}},
    {"interface name alone, read as interface.member",
     {{"a.toml", kFiltered + "dbus-call = [\"org.a.B=org.Notifications\"]\n"}},
     {{"a.toml:4:14", "desktop.dbus-call[0]",
       "this is member \"Notifications\" of interface \"org\", which is not an interface name"}}},
    {"dash in an interface name",
     {{"a.toml", kFiltered + "dbus-system-call = [\"org.a.B=org.my-app.Iface.Get\"]\n"}},
     {{"a.toml:4:21", "desktop.dbus-system-call[0]",
       "interface \"org.my-app.Iface\": it contains '-' (bus names may, interface names may "
       "not)"}}},
    {"member starting with a digit",
     {{"a.toml", kFiltered + "dbus-call = [\"org.a.B=org.a.B.1x\"]\n"}},
     {{"a.toml:4:14", "desktop.dbus-call[0]", "member \"1x\": it starts with a digit"}}},
    {"wildcard inside a method",
     {{"a.toml", kFiltered + "dbus-call = [\"org.a.B=org.*.Get\", \"org.a.B=org.a.Get*\"]\n"}},
     {{"a.toml:4:14", "desktop.dbus-call[0]", "interface \"org.*\": '*' may only end a name"},
      {"a.toml:4:35", "desktop.dbus-call[1]",
       "'*' may only stand for the whole member, as \"INTERFACE.*\""}}},
    {"relative object path",
     {{"a.toml", kFiltered + "dbus-call = [\"org.a.B=*@org/a/B\"]\n"}},
     {{"a.toml:4:14", "desktop.dbus-call[0]", "object path \"org/a/B\": it must start with '/'"}}},
    {"nothing after @",
     {{"a.toml", kFiltered + "dbus-call = [\"org.a.B=*@\"]\n"}},
     {{"a.toml:4:14", "desktop.dbus-call[0]",
       "nothing after '@@': write an object path such as \"/org/example/Object\", or leave out "
       "the '@@'"}}},
    {"object path with a trailing slash",
     {{"a.toml", kFiltered + "dbus-system-broadcast = [\"org.a.B=@/org/a/\"]\n"}},
     {{"a.toml:4:26", "desktop.dbus-system-broadcast[0]",
       "object path \"/org/a/\": it has an empty element"}}},
    {"wildcard inside an object path",
     {{"a.toml", kFiltered + "dbus-call = [\"org.a.B=*@/org/*/x\"]\n"}},
     {{"a.toml:4:14", "desktop.dbus-call[0]", "'*' may only end the path, as \"/*\""}}},
    {"bad character in an object path",
     {{"a.toml", kFiltered + "dbus-call = [\"org.a.B=*@/org/a-b\"]\n"}},
     {{"a.toml:4:14", "desktop.dbus-call[0]",
       "object path \"/org/a-b\": it contains '-'; object path elements are letters"}}},

    // Rules need their bus to be "filtered", in the merged profile.
    {"rule without a bus mode",
     {{"a.toml", "[desktop]\ndbus-talk = [\"org.a.B\"]\n"}},
     {{"a.toml:2:14", "desktop.dbus-talk[0]",
       "dbus-talk needs dbus-session = \"filtered\" (it is \"none\", the default); rules apply "
       "only through the filtering proxy: set dbus-session = \"filtered\" in [desktop], or "
       "remove this rule"}}},
    {"rule with the bus given whole",
     {{"a.toml", "[desktop]\ndbus-session = \"host\"\ndbus-call = [\"org.a.B=*\"]\n"}},
     {{"a.toml:3:14", "desktop.dbus-call[0]",
       "dbus-call needs dbus-session = \"filtered\" (it is \"host\", set at @/a.toml:2:16)"}}},
    {"system rule when only the session bus is filtered",
     {{"a.toml",
       "[desktop]\ndbus-session = \"filtered\"\ndbus-system-talk = "
       "[\"org.freedesktop.UPower\"]\n"}},
     {{"a.toml:3:21", "desktop.dbus-system-talk[0]",
       "dbus-system-talk needs dbus-system = \"filtered\" (it is \"none\", the default)"}}},
    {"rule in an include, mode turned off by the including file",
     {{"a.toml", "include = [\"base\"]\n[desktop]\ndbus-session = \"none\"\n"},
      {"lib/base.toml",
       "[desktop]\ndbus-session = \"filtered\"\ndbus-see = [\"org.a.B\", \"org.a.C\"]\n"}},
     {{"lib/base.toml:3:13", "desktop.dbus-see[0]",
       "dbus-see needs dbus-session = \"filtered\" (it is \"none\", set at @/a.toml:3:16)"},
      {"lib/base.toml:3:24", "desktop.dbus-see[1]", "dbus-see needs dbus-session"}}},
    {"a bad rule is reported once, not also for its mode",
     {{"a.toml", "[desktop]\ndbus-talk = [\"org\", \"org.a.B\"]\n"}},
     {{"a.toml:2:14", "desktop.dbus-talk[0]", "bad bus name \"org\""},
      {"a.toml:2:21", "desktop.dbus-talk[1]", "dbus-talk needs dbus-session = \"filtered\""}}},

    {"many errors in one [desktop]",
     {{"a.toml",
       "[desktop]\n"
       "x11 = 1\n"
       "dbus-session = \"proxy\"\n"
       "dbus-own = [\"org\"]\n"
       "audio = true\n"
       "dbus-call = [\"org.a.B=Get\"]\n"
       "fonts = \"yes\"\n"}},
     {{"a.toml:2:7", "desktop.x11", "expected a boolean"},
      {"a.toml:3:16", "desktop.dbus-session", "unknown value \"proxy\""},
      {"a.toml:4:13", "desktop.dbus-own[0]", "bad bus name \"org\""},
      {"a.toml:6:14", "desktop.dbus-call[0]", "a method needs its interface"},
      {"a.toml:7:9", "desktop.fonts", "expected a boolean"}}},
};

}  // namespace

TEST_CASE("malformed [desktop] tables", "[profile][desktop]") {
  for (const auto& c : kDesktopErrors) {
    DYNAMIC_SECTION(c.name) { check_bad_profile(c); }
  }
}

TEST_CASE("[desktop] defaults: nothing of the desktop", "[profile][desktop]") {
  TempDir dir;
  Profile p = cloister::profile::load_file(dir.write("min.toml", ""), fake_context(dir));
  for (const auto* flag : {&p.x11, &p.wayland, &p.audio, &p.gpu, &p.fonts, &p.themes}) {
    CHECK_FALSE(flag->value);
    CHECK(flag->origin.builtin());
  }
  CHECK(p.dbus_session.value == DbusMode::None);
  CHECK(p.dbus_session.origin.builtin());
  CHECK(p.dbus_system.value == DbusMode::None);
  for (const auto* list : {&p.dbus_see, &p.dbus_talk, &p.dbus_own, &p.dbus_call, &p.dbus_broadcast,
                           &p.dbus_system_talk, &p.dbus_system_call, &p.dbus_system_broadcast}) {
    CHECK(list->empty());
  }
}

TEST_CASE("[desktop]: every key, with its origin", "[profile][desktop]") {
  TempDir dir;
  std::string file = dir.write(
      "viewer.toml",
      "[desktop]\n"                                                                      // 1
      "x11 = true\n"                                                                     // 2
      "wayland = true\n"                                                                 // 3
      "audio = true\n"                                                                   // 4
      "gpu = true\n"                                                                     // 5
      "fonts = true\n"                                                                   // 6
      "themes = false\n"                                                                 // 7
      "dbus-session = \"filtered\"\n"                                                    // 8
      "dbus-system = \"filtered\"\n"                                                     // 9
      "dbus-see = [\"org.a11y.Bus\"]\n"                                                  // 10
      "dbus-talk = [\"org.freedesktop.portal.*\", \"org.kde.StatusNotifierWatcher\"]\n"  // 11
      "dbus-own = [\"org.example.${APP}\", \"org.mpris.MediaPlayer2.${APP}\"]\n"         // 12
      "dbus-call = [\n"                                                                  // 13
      "  \"org.freedesktop.Notifications=org.freedesktop.Notifications.Notify"
      "@/org/freedesktop/Notifications\",\n"                          // 14
      "  \"org.a.B=*\",\n"                                            // 15
      "  \"org.a.B=org.a.B.*\",\n"                                    // 16
      "  \"org.a.B=@/org/a/B/*\",\n"                                  // 17
      "  \"org.a.*=*@/\",\n"                                          // 18
      "  \"org.a.B=*@/*\",\n"                                         // 19
      "  \"com.example.my-app=com.example.Iface_2._Get@/_x/y_1\",\n"  // 20
      "]\n"                                                           // 21
      "dbus-broadcast = [\"org.a.B=org.a.B.Changed@/org/a/B\"]\n"     // 22
      "dbus-system-talk = [\"org.freedesktop.UPower\"]\n"             // 23
      "dbus-system-call = [\"org.freedesktop.login1=org.freedesktop.DBus.Properties.Get"
      "@/org/freedesktop/login1\"]\n"                                                       // 24
      "dbus-system-broadcast = [\"org.freedesktop.login1=*@/org/freedesktop/login1\"]\n");  // 25
  Profile p = cloister::profile::load_file(file, fake_context(dir));
  const std::string at = dir / "viewer.toml:";

  CHECK(p.x11.value);
  CHECK(p.x11.origin.to_string() == at + "2:7");
  CHECK(p.wayland.value);
  CHECK(p.audio.value);
  CHECK(p.gpu.value);
  CHECK(p.fonts.origin.to_string() == at + "6:9");
  CHECK_FALSE(p.themes.value);  // set explicitly: recorded
  CHECK(p.themes.origin.to_string() == at + "7:10");
  CHECK(p.dbus_session.value == DbusMode::Filtered);
  CHECK(p.dbus_session.origin.to_string() == at + "8:16");
  CHECK(p.dbus_system.value == DbusMode::Filtered);
  CHECK(p.dbus_system.origin.to_string() == at + "9:15");

  CHECK(values(p.dbus_see) == Strings{"org.a11y.Bus"});
  CHECK(values(p.dbus_talk) ==
        Strings{"org.freedesktop.portal.*", "org.kde.StatusNotifierWatcher"});
  CHECK(p.dbus_talk[1].origin.to_string() == at + "11:42");
  // ${APP} is expanded in names and rules.
  CHECK(values(p.dbus_own) == Strings{"org.example.viewer", "org.mpris.MediaPlayer2.viewer"});
  CHECK(p.dbus_own[0].origin.to_string() == at + "12:13");
  REQUIRE(p.dbus_call.size() == 7);
  CHECK(p.dbus_call[0].value ==
        "org.freedesktop.Notifications=org.freedesktop.Notifications.Notify"
        "@/org/freedesktop/Notifications");
  CHECK(p.dbus_call[0].origin.to_string() == at + "14:3");
  CHECK(p.dbus_call[6].value == "com.example.my-app=com.example.Iface_2._Get@/_x/y_1");
  CHECK(values(p.dbus_broadcast) == Strings{"org.a.B=org.a.B.Changed@/org/a/B"});
  CHECK(values(p.dbus_system_talk) == Strings{"org.freedesktop.UPower"});
  CHECK(p.dbus_system_talk[0].origin.to_string() == at + "23:21");
  CHECK(p.dbus_system_call.size() == 1);
  CHECK(values(p.dbus_system_broadcast) ==
        Strings{"org.freedesktop.login1=*@/org/freedesktop/login1"});
}

TEST_CASE("[desktop] merges: flags and modes override, rules append", "[profile][desktop]") {
  TempDir dir;
  dir.write("lib/gui.toml",
            "[desktop]\n"                                         // 1
            "x11 = true\n"                                        // 2
            "wayland = true\n"                                    // 3
            "fonts = true\n"                                      // 4
            "dbus-session = \"filtered\"\n"                       // 5
            "dbus-talk = [\"org.freedesktop.portal.Desktop\"]\n"  // 6
            "dbus-own = [\"org.example.${APP}\"]\n");             // 7
  std::string top =
      dir.write("xterm.toml",
                "include = [\"gui\"]\n"                                            // 1
                "[desktop]\n"                                                      // 2
                "x11 = false\n"                                                    // 3
                "audio = true\n"                                                   // 4
                "dbus-talk = [\"org.a.B\", \"org.freedesktop.portal.Desktop\"]\n"  // 5
                "dbus-own = [\"org.example.xterm\"]\n"                             // 6
                "dbus-system = \"host\"\n");                                       // 7
  Profile p = cloister::profile::load_file(top, fake_context(dir));

  CHECK_FALSE(p.x11.value);  // the later file wins, with its origin
  CHECK(p.x11.origin.to_string() == top + ":3:7");
  CHECK(p.wayland.value);  // untouched: the include's
  CHECK(p.wayland.origin.to_string() == dir / "lib/gui.toml:3:11");
  CHECK(p.fonts.value);
  CHECK(p.audio.value);
  CHECK_FALSE(p.themes.value);
  CHECK(p.dbus_session.value == DbusMode::Filtered);
  CHECK(p.dbus_session.origin.to_string() == dir / "lib/gui.toml:5:16");
  // Rules in the top file rely on the mode the include set.
  CHECK(values(p.dbus_talk) == Strings{"org.freedesktop.portal.Desktop", "org.a.B"});
  CHECK(p.dbus_talk[0].origin.to_string() == dir / "lib/gui.toml:6:14");
  // Duplicates are found after expansion; the first entry and its origin stay.
  CHECK(values(p.dbus_own) == Strings{"org.example.xterm"});
  CHECK(p.dbus_own[0].origin.to_string() == dir / "lib/gui.toml:7:13");
  // The whole system bus is allowed (the planner flags it), and needs no rules.
  CHECK(p.dbus_system.value == DbusMode::Host);
}

TEST_CASE("[desktop]: the override may set the mode the profile's rules need",
          "[profile][desktop]") {
  TempDir dir;
  std::string top = dir.write("mail.toml",
                              "[desktop]\n"
                              "dbus-call = [\"org.freedesktop.Notifications=*\"]\n"
                              "dbus-system-talk = [\"org.freedesktop.NetworkManager\"]\n");
  dir.write("overrides/mail.toml",
            "[desktop]\ndbus-session = \"filtered\"\ndbus-system = \"filtered\"\n");
  Profile p = cloister::profile::load_file(top, fake_context(dir));
  CHECK(p.dbus_session.value == DbusMode::Filtered);
  CHECK(p.dbus_session.origin.to_string() == dir / "overrides/mail.toml:2:16");
  CHECK(values(p.dbus_call) == Strings{"org.freedesktop.Notifications=*"});
  CHECK(values(p.dbus_system_talk) == Strings{"org.freedesktop.NetworkManager"});

  // Without the override the same profile is refused.
  auto ctx = fake_context(dir);
  ctx.override_dir = "";
  CHECK_THROWS_AS(cloister::profile::load_file(top, ctx), cloister::ProfileError);
}

TEST_CASE("[desktop]: a filtered bus without rules is allowed", "[profile][desktop]") {
  TempDir dir;
  std::string file =
      dir.write("a.toml", "[desktop]\ndbus-session = \"filtered\"\ndbus-system = \"filtered\"\n");
  Profile p = cloister::profile::load_file(file, fake_context(dir));
  CHECK(p.dbus_session.value == DbusMode::Filtered);
  CHECK(p.dbus_system.value == DbusMode::Filtered);
  CHECK(p.dbus_talk.empty());
  CHECK(p.dbus_system_talk.empty());
}

TEST_CASE("[desktop] as dotted keys and inline tables", "[profile][desktop]") {
  TempDir dir;
  std::string file = dir.write("a.toml", "desktop.x11 = true\ndesktop.dbus-session = \"host\"\n");
  Profile p = cloister::profile::load_file(file, fake_context(dir));
  CHECK(p.x11.value);
  CHECK(p.dbus_session.value == DbusMode::Host);

  std::string inline_file =
      dir.write("b.toml", "desktop = { gpu = true, dbus-system = \"filtered\" }\n");
  Profile q = cloister::profile::load_file(inline_file, fake_context(dir));
  CHECK(q.gpu.value);
  CHECK(q.dbus_system.value == DbusMode::Filtered);
}

TEST_CASE("DbusMode names", "[profile][desktop]") {
  using cloister::profile::to_string;
  CHECK(std::string(to_string(DbusMode::None)) == "none");
  CHECK(std::string(to_string(DbusMode::Filtered)) == "filtered");
  CHECK(std::string(to_string(DbusMode::Host)) == "host");
}
