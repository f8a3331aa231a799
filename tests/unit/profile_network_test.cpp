// network = "user", the [network] table and [security] landlock: good profiles (defaults,
// merging, the mode set by another file) and malformed ones, each with the exact
// file:line:col, key and (part of) the message the user will see.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "profile/profile.hpp"
#include "profile_fixtures.hpp"

using cloister::profile::NetworkMode;
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

const std::string kUser = "[namespaces]\nnetwork = \"user\"\n";

const std::vector<BadProfile> kNetworkErrors = {
    // Types.
    {"[network] that is not a table",
     {{"a.toml", "network = \"user\"\n"}},
     {{"a.toml:1:11", "network", "expected a table ([network]), got a string"}}},
    {"string for host-ports",
     {{"a.toml", kUser + "[network]\nhost-ports = \"tcp/631\"\n"}},
     {{"a.toml:4:14", "network.host-ports",
       "expected an array of strings, got a string; write it as [\"tcp/631\"]"}}},
    {"integer in host-ports",
     {{"a.toml", kUser + "[network]\nhost-ports = [631]\n"}},
     {{"a.toml:4:15", "network.host-ports[0]", "expected a string, got an integer"}}},
    {"array for interface",
     {{"a.toml", kUser + "[network]\ninterface = [\"wg0\"]\n"}},
     {{"a.toml:4:13", "network.interface", "expected a string, got an array"}}},
    {"unknown key in [network]",
     {{"a.toml", kUser + "[network]\ndns = [\"192.0.2.53\"]\n"}},
     {{"a.toml:4:1", "network.dns",
       "unknown key \"dns\" in [network]; known keys are host-ports and interface"}}},
    {"string for landlock",
     {{"a.toml", "[security]\nlandlock = \"off\"\n"}},
     {{"a.toml:2:12", "security.landlock", "expected a boolean (true or false), got a string"}}},

    // Host ports: one port, one protocol, written one way.
    {"port without protocol",
     {{"a.toml", kUser + "[network]\nhost-ports = [\"631\"]\n"}},
     {{"a.toml:4:15", "network.host-ports[0]",
       "host port \"631\" names no protocol; write \"tcp/PORT\" or \"udp/PORT\""}}},
    {"unknown protocol",
     {{"a.toml", kUser + "[network]\nhost-ports = [\"sctp/631\"]\n"}},
     {{"a.toml:4:15", "network.host-ports[0]", "unknown protocol \"sctp\" in \"sctp/631\""}}},
    {"upper-case protocol",
     {{"a.toml", kUser + "[network]\nhost-ports = [\"TCP/631\"]\n"}},
     {{"a.toml:4:15", "network.host-ports[0]", "unknown protocol \"TCP\""}}},
    {"port range",
     {{"a.toml", kUser + "[network]\nhost-ports = [\"tcp/600-700\"]\n"}},
     {{"a.toml:4:15", "network.host-ports[0]", "bad port \"600-700\" in \"tcp/600-700\""}}},
    {"pasta's exclusion syntax",
     {{"a.toml", kUser + "[network]\nhost-ports = [\"tcp/~22\"]\n"}},
     {{"a.toml:4:15", "network.host-ports[0]", "bad port \"~22\""}}},
    {"port list in one entry",
     {{"a.toml", kUser + "[network]\nhost-ports = [\"tcp/80,443\"]\n"}},
     {{"a.toml:4:15", "network.host-ports[0]", "bad port \"80,443\""}}},
    {"leading zero",
     {{"a.toml", kUser + "[network]\nhost-ports = [\"tcp/0631\"]\n"}},
     {{"a.toml:4:15", "network.host-ports[0]", "bad port \"0631\""}}},
    {"port 0",
     {{"a.toml", kUser + "[network]\nhost-ports = [\"udp/0\"]\n"}},
     {{"a.toml:4:15", "network.host-ports[0]", "bad port \"0\""}}},
    {"port too large",
     {{"a.toml", kUser + "[network]\nhost-ports = [\"tcp/65536\"]\n"}},
     {{"a.toml:4:15", "network.host-ports[0]", "port 65536 is out of range"}}},
    {"empty port",
     {{"a.toml", kUser + "[network]\nhost-ports = [\"tcp/\"]\n"}},
     {{"a.toml:4:15", "network.host-ports[0]", "bad port \"\""}}},
    {"space in a port",
     {{"a.toml", kUser + "[network]\nhost-ports = [\"tcp/ 631\"]\n"}},
     {{"a.toml:4:15", "network.host-ports[0]", "bad port \" 631\""}}},
    {"every bad entry is reported",
     {{"a.toml", kUser + "[network]\nhost-ports = [\"tcp/1\", \"x\", \"udp/99999\"]\n"}},
     {{"a.toml:4:24", "network.host-ports[1]", "names no protocol"},
      {"a.toml:4:29", "network.host-ports[2]", "out of range"}}},

    // Interface names.
    {"empty interface",
     {{"a.toml", kUser + "[network]\ninterface = \"\"\n"}},
     {{"a.toml:4:13", "network.interface", "bad interface name \"\""}}},
    {"interface name too long",
     {{"a.toml", kUser + "[network]\ninterface = \"averyveryverylong0\"\n"}},
     {{"a.toml:4:13", "network.interface", "1 to 15 characters"}}},
    {"interface with a slash",
     {{"a.toml", kUser + "[network]\ninterface = \"../eth0\"\n"}},
     {{"a.toml:4:13", "network.interface", "interface names have no '/'"}}},
    {"interface with a space",
     {{"a.toml", kUser + "[network]\ninterface = \"eth 0\"\n"}},
     {{"a.toml:4:13", "network.interface", "no '/', ':', spaces"}}},

    // [network] needs network = "user" in the merged profile.
    {"host-ports without network = user",
     {{"a.toml", "[network]\nhost-ports = [\"tcp/631\"]\n"}},
     {{"a.toml:2:15", "network.host-ports[0]",
       "network.host-ports needs network = \"user\" in [namespaces] (it is \"none\", the "
       "default)"}}},
    {"interface with network = host",
     {{"a.toml", "[namespaces]\nnetwork = \"host\"\n[network]\ninterface = \"wg0\"\n"}},
     {{"a.toml:4:13", "network.interface",
       "network.interface needs network = \"user\" in [namespaces] (it is \"host\", set at "
       "@/a.toml:2:11)"}}},
    {"a later file turns the user network off",
     {{"a.toml", "include = [\"lib/net.toml\"]\n[namespaces]\nnetwork = \"none\"\n"},
      {"lib/net.toml", kUser + "[network]\nhost-ports = [\"tcp/631\"]\n"}},
     {{"lib/net.toml:4:15", "network.host-ports[0]", "set at @/a.toml:3:11"}}},
};

}  // namespace

