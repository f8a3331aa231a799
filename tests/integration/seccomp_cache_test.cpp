// The seccomp cache seen from outside and inside: a launch compiles the filter once and later
// launches load it, and a cached file that is damaged, loosened, planted for another rule set
// or writable by others is not loaded; the sandbox's filter is then the right one all the same
// (the probe asks the kernel). No sandbox can see or write the cache.
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "harness.hpp"

using namespace cloister_it;
namespace fs = std::filesystem;

namespace {

// The file `-v` says the launch used ("... cached in PATH" / "... from the cache, PATH").
std::string cache_file_of(const Result& r) {
  for (const char* marker : {"cached in ", "from the cache, "}) {
    const auto at = r.err.find(marker);
    if (at == std::string::npos) continue;
    const auto start = at + std::string(marker).size();
    const auto end = r.err.find_first_of(" \n", start);
    return r.err.substr(start, end - start);
  }
  return "";
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct Launch {
  Result result;
  std::map<std::string, std::string> calls;
};

Launch launch(TempDir& dir, const std::string& name, const ProfileText& profile,
              const std::string& cache_home) {
  RunOptions options;
  options.env["XDG_CACHE_HOME"] = cache_home;
  const std::string path = dir.write(name + ".toml", profile.str());
  Launch l;
  l.result = run({cloister_bin(), "run", "-v", path, "--", probe_bin(), "syscalls"}, options);
  l.calls = parse_kv(l.result.out);
  return l;
}

// The default filter's answers, as security_test.cpp expects them.
void check_default_filter(const std::map<std::string, std::string>& calls) {
  for (const char* call : {"ptrace", "keyctl", "perf_event_open", "unshare", "bpf"}) {
    INFO(call << " = " << value(calls, call));
    CHECK(value(calls, call) != "ok");
    CHECK(calls.count(call) == 1);
  }
  CHECK(value(calls, "getpid") == "ok");
}

}  // namespace

TEST_CASE("seccomp cache: compiled at the first launch, loaded at the next", "[seccomp-cache]") {
  require_preconditions();
  TempDir dir;
  const std::string cache = dir.mkdir("cache");
  Launch first = launch(dir, "plain", ProfileText(), cache);
  INFO(first.result.describe());
  REQUIRE(first.result.status == 0);
  CHECK(contains(first.result.err, "compiled and cached in " + cache + "/cloister/seccomp/"));
  const std::string file = cache_file_of(first.result);
  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0600);
  check_default_filter(first.calls);

  Launch second = launch(dir, "plain", ProfileText(), cache);
  INFO(second.result.describe());
  REQUIRE(second.result.status == 0);
  CHECK(contains(second.result.err, "loaded from the cache, " + file));
  CHECK(second.calls == first.calls);  // call for call, the same filter

  // Another rule set: a file of its own, and its own answers.
  ProfileText edited;
  edited.set("security", "seccomp-allow", "[\"keyctl\"]");
  Launch other = launch(dir, "edited", edited, cache);
  INFO(other.result.describe());
  REQUIRE(other.result.status == 0);
  CHECK(contains(other.result.err, "compiled and cached in "));
  CHECK(cache_file_of(other.result) != file);
  CHECK(value(other.calls, "keyctl") == "ok");
}

TEST_CASE("seccomp cache: files that must not be believed are not loaded", "[seccomp-cache]") {
  require_preconditions();
  TempDir dir;
  const std::string cache = dir.mkdir("cache");
  // A weaker filter (ptrace and keyctl allowed) compiled and cached for another profile.
  ProfileText loose;
  loose.set("security", "seccomp-allow", "[\"ptrace\", \"keyctl\"]");
  Launch weaker = launch(dir, "loose", loose, cache);
  INFO(weaker.result.describe());
  REQUIRE(weaker.result.status == 0);
  REQUIRE(value(weaker.calls, "keyctl") == "ok");
  const std::string loose_file = cache_file_of(weaker.result);
  Launch plain = launch(dir, "plain", ProfileText(), cache);
  REQUIRE(plain.result.status == 0);
  const std::string file = cache_file_of(plain.result);
  REQUIRE(!file.empty());
  const std::string good = read_bytes(file);

  struct Case {
    const char* what;
    std::function<void()> spoil;
    std::string why;
  };
  const Case cases[] = {
      {"another rule set's file put in its place",
       [&] { fs::copy_file(loose_file, file, fs::copy_options::overwrite_existing); },
       "written for another rule set, ABI or launcher build"},
      {"an instruction changed",
       [&] {
         std::string bytes = good;
         bytes[bytes.size() - 20] ^= 0x04;
         std::ofstream(file, std::ios::binary | std::ios::trunc) << bytes;
       },
       "does not match its checksum"},
      {"cut short",
       [&] { std::ofstream(file, std::ios::binary | std::ios::trunc) << good.substr(0, 100); },
       "is damaged"},
      {"writable by other users", [&] { ::chmod(file.c_str(), 0666); },
       "is writable by other users (mode 0666)"},
      {"a symlink to a good file",
       [&] {
         const std::string elsewhere = dir.path() + "/elsewhere.bpf";
         fs::copy_file(file, elsewhere, fs::copy_options::overwrite_existing);
         fs::remove(file);
         fs::create_symlink(elsewhere, file);
       },
       "opening " + file},
  };
  for (const auto& c : cases) {
    DYNAMIC_SECTION(c.what) {
      c.spoil();
      Launch l = launch(dir, "plain", ProfileText(), cache);
      INFO(l.result.describe());
      REQUIRE(l.result.status == 0);
      CHECK(contains(l.result.err, "compiled and cached in " + file));
      CHECK(contains(l.result.err, c.why));
      CHECK(l.calls == plain.calls);  // the profile's own filter, not the planted one
      check_default_filter(l.calls);
      // ... and the cache holds a good file again, owner-only.
      struct stat st {};
      REQUIRE(::lstat(file.c_str(), &st) == 0);
      CHECK(S_ISREG(st.st_mode));
      CHECK((st.st_mode & 07777) == 0600);
      CHECK(read_bytes(file) == good);
      Launch again = launch(dir, "plain", ProfileText(), cache);
      CHECK(contains(again.result.err, "loaded from the cache"));
    }
  }
}

