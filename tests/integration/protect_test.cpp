// Hides and narrower grants inside a writable grant, against an app that renames their parents
// to uncover them at its next launch (issue 8, finding 1); and mount points the app blocks in
// its own persistent home (finding 5).
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "harness.hpp"

using namespace cloister_it;

namespace {

// Runs the probe with a private XDG_STATE_HOME (where cloister records protected paths) and
// XDG_DATA_HOME (persistent homes), both in `dir`.
Result probe(TempDir& dir, const std::string& profile, const std::vector<std::string>& args,
             const std::string& home = "") {
  RunOptions opts;
  opts.env["XDG_STATE_HOME"] = dir.path() + "/state";
  opts.env["XDG_DATA_HOME"] = dir.path() + "/data";
  if (!home.empty()) opts.env["HOME"] = home;
  return run_probe(profile, args, opts);
}

}  // namespace

TEST_CASE("a hidden path cannot be uncovered by renaming its parents", "[hardening][protect]") {
  require_preconditions();
  TempDir dir;
  const std::string docs = dir.mkdir("Documents");
  dir.mkdir("Documents/a/private");
  dir.write("Documents/a/private/secret", "TOPSECRET\n");
  ProfileText text;
  text.read_write(docs).hide(docs + "/a/private");
  const std::string profile = dir.write("hide.toml", text.str());

  // Launch 1: the app tries to move the hidden directory's parent away and leave a decoy.
  Result r = probe(dir, profile, {"rename", docs + "/a", docs + "/b"});
  INFO(r.describe());
  REQUIRE(r.status == 0);
  CHECK(value(parse_kv(r.out), "rename") == "EBUSY");
  Result decoy = probe(dir, profile, {"mkdir", docs + "/b", docs + "/a/decoy"});
  INFO(decoy.describe());
  CHECK(value(parse_kv(decoy.out), docs + "/a/decoy") == "ok");  // the grant is still writable

  // Launch 2: the secret is still masked where it is.
  Result read =
      probe(dir, profile, {"read", docs + "/a/private/secret", docs + "/b/private/secret"});
  INFO(read.describe());
  REQUIRE(read.status == 0);
  auto kv = parse_kv(read.out);
  CHECK(value(kv, docs + "/a/private/secret") == "ENOENT");
  CHECK(value(kv, docs + "/b/private/secret") == "ENOENT");
}

TEST_CASE("a read-only sub-grant cannot be made writable by renaming its parents",
          "[hardening][protect]") {
  require_preconditions();
  TempDir dir;
  const std::string docs = dir.mkdir("Docs");
  dir.mkdir("Docs/x/y/ro");
  dir.write("Docs/x/y/ro/file", "keep me\n");
  ProfileText text;
  text.read_write(docs).read_only(docs + "/x/y/ro");
  const std::string profile = dir.write("ro.toml", text.str());
  // Renamed within their own directory: a move to another one would cross a mount (EXDEV).
  for (const std::string& parent : {docs + "/x", docs + "/x/y"}) {
    INFO(parent);
    Result r = probe(dir, profile, {"rename", parent, parent + ".moved"});
    INFO(r.describe());
    CHECK(value(parse_kv(r.out), "rename") == "EBUSY");
  }
  Result w = probe(dir, profile, {"write", docs + "/x/y/ro/file"});
  INFO(w.describe());
  CHECK(value(parse_kv(w.out), "write") == "EROFS");
  // Siblings inside the writable grant stay the app's to rename.
  dir.mkdir("Docs/x/other");
  Result sibling = probe(dir, profile, {"rename", docs + "/x/other", docs + "/x/other2"});
  INFO(sibling.describe());
  CHECK(value(parse_kv(sibling.out), "rename") == "ok");
}

TEST_CASE("a rename below nested writable grants is blocked too", "[hardening][protect]") {
  require_preconditions();
  TempDir dir;
  const std::string docs = dir.mkdir("Documents");
  dir.mkdir("Documents/a/b/c/private");
  ProfileText text;
  text.read_write(docs).read_write(docs + "/a/b").hide(docs + "/a/b/c/private");
  const std::string profile = dir.write("nested.toml", text.str());
  for (const std::string& parent : {docs + "/a", docs + "/a/b", docs + "/a/b/c"}) {
    INFO(parent);
    Result r = probe(dir, profile, {"rename", parent, parent + ".moved"});
    INFO(r.describe());
    CHECK(value(parse_kv(r.out), "rename") == "EBUSY");
  }
}

