// The compiled-program cache (seccomp/cache.hpp): what it gives back is exactly what was
// compiled, and every file it should not believe (stale, damaged, another user's, another
// ABI's or rule set's, a link, writable by others) is refused with a reason.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "profile_fixtures.hpp"
#include "seccomp/cache.hpp"
#include "seccomp/rules.hpp"

using namespace cloister::seccomp;
using cloister::testing::TempDir;
namespace fs = std::filesystem;

namespace {

const std::string kAbi = "test-abi x86_64; libseccomp 2.5.4; build 0123";

bool same(const std::vector<sock_filter>& a, const std::vector<sock_filter>& b) {
  return a.size() == b.size() &&
         std::memcmp(a.data(), b.data(), a.size() * sizeof(sock_filter)) == 0;
}

std::string file_of(const TempDir& home, const std::string& key) {
  return home / ("cloister/seccomp/" + cache_file_name(key));
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

RuleSet without_ptrace() {
  RuleSet rules = default_rules(false);
  apply_edits(rules, {"ptrace"}, {});
  return rules;
}

}  // namespace

TEST_CASE("seccomp cache: what is stored is loaded back, byte for byte") {
  TempDir home;
  const RuleSet rules = default_rules(false);
  const auto program = compile_bpf(rules);
  const std::string key = cache_key(rules, kAbi);
  CHECK(load_cached(home.path(), key, ::geteuid()).program == std::nullopt);
  CHECK(load_cached(home.path(), key, ::geteuid()).why.empty());  // nothing cached: no complaint

  store_cached(home.path(), key, program, ::geteuid());
  struct stat st {};
  REQUIRE(::stat(file_of(home, key).c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0600);
  REQUIRE(::stat((home / "cloister/seccomp").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0700);

  const CacheLookup got = load_cached(home.path(), key, ::geteuid());
  INFO(got.why);
  REQUIRE(got.program);
  CHECK(same(*got.program, program));
  // No temporary file is left beside it.
  CHECK(std::distance(fs::directory_iterator(home / "cloister/seccomp"),
                      fs::directory_iterator()) == 1);
}

TEST_CASE("seccomp cache: the key covers the rules, their order of arches, and the ABI") {
  const RuleSet rules = default_rules(false);
  CHECK(cache_key(rules, kAbi) == cache_key(default_rules(false), kAbi));
  // Each of these is another program, so another key.
  CHECK(cache_key(rules, kAbi) != cache_key(without_ptrace(), kAbi));
  CHECK(cache_key(rules, kAbi) != cache_key(default_rules(true), kAbi));
  CHECK(cache_key(rules, kAbi) != cache_key(rules, kAbi + "5"));
  RuleSet other_errno = rules;
  other_errno.rules[0].errno_value += 1;
  CHECK(cache_key(rules, kAbi) != cache_key(other_errno, kAbi));
  RuleSet other_arg = rules;
  for (auto& r : other_arg.rules)
    if (!r.conds.empty()) {
      r.conds[0].value ^= 1;
      break;
    }
  CHECK(cache_key(rules, kAbi) != cache_key(other_arg, kAbi));
  RuleSet fewer_arches = rules;
  fewer_arches.extra_arches.clear();
  if (!rules.extra_arches.empty()) CHECK(cache_key(rules, kAbi) != cache_key(fewer_arches, kAbi));
  // Why a rule is there changes nothing in the program.
  RuleSet reworded = rules;
  reworded.rules[0].why = "another reason";
  CHECK(cache_key(rules, kAbi) == cache_key(reworded, kAbi));
}

TEST_CASE("seccomp cache: a stale file (other rules) is never found under the new key") {
  TempDir home;
  const RuleSet old_rules = without_ptrace();
  store_cached(home.path(), cache_key(old_rules, kAbi), compile_bpf(old_rules), ::geteuid());
  const RuleSet rules = default_rules(false);
  const CacheLookup got = load_cached(home.path(), cache_key(rules, kAbi), ::geteuid());
  CHECK_FALSE(got.program);
  CHECK(got.why.empty());  // simply not cached yet
}

TEST_CASE("seccomp cache: a file of another rule set or ABI put under this key is refused") {
  TempDir home;
  const RuleSet rules = default_rules(false);
  const std::string key = cache_key(rules, kAbi);
  const std::string planted_for[][2] = {
      {"another rule set (ptrace allowed)", cache_key(without_ptrace(), kAbi)},
      {"another ABI", cache_key(rules, "test-abi i386; libseccomp 2.5.4; build 0123")},
      {"another launcher build", cache_key(rules, "test-abi x86_64; libseccomp 2.5.4; build 4567")},
  };
  for (const auto& [what, other_key] : planted_for) {
    SECTION(what) {
      store_cached(home.path(), other_key, compile_bpf(without_ptrace()), ::geteuid());
      fs::rename(file_of(home, other_key), file_of(home, key));
      const CacheLookup got = load_cached(home.path(), key, ::geteuid());
      CHECK_FALSE(got.program);
      CHECK(contains(got.why, "written for another rule set, ABI or launcher build"));
    }
  }
}

TEST_CASE("seccomp cache: a damaged file is refused") {
  TempDir home;
  const RuleSet rules = default_rules(false);
  const std::string key = cache_key(rules, kAbi);
  const auto program = compile_bpf(rules);
  store_cached(home.path(), key, program, ::geteuid());
  const std::string path = file_of(home, key);
  const std::string good = read_bytes(path);
  const std::size_t header = good.size() - program.size() * sizeof(sock_filter);

  struct Damage {
    const char* what;
    std::string bytes;
    const char* why;
  };
  std::string flipped = good;
  flipped[header + 8 * 5 + 4] ^= 0x01;  // an instruction's k: now allows or denies another call
  std::string count = good;
  count[12] ^= 0x01;  // the instruction count
  std::string magic = good;
  magic[0] = 'X';
  const Damage damages[] = {
      {"an instruction changed", flipped, "does not match its checksum"},
      {"truncated mid-instruction", good.substr(0, good.size() - 3), "is damaged"},
      {"one instruction short", good.substr(0, good.size() - 8), "does not match its header"},
      {"its header only", good.substr(0, header), "does not match its header"},
      {"empty", "", "is damaged: 0 bytes"},
      {"the count changed", count, "does not match its header"},
      {"another format", magic, "not a cache file of this format"},
      {"garbage", std::string(good.size(), '\x5a'), "not a cache file of this format"},
  };
  for (const auto& d : damages) {
    SECTION(d.what) {
      write_bytes(path, d.bytes);
      const CacheLookup got = load_cached(home.path(), key, ::geteuid());
      CHECK_FALSE(got.program);
      CHECK(contains(got.why, d.why));
      INFO(got.why);
    }
  }
}

TEST_CASE("seccomp cache: another user's file or directory is not believed") {
  TempDir home;
  const RuleSet rules = default_rules(false);
  const std::string key = cache_key(rules, kAbi);
  store_cached(home.path(), key, compile_bpf(rules), ::geteuid());
  // The launcher checks against its own uid; the file is this test's, so for a launcher of any
  // other uid it is another user's.
  const uid_t other = ::geteuid() + 1;
  const CacheLookup got = load_cached(home.path(), key, other);
  CHECK_FALSE(got.program);
  CHECK(contains(got.why, "belongs to uid " + std::to_string(::geteuid())));
  CHECK(contains(got.why, "not to uid " + std::to_string(other)));
  // Nor does it write into another user's directory.
  CHECK_THROWS_WITH(store_cached(home.path(), key, compile_bpf(rules), other),
                    Catch::Contains("belongs to uid"));
}

TEST_CASE("seccomp cache: files and directories others can write are not believed") {
  TempDir home;
  const RuleSet rules = default_rules(false);
  const std::string key = cache_key(rules, kAbi);
  store_cached(home.path(), key, compile_bpf(rules), ::geteuid());
  SECTION("the file") {
    REQUIRE(::chmod(file_of(home, key).c_str(), 0622) == 0);
    CHECK(contains(load_cached(home.path(), key, ::geteuid()).why,
                   "is writable by other users (mode 0622)"));
  }
  SECTION("its directory") {
    REQUIRE(::chmod((home / "cloister/seccomp").c_str(), 0777) == 0);
    CHECK(contains(load_cached(home.path(), key, ::geteuid()).why,
                   "cloister/seccomp is writable by other users (mode 0777)"));
  }
  SECTION("the cloister directory") {
    REQUIRE(::chmod((home / "cloister").c_str(), 0770) == 0);
    CHECK(contains(load_cached(home.path(), key, ::geteuid()).why,
                   "cloister is writable by other users (mode 0770)"));
  }
}

TEST_CASE("seccomp cache: links are not followed below the cache home") {
  TempDir home;
  TempDir elsewhere;
  const RuleSet rules = default_rules(false);
  const std::string key = cache_key(rules, kAbi);
  store_cached(elsewhere.path(), key, compile_bpf(rules), ::geteuid());
  SECTION("the file is a link") {
    fs::create_directories(home / "cloister/seccomp");
    REQUIRE(::chmod((home / "cloister/seccomp").c_str(), 0700) == 0);
    REQUIRE(::chmod((home / "cloister").c_str(), 0700) == 0);
    fs::create_symlink(file_of(elsewhere, key), file_of(home, key));
    const CacheLookup got = load_cached(home.path(), key, ::geteuid());
    CHECK_FALSE(got.program);
    CHECK(contains(got.why, "opening"));
  }
  SECTION("a directory is a link") {
    fs::create_symlink(elsewhere / "cloister", home / "cloister");
    const CacheLookup got = load_cached(home.path(), key, ::geteuid());
    CHECK_FALSE(got.program);
    CHECK(contains(got.why, "a symlink or not a directory"));
    CHECK_THROWS(store_cached(home.path(), key, compile_bpf(rules), ::geteuid()));
  }
}

TEST_CASE("seccomp cache: well-formed programs only") {
  const auto ret = sock_filter{BPF_RET | BPF_K, 0, 0, 0x7fff0000};
  const auto ld = sock_filter{BPF_LD | BPF_W | BPF_ABS, 0, 0, 0};
  auto jeq = [](std::uint8_t jt, std::uint8_t jf) {
    return sock_filter{BPF_JMP | BPF_JEQ | BPF_K, jt, jf, 1};
  };
  auto ja = [](std::uint32_t k) { return sock_filter{BPF_JMP | BPF_JA, 0, 0, k}; };
  CHECK(well_formed({ret}));
  CHECK(well_formed({ld, jeq(0, 1), ret, ret}));
  CHECK(well_formed({ja(1), ret, ret}));
  CHECK(well_formed(compile_bpf(default_rules(false))));
  CHECK_FALSE(well_formed({}));
  CHECK_FALSE(well_formed({ld}));                  // runs off its end
  CHECK_FALSE(well_formed({ld, jeq(0, 2), ret}));  // a jump past the end
  CHECK_FALSE(well_formed({ld, jeq(5, 0), ret}));
  CHECK_FALSE(well_formed({ja(1), ret}));
  CHECK_FALSE(well_formed({ja(0xffffffff), ret}));
  CHECK_FALSE(well_formed(std::vector<sock_filter>(BPF_MAXINSNS + 1, ret)));
  CHECK_THROWS_WITH(store_cached("/tmp", std::string(64, 'a'), {ld}, ::geteuid()),
                    Catch::Contains("malformed"));
}

TEST_CASE("seccomp cache: it keeps the newest files only") {
  TempDir home;
  const RuleSet rules = default_rules(false);
  const auto program = compile_bpf(rules);
  for (std::size_t i = 0; i < kMaxCached + 3; ++i)
    store_cached(home.path(), cache_key(rules, kAbi + std::to_string(i)), program, ::geteuid());
  CHECK(static_cast<std::size_t>(std::distance(fs::directory_iterator(home / "cloister/seccomp"),
                                               fs::directory_iterator())) == kMaxCached);
  // The last one written is there.
  CHECK(
      load_cached(home.path(), cache_key(rules, kAbi + std::to_string(kMaxCached + 2)), ::geteuid())
          .program);
}

TEST_CASE("seccomp cache: compile_bpf_cached compiles once, then loads, and repairs") {
  REQUIRE_FALSE(host_abi().empty());  // the test binary, like the launcher, has a build id
  TempDir home;
  const RuleSet rules = default_rules(false);
  const auto compiled = compile_bpf(rules);
  std::string how;
  CHECK(same(compile_bpf_cached(rules, home.path(), how), compiled));
  CHECK(contains(how, "compiled and cached in " + home.path() + "/cloister/seccomp/"));
  CHECK(same(compile_bpf_cached(rules, home.path(), how), compiled));
  CHECK(contains(how, "loaded from the cache"));

  // Damaged: compiled again, and the file replaced by a good one.
  const std::string path = file_of(home, cache_key(rules, host_abi()));
  std::string bytes = read_bytes(path);
  bytes[bytes.size() - 1] ^= 0x10;
  write_bytes(path, bytes);
  CHECK(same(compile_bpf_cached(rules, home.path(), how), compiled));
  CHECK(contains(how, "compiled and cached"));
  CHECK(contains(how, "not used: "));
  CHECK(contains(how, "does not match its checksum"));
  CHECK(same(compile_bpf_cached(rules, home.path(), how), compiled));
  CHECK(contains(how, "loaded from the cache"));

  // Another rule set has a file of its own.
  CHECK(
      same(compile_bpf_cached(without_ptrace(), home.path(), how), compile_bpf(without_ptrace())));
  CHECK(contains(how, "compiled and cached"));

  // No cache home: compiled every time.
  CHECK(same(compile_bpf_cached(rules, "", how), compiled));
  CHECK(how == "compiled (no cache directory)");
  // A cache home that cannot be made: compiled, and said so.
  CHECK(same(compile_bpf_cached(rules, "/proc/cloister-test", how), compiled));
  CHECK(contains(how, "compiled, not cached: "));
}