TEST_CASE("seccomp cache: no sandbox sees it, even through a grant that holds it",
          "[seccomp-cache]") {
  require_preconditions();
  TempDir dir;
  const std::string cache = dir.mkdir("cache");
  Launch plain = launch(dir, "plain", ProfileText(), cache);
  REQUIRE(plain.result.status == 0);
  const std::string file = cache_file_of(plain.result);
  REQUIRE(::access(file.c_str(), R_OK) == 0);  // there, on the host

  RunOptions options;
  options.env["XDG_CACHE_HOME"] = cache;
  ProfileText nosy;
  nosy.read_write(cache);
  const std::string profile = dir.write("nosy.toml", nosy.str());
  Result seen = run({cloister_bin(), "run", profile, "--", probe_bin(), "stat", cache,
                     cache + "/cloister/seccomp", file},
                    options);
  INFO(seen.describe());
  REQUIRE(seen.status == 0);
  auto kv = parse_kv(seen.out);
  CHECK(value(kv, cache) == "dir");
  CHECK(value(kv, cache + "/cloister/seccomp") == "missing");
  CHECK(value(kv, file) == "missing");
  Result ls =
      run({cloister_bin(), "run", profile, "--", probe_bin(), "ls", cache + "/cloister"}, options);
  INFO(ls.describe());
  CHECK(value(parse_kv(ls.out), "count") == "0");
  Result write = run(
      {cloister_bin(), "run", profile, "--", probe_bin(), "write", cache + "/cloister/planted.bpf"},
      options);
  INFO(write.describe());
  CHECK(value(parse_kv(write.out), "write") != "ok");
  CHECK(!fs::exists(cache + "/cloister/planted.bpf"));

  // A grant inside it is refused outright.
  ProfileText inside;
  inside.read_only(cache + "/cloister/seccomp");
  Result refused = run_probe_with(dir, "inside", inside, {"ids"}, options);
  INFO(refused.describe());
  CHECK(refused.status == 125);
  CHECK(contains(refused.err, "where cloister keeps its compiled seccomp filters"));
  // The grant pinned the cache home; its identity is on record for the next launch.
  ::unlink((std::string(getenv("HOME")) + "/.local/state/cloister/protected/nosy").c_str());
}

namespace {

// `good` (a cache file as the launcher wrote it) with its program replaced by one that allows
// every call, its checksum made to match: what an app that knows the format would plant.
std::string allow_all(const std::string& good) {
  std::uint32_t key_size = 0;
  std::memcpy(&key_size, good.data() + 8, 4);
  std::string body = good.substr(24, key_size);
  const sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  body.append(reinterpret_cast<const char*>(&allow), sizeof allow);
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : body) h = (h ^ c) * 0x100000001b3ULL;
  std::string out = good.substr(0, 8);
  out.append(reinterpret_cast<const char*>(&key_size), 4);
  const std::uint32_t count = 1;
  out.append(reinterpret_cast<const char*>(&count), 4);
  out.append(reinterpret_cast<const char*>(&h), 8);
  return out + body;
}

}  // namespace

TEST_CASE("seccomp cache: a writable grant cannot replace a symlink on the way to it",
          "[seccomp-cache]") {
  require_preconditions();
  // XDG_CACHE_HOME is a symlink in a folder an app may write (the cache itself lives
  // elsewhere): the app could replace the link by a directory of its own, and every later
  // launch would read the cache from there.
  TempDir dir;
  const std::string real = dir.mkdir("real-cache");
  const std::string granted = dir.mkdir("granted");
  const std::string cache = granted + "/cache";
  REQUIRE(::symlink(real.c_str(), cache.c_str()) == 0);
  Launch plain = launch(dir, "plain", ProfileText(), cache);
  INFO(plain.result.describe());
  REQUIRE(plain.result.status == 0);
  const std::string file = cache_file_of(plain.result);
  REQUIRE(!file.empty());
  const std::string name = file.substr(file.rfind('/') + 1);
  // What the app prepares in the folder it may write, and then swaps for the link.
  dir.mkdir("granted/mine/cloister/seccomp");
  dir.write("granted/mine/cloister/seccomp/" + name,
            allow_all(read_bytes(real + "/cloister/seccomp/" + name)), 0600);

  RunOptions options;
  options.env["XDG_CACHE_HOME"] = cache;
  ProfileText writer;
  writer.read_write(granted);
  const std::string swap = dir.write("writer.toml", writer.str());
  Result r = run({cloister_bin(), "run", swap, "--", "/bin/sh", "-c",
                  "mv " + cache + " " + granted + "/old && mv " + granted + "/mine " + cache},
                 options);
  INFO(r.describe());
  CHECK(r.status == 125);
  CHECK(contains(r.err, "a symbolic link on the way to " + cache + "/cloister"));
  struct stat st {};
  REQUIRE(::lstat(cache.c_str(), &st) == 0);
  CHECK(S_ISLNK(st.st_mode));

  Launch later = launch(dir, "plain", ProfileText(), cache);
  INFO(later.result.describe());
  REQUIRE(later.result.status == 0);
  CHECK(contains(later.result.err, "loaded from the cache, " + file));
  check_default_filter(later.calls);
}