TEST_CASE("a protected path moved between launches stops the next launch", "[hardening][protect]") {
  require_preconditions();
  TempDir dir;
  const std::string docs = dir.mkdir("Documents");
  dir.mkdir("Documents/a/private");
  dir.write("Documents/a/private/secret", "TOPSECRET\n");
  ProfileText text;
  text.read_write(docs).hide(docs + "/a/private");
  const std::string profile = dir.write("moved.toml", text.str());
  Result first = probe(dir, profile, {"read", docs + "/a/private/secret"});
  INFO(first.describe());
  REQUIRE(first.status == 0);

  // Between launches something else (an older cloister, another program the app can drive)
  // moves the parent and leaves a decoy where the hidden directory was.
  REQUIRE(::rename((docs + "/a").c_str(), (docs + "/b").c_str()) == 0);
  dir.mkdir("Documents/a/private");

  Result second = probe(dir, profile, {"read", docs + "/b/private/secret"});
  INFO(second.describe());
  CHECK(second.status == 125);
  CHECK_FALSE(contains(second.out, "/b/private/secret=10"));  // never read
  CHECK(contains(second.err, docs + "/a/private"));
  CHECK(contains(second.err, "not the one"));
  CHECK(contains(second.err, "find " + docs + " -xdev -inum "));
  CHECK(contains(second.err, dir.path() + "/state/cloister/protected/"));

  // Put back, the launch works again.
  REQUIRE(::rmdir((docs + "/a/private").c_str()) == 0);
  REQUIRE(::rmdir((docs + "/a").c_str()) == 0);
  REQUIRE(::rename((docs + "/b").c_str(), (docs + "/a").c_str()) == 0);
  Result third = probe(dir, profile, {"read", docs + "/a/private/secret"});
  INFO(third.describe());
  CHECK(third.status == 0);
  CHECK(value(parse_kv(third.out), docs + "/a/private/secret") == "ENOENT");
}

TEST_CASE("a symlink or FIFO the app left in its home skips an optional grant, with a warning",
          "[hardening][protect]") {
  require_preconditions();
  TempDir dir;
  const std::string home = dir.mkdir("home");
  ProfileText text;
  text.name("planter").set("filesystem", "home", "\"persistent\"");
  text.read_only("?" + home + "/Music").read_only("?" + home + "/Videos");
  const std::string profile = dir.write("planter.toml", text.str());
  // Launch 1, before the user has these folders: the app plants a symlink and a FIFO where
  // the grants will mount.
  RunOptions opts;
  opts.env["XDG_STATE_HOME"] = dir.path() + "/state";
  opts.env["XDG_DATA_HOME"] = dir.path() + "/data";
  opts.env["HOME"] = home;
  Result plant = run_sandboxed(
      profile, {"/bin/sh", "-c", "ln -s / \"$HOME/Music\" && mkfifo \"$HOME/Videos\""}, opts);
  INFO(plant.describe());
  REQUIRE(plant.status == 0);
  const std::string kept = dir.path() + "/data/cloister/home/planter";
  struct stat st {};
  REQUIRE(::lstat((kept + "/Music").c_str(), &st) == 0);
  REQUIRE(S_ISLNK(st.st_mode));

  dir.mkdir("home/Music");
  dir.mkdir("home/Videos");
  Result r = probe(dir, profile, {"stat", home + "/Music", home + "/Videos"}, home);
  INFO(r.describe());
  CHECK(r.status == 0);  // the app starts, without those two grants
  auto kv = parse_kv(r.out);
  CHECK(value(kv, home + "/Music") == "symlink");
  CHECK(value(kv, home + "/Videos") == "fifo");
  CHECK(contains(r.err, "warning: skipped ?" + home + "/Music"));
  CHECK(contains(r.err, kept + "/Music"));  // named on the host, where the user can remove it
  CHECK(contains(r.err, "rm "));
  CHECK(contains(r.err, kept + "/Videos"));

  SECTION("a required grant still fails, with the same explanation") {
    ProfileText strict;
    strict.name("planter").set("filesystem", "home", "\"persistent\"");
    strict.read_only(home + "/Music");
    const std::string required = dir.write("planter-strict.toml", strict.str());
    Result f = probe(dir, required, {"stat", home + "/Music"}, home);
    INFO(f.describe());
    CHECK(f.status == 125);
    CHECK(contains(f.err, kept + "/Music"));
    CHECK(contains(f.err, "symlink"));
    CHECK(contains(f.err, "rm "));
  }
}

TEST_CASE("a hidden file saved anew by the user does not stop the next launch",
          "[hardening][protect]") {
  require_preconditions();
  TempDir dir;
  const std::string docs = dir.mkdir("Documents");
  dir.write("Documents/a/notes.txt", "v1\n");
  ProfileText text;
  text.read_write(docs).hide(docs + "/a/notes.txt");
  const std::string profile = dir.write("file.toml", text.str());
  Result first = probe(dir, profile, {"read", docs + "/a/notes.txt"});
  INFO(first.describe());
  REQUIRE(first.status == 0);
  CHECK(value(parse_kv(first.out), docs + "/a/notes.txt") == "0");  // masked: an empty file
  // An editor saves by writing a new file and renaming it over the old one: a new inode.
  dir.write("Documents/a/notes.txt.new", "v2, longer\n");
  REQUIRE(::rename((docs + "/a/notes.txt.new").c_str(), (docs + "/a/notes.txt").c_str()) == 0);
  Result second = probe(dir, profile, {"read", docs + "/a/notes.txt"});
  INFO(second.describe());
  CHECK(second.status == 0);
  CHECK(value(parse_kv(second.out), docs + "/a/notes.txt") == "0");
}