TEST_CASE("network and landlock defaults", "[profile][network]") {
  TempDir dir;
  const auto path = dir.write("a.toml", "[app]\nname = \"a\"\n");
  Profile p = cloister::profile::load_file(path, fake_context(dir));
  CHECK(p.network.value == NetworkMode::None);
  CHECK(p.host_ports.empty());
  CHECK(p.net_interface.value.empty());
  CHECK(p.landlock.value);
  CHECK(p.landlock.origin.builtin());
}

TEST_CASE("network = user with [network] keys, merged across files", "[profile][network]") {
  TempDir dir;
  dir.write("lib/net.toml", kUser + "[network]\nhost-ports = [\"tcp/631\", \"udp/5353\"]\n");
  const auto path = dir.write("a.toml",
                              "include = [\"net\"]\n"
                              "[network]\n"
                              "host-ports = [\"tcp/631\", \"tcp/8080\"]\n"
                              "interface = \"wg0\"\n"
                              "[security]\n"
                              "landlock = false\n");
  Profile p = cloister::profile::load_file(path, fake_context(dir));
  CHECK(p.network.value == NetworkMode::User);
  // Lists append; a repeat keeps the first entry and its origin.
  CHECK(values(p.host_ports) == Strings{"tcp/631", "udp/5353", "tcp/8080"});
  CHECK(p.host_ports[0].origin.file == dir / "lib/net.toml");
  CHECK(p.net_interface.value == "wg0");
  CHECK(p.net_interface.origin.to_string() == dir / "a.toml:4:13");
  CHECK_FALSE(p.landlock.value);
  CHECK(p.landlock.origin.to_string() == dir / "a.toml:6:12");
}

TEST_CASE("the network mode may come from the user's override", "[profile][network]") {
  TempDir dir;
  dir.write("overrides/a.toml", kUser);
  const auto path = dir.write("a.toml", "[network]\nhost-ports = [\"tcp/631\"]\n");
  Profile p = cloister::profile::load_file(path, fake_context(dir));
  CHECK(p.network.value == NetworkMode::User);
  CHECK(values(p.host_ports) == Strings{"tcp/631"});
}

TEST_CASE("malformed network keys", "[profile][network]") {
  for (const auto& c : kNetworkErrors) {
    SECTION(c.name) { check_bad_profile(c); }
  }
}
