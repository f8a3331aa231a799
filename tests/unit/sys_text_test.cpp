// The shared small helpers (sys/path_text.hpp, sys/read_file.hpp). Each replaced several
// copies; the cases marked "differed" are where the copies disagreed.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <string>
#include <vector>

#include "profile_fixtures.hpp"
#include "sys/path_text.hpp"
#include "sys/read_file.hpp"

using cloister::sys::is_under;
using cloister::sys::octal;
using cloister::sys::read_regular_file;
using cloister::sys::read_to_end;
using cloister::sys::split_path;
using Names = std::vector<std::string>;

TEST_CASE("is_under compares whole names", "[sys]") {
  CHECK(is_under("/a/b", "/a/b"));
  CHECK(is_under("/a/b/c", "/a/b"));
  CHECK_FALSE(is_under("/a/bc", "/a/b"));
  CHECK_FALSE(is_under("/a", "/a/b"));
  CHECK_FALSE(is_under("/b/a", "/a"));
  CHECK(is_under("/", "/"));
  // Differed: risks.cpp's copy said "/a" is not under "/" (a grant of "/" reached no socket).
  CHECK(is_under("/a", "/"));
  CHECK(is_under("/run/cups/cups.sock", "/"));
  // Differed: mount_builder's copy put every string, relative or empty, under "/".
  CHECK_FALSE(is_under("a/b", "/"));
  CHECK_FALSE(is_under("", "/"));
  CHECK(is_under("home/u/x", "home/u"));  // a relative HOME still compares by names
}

TEST_CASE("split_path drops empty names", "[sys]") {
  CHECK(split_path("/a//b/") == Names{"a", "b"});
  CHECK(split_path("a/b") == Names{"a", "b"});
  CHECK(split_path("/").empty());
  CHECK(split_path("").empty());
  CHECK(split_path("/./..") == Names{".", ".."});  // kept: callers decide about them
}

TEST_CASE("octal writes four digits", "[sys]") {
  CHECK(octal(0755) == "0755");
  CHECK(octal(0) == "0000");
  CHECK(octal(01777) == "1777");
  CHECK(octal(0600) == "0600");
}

TEST_CASE("read_to_end and read_regular_file", "[sys]") {
  cloister::testing::TempDir dir;
  const std::string f = dir.write("f", "hello");
  CHECK(read_regular_file(f, 5) == std::optional<std::string>("hello"));
  CHECK_FALSE(read_regular_file(f, 4));  // larger than allowed: nothing, not a cut-off copy
  CHECK_FALSE(read_regular_file(dir / "missing", 100));
  CHECK_FALSE(read_regular_file(dir.path(), 100));  // a directory
  REQUIRE(::mkfifo((dir / "fifo").c_str(), 0600) == 0);
  CHECK_FALSE(read_regular_file(dir / "fifo", 100));  // refused at once, not waited on

  int p[2];
  REQUIRE(::pipe(p) == 0);
  REQUIRE(::write(p[1], "abcdef", 6) == 6);
  ::close(p[1]);
  std::string out = "x";
  CHECK(read_to_end(p[0], 5, out) == EFBIG);  // the cap counts what this call read
  CHECK(out.substr(0, 1) == "x");
  ::close(p[0]);

  REQUIRE(::pipe(p) == 0);
  REQUIRE(::write(p[1], "abc", 3) == 3);
  ::close(p[1]);
  out = "x";
  CHECK(read_to_end(p[0], 3, out) == 0);
  CHECK(out == "xabc");
  ::close(p[0]);
  CHECK(read_to_end(-1, 3, out) == EBADF);
}
