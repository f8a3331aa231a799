// File arguments from a terminal (cloister run --open, --forward): each named file is bound
// alone at its own path, with the profile's access, and checked from inside with the probe:
// sandboxed, the content readable, the folder's other files absent, read-only honoured. A symlink
// or file swapped between the launcher's check and the bind (by an LD_PRELOADed shim, at the
// clone) does not redirect the grant.
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "harness.hpp"

using namespace cloister_it;

namespace {

std::string host_read(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

bool host_exists(const std::string& path) {
  struct stat st {};
  return lstat(path.c_str(), &st) == 0;
}

std::vector<std::string> with_open(const std::string& profile,
                                   const std::vector<std::string>& files,
                                   const std::vector<std::string>& extra = {},
                                   const std::string& launcher = cloister_bin()) {
  std::vector<std::string> argv = {launcher, "run"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  for (const auto& f : files) {
    argv.push_back("--open");
    argv.push_back(f);
  }
  argv.push_back(profile);
  argv.push_back("--");
  argv.push_back(probe_bin());
  argv.push_back("files");
  return argv;
}

// A private HOME, data and config directories, so persistent homes and cloister's own
// directories are the test's.
RunOptions private_home(const TempDir& dir) {
  RunOptions o;
  o.env["HOME"] = dir.path() + "/home";
  o.env["XDG_DATA_HOME"] = dir.path() + "/home/.local/share";
  o.env["XDG_CONFIG_HOME"] = dir.path() + "/home/.config";
  o.env["XDG_RUNTIME_DIR"] = std::nullopt;
  return o;
}

void expect_sandboxed(const std::map<std::string, std::string>& kv, const std::string& host) {
  CHECK(value(kv, "hostname") == host);
  CHECK(value(kv, "Seccomp") == "2");
  CHECK(value(kv, "NoNewPrivs") == "1");
}

}  // namespace

TEST_CASE("--open binds that file alone, read-only by default", "[files]") {
  require_preconditions();
  TempDir dir;
  const std::string report = dir.write("docs/report.txt", "quarterly figures\n");
  const std::string sibling = dir.write("docs/secret.txt", "not for the app\n");
  const std::string profile = dir.write("viewer.toml", ProfileText().name("viewer").str());

  Result r = run(with_open(profile, {report}));
  INFO(r.describe());
  REQUIRE(r.status == 0);
  auto kv = parse_kv(r.out);
  expect_sandboxed(kv, "viewer");
  CHECK(value(kv, "arg.0") == report);
  CHECK(value(kv, "content.0") == "quarterly figures");
  CHECK(value(kv, "siblings.0") == "report.txt");  // secret.txt is not there
  CHECK(value(kv, "write.0") == "EROFS");
  CHECK(host_read(report) == "quarterly figures\n");
  CHECK(host_read(sibling) == "not for the app\n");
}

TEST_CASE("file-arguments = read-write lets the app write the file, and only where it may",
          "[files]") {
  require_preconditions();
  TempDir dir;
  const std::string mine = dir.write("docs/notes.txt", "draft\n");
  const std::string locked = dir.write("docs/locked.txt", "frozen\n", 0444);
  const std::string profile = dir.write(
      "editor.toml",
      ProfileText().name("editor").set("filesystem", "file-arguments", "\"read-write\"").str());

  Result r = run(with_open(profile, {mine, locked}));
  INFO(r.describe());
  REQUIRE(r.status == 0);
  auto kv = parse_kv(r.out);
  CHECK(value(kv, "write.0") == "ok");
  CHECK(host_read(mine) == "draft\nwritten by cloister-probe\n");
  CHECK(value(kv, "write.1") == "EACCES");  // the kernel checks the mode before the mount
  CHECK(host_read(locked) == "frozen\n");
  CHECK(value(kv, "siblings.0") == "locked.txt,notes.txt");
  // ... and the mount is read-only too: you cannot write it, so the app may not either.
  Result dry = run(with_open(profile, {locked}, {"--dry-run"}));
  CHECK(contains(dry.out, locked + " read-only (you cannot write it), this file only"));
}

TEST_CASE("an editor saves a read-write file argument in place; nothing beside it is writable",
          "[files]") {
  require_preconditions();
  TempDir dir;
  const std::string doc = dir.write("docs/notes.txt", "old\n");
  const std::string profile = dir.write(
      "save.toml",
      ProfileText().name("save").set("filesystem", "file-arguments", "\"read-write\"").str());
  // GLib's g_file_replace, which gedit and mousepad save with: `gio save` (libglib2.0-bin).
  Result gio = run({cloister_bin(), "run", "--open", doc, profile, "--", "sh", "-c",
                    "echo saved | gio save \"$0\""});
  INFO(gio.describe());
  CHECK(gio.status == 0);
  CHECK(host_read(doc) == "saved\n");
  // Its folder is a read-only tmpfs holding only the file: GLib could not make its temporary
  // file there and wrote in place. A program that insists on a temporary file and a rename
  // cannot save (documented in docs/desktop-integration.md).
  Result sed =
      run({cloister_bin(), "run", "--open", doc, profile, "--", "sed", "-i", "s/saved/renamed/"});
  INFO(sed.describe());
  CHECK(sed.status != 0);
  CHECK(contains(sed.err, "Read-only file system"));
  CHECK(host_read(doc) == "saved\n");

  // The same in a persistent home: the folder is a placeholder there for the run only.
  const std::string in_home = dir.write("home/Desktop/todo.txt", "old\n");
  const std::string persistent =
      dir.write("persist.toml", ProfileText()
                                    .name("persist")
                                    .set("filesystem", "file-arguments", "\"read-write\"")
                                    .set("filesystem", "home", "\"persistent\"")
                                    .str());
  Result home = run({cloister_bin(), "run", "--open", in_home, persistent, "--", "sh", "-c",
                     "echo saved | gio save \"$0\""},
                    private_home(dir));
  INFO(home.describe());
  CHECK(home.status == 0);
  CHECK(host_read(in_home) == "saved\n");
  CHECK_FALSE(host_exists(dir.path() + "/home/.local/share/cloister/home/persist/Desktop"));
}

TEST_CASE("file-arguments = none passes the text but binds nothing", "[files]") {
  require_preconditions();
  TempDir dir;
  const std::string doc = dir.write("docs/a.txt", "a\n");
  const std::string profile =
      dir.write("none.toml",
                ProfileText().name("none").set("filesystem", "file-arguments", "\"none\"").str());
  Result r = run(with_open(profile, {doc}));
  INFO(r.describe());
  REQUIRE(r.status == 0);
  auto kv = parse_kv(r.out);
  CHECK(value(kv, "arg.0") == doc);
  CHECK(value(kv, "type.0") == "missing");
}

TEST_CASE("file:// URIs are bound too, and reach the app unchanged", "[files]") {
  require_preconditions();
  TempDir dir;
  const std::string doc = dir.write("my docs/a b.txt", "spaced\n");
  dir.write("my docs/other.txt", "other\n");
  const std::string profile = dir.write("uri.toml", ProfileText().name("uri").str());
  // Percent-encoded, as a desktop shell writes %u.
  std::string uri = "file://" + dir.path() + "/my%20docs/a%20b.txt";
  Result r = run(with_open(profile, {uri, "https://example.org/x.pdf"}));
  INFO(r.describe());
  REQUIRE(r.status == 0);
  auto kv = parse_kv(r.out);
  CHECK(value(kv, "arg.0") == uri);
  CHECK(value(kv, "path.0") == doc);
  CHECK(value(kv, "content.0") == "spaced");
  CHECK(value(kv, "siblings.0") == "a b.txt");
  CHECK(value(kv, "arg.1") == "https://example.org/x.pdf");
}

TEST_CASE("--forward binds the files among COMMAND's arguments and passes the rest", "[files]") {
  require_preconditions();
  TempDir dir;
  const std::string doc = dir.write("docs/a.txt", "forwarded\n");
  const std::string tail = dir.write("docs/tail.txt", "not forwarded\n");
  const std::string profile = dir.write("fwd.toml", ProfileText().name("fwd").str());
  Result r = run({cloister_bin(), "run", "--forward=2:1", profile, "--", probe_bin(), "files",
                  "--not-a-file", doc, "file://" + doc, dir.path() + "/docs/new.txt", tail});
  INFO(r.describe());
  REQUIRE(r.status == 0);
  auto kv = parse_kv(r.out);
  CHECK(value(kv, "arg.0") == "--not-a-file");
  CHECK(value(kv, "content.1") == "forwarded");
  CHECK(value(kv, "content.2") == "forwarded");
  CHECK(value(kv, "type.3") == "missing");  // a "save as" target: passed on, nothing bound
  CHECK(value(kv, "arg.4") == tail);
  CHECK(value(kv, "type.4") == "missing");  // outside the forwarded range: not bound
}

TEST_CASE("a directory argument binds that directory, not its parent", "[files]") {
  require_preconditions();
  TempDir dir;
  dir.write("music/album/one.ogg", "1\n");
  dir.write("music/elsewhere.ogg", "x\n");
  const std::string album = dir.path() + "/music/album";
  const std::string profile = dir.write("dir.toml", ProfileText().name("dir").str());
  Result r = run(with_open(profile, {album}));
  INFO(r.describe());
  REQUIRE(r.status == 0);
  auto kv = parse_kv(r.out);
  CHECK(value(kv, "type.0") == "dir");
  CHECK(value(kv, "entries.0") == "one.ogg");
  CHECK(value(kv, "siblings.0") == "album");
  CHECK(value(kv, "write.0") == "EROFS");
}

TEST_CASE("in a persistent home the mount point is made for the run and removed after it",
          "[files]") {
  require_preconditions();
  TempDir dir;
  const std::string doc = dir.write("home/Documents/sub/a.txt", "in the home\n");
  dir.write("home/Documents/sub/b.txt", "beside it\n");
  const std::string profile = dir.write(
      "ph.toml", ProfileText().name("ph").set("filesystem", "home", "\"persistent\"").str());
  RunOptions o = private_home(dir);
  Result r = run(with_open(profile, {doc}), o);
  INFO(r.describe());
  REQUIRE(r.status == 0);
  auto kv = parse_kv(r.out);
  CHECK(value(kv, "content.0") == "in the home");
  CHECK(value(kv, "siblings.0") == "a.txt");
  const std::string app_home = dir.path() + "/home/.local/share/cloister/home/ph";
  CHECK(host_exists(app_home));
  CHECK_FALSE(host_exists(app_home + "/Documents"));  // the placeholders are gone
}

TEST_CASE("arguments naming cloister's own files, hidden paths or sockets are refused", "[files]") {
  require_preconditions();
  TempDir dir;
  const std::string override_file =
      dir.write("home/.config/cloister/overrides/x.toml", "[filesystem]\nhome = \"host\"\n");
  const std::string other_home =
      dir.write("home/.local/share/cloister/home/other/.bash_history", "private\n");
  const std::string key = dir.write("home/.ssh/id_ed25519", "KEY\n");
  const std::string profile =
      dir.write("ref.toml", ProfileText().name("ref").hide(dir.path() + "/home/.ssh").str());
  RunOptions o = private_home(dir);
  for (const std::string& bad :
       {override_file, other_home, key, dir.path() + "/home", std::string("/dev/null")}) {
    INFO("argument " << bad);
    Result r = run(with_open(profile, {bad}), o);
    INFO(r.describe());
    CHECK(r.status == 125);
    CHECK(contains(r.err, "refusing to give the app this argument"));
    CHECK_FALSE(contains(r.out, "hostname="));  // nothing ran
  }
}

TEST_CASE("--dry-run and -v list every file argument and its access", "[files]") {
  require_preconditions();
  TempDir dir;
  const std::string doc = dir.write("docs/a.txt", "a\n");
  const std::string profile = dir.write("list.toml", ProfileText().name("list").str());
  Result dry = run(with_open(profile, {doc, "https://x.org"}, {"--dry-run"}));
  INFO(dry.describe());
  REQUIRE(dry.status == 0);
  CHECK(contains(dry.out, "argument 2 \"" + doc + "\": " + doc + " read-only, this file only"));
  CHECK(contains(dry.out, "argument 3 \"https://x.org\": not a local file"));
  CHECK(contains(dry.out, "bind     " + doc + " <- " + doc + " (ro,"));
  Result v = run(with_open(profile, {doc}, {"-v"}));
  INFO(v.describe());
  REQUIRE(v.status == 0);
  CHECK(contains(v.err, "file argument 2 \"" + doc + "\": " + doc + " read-only"));
}

TEST_CASE("a symlink or file swapped between the check and the bind does not redirect it",
          "[files][race]") {
  require_preconditions();
  TempDir dir;
  const std::string allowed = dir.write("docs/allowed.txt", "the file the user chose\n");
  const std::string secret = dir.write("private/secret.txt", "SECRET\n");
  const std::string profile = dir.write("race.toml", ProfileText().name("race").str());
  RunOptions o;
  // The shipped launcher is a static PIE and takes no preload: the same code, linked dynamically.
  const std::string launcher = CLOISTER_PRELOADABLE_BIN;
  o.env["LD_PRELOAD"] = CLOISTER_ON_CLONE_SHIM;

  SECTION("the symlink the user gave is retargeted: the grant stays what it named") {
    const std::string link = dir.path() + "/docs/open-me.txt";
    REQUIRE(symlink(allowed.c_str(), link.c_str()) == 0);
    REQUIRE(symlink(secret.c_str(), (dir.path() + "/docs/evil").c_str()) == 0);
    o.env["CLOISTER_TEST_ON_CLONE"] = "mv -fT '" + dir.path() + "/docs/evil' '" + link + "'";
    Result r = run(with_open(profile, {link}, {}, launcher), o);
    INFO(r.describe());
    REQUIRE(r.status == 0);
    auto kv = parse_kv(r.out);
    CHECK(value(kv, "content.0") == "the file the user chose");
    CHECK_FALSE(contains(r.out, "SECRET"));
    CHECK(host_read(link) == "SECRET\n");  // the swap did happen
  }
  SECTION("the file itself is replaced: the launch fails, nothing is bound") {
    o.env["CLOISTER_TEST_ON_CLONE"] = "mv -fT '" + secret + "' '" + allowed + "'";
    Result r = run(with_open(profile, {allowed}, {}, launcher), o);
    INFO(r.describe());
    CHECK(r.status == 125);
    CHECK(contains(r.err, "no longer the file cloister opened"));
    CHECK_FALSE(contains(r.out, "SECRET"));
    CHECK(host_read(allowed) == "SECRET\n");
  }
  SECTION("a folder on its path becomes a symlink: the launch fails, nothing is bound") {
    const std::string docs = dir.path() + "/docs";
    o.env["CLOISTER_TEST_ON_CLONE"] = "mv '" + docs + "' '" + docs + ".old' && mkdir -p '" +
                                      dir.path() + "/private' && cp '" + secret + "' '" +
                                      dir.path() + "/private/allowed.txt' && ln -s '" + dir.path() +
                                      "/private' '" + docs + "'";
    Result r = run(with_open(profile, {allowed}, {}, launcher), o);
    INFO(r.describe());
    CHECK(r.status == 125);
    CHECK(contains(r.err, "symlink"));
    CHECK_FALSE(contains(r.out, "SECRET"));
  }
}

TEST_CASE("a directory argument holding a live socket or a FIFO is refused", "[files][sockets]") {
  // A socket connects through a read-only bind as well: a folder holding tmux's socket (or the
  // session's, or an agent's) would hand the app a line to a program outside the sandbox.
  require_preconditions();
  TempDir dir;
  const std::string folder = dir.mkdir("tmux-1000");
  const std::string sock_path = folder + "/default";
  int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(listener >= 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  REQUIRE(sock_path.size() < sizeof addr.sun_path);
  sock_path.copy(addr.sun_path, sock_path.size());
  REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(listener, 4) == 0);
  const std::string profile = dir.write("sock.toml", ProfileText().name("sock").str());
  auto connect_inside = [&](const std::string& open) {
    return run({cloister_bin(), "run", "--open", open, profile, "--", "sh", "-c",
                probe_bin() + " unix-connect \"$0\"/default"});
  };

  Result r = connect_inside(folder);
  INFO(r.describe());
  CHECK(r.status == 125);
  CHECK(contains(r.err, "holds " + sock_path + ", a socket or FIFO"));
  CHECK_FALSE(contains(r.out, "connect=ok"));  // the app never ran
  // Deeper down, and a FIFO, are found too; the same folder without them is bound.
  const std::string outer = dir.mkdir("outer/inner");
  REQUIRE(::mkfifo((outer + "/control").c_str(), 0600) == 0);
  Result fifo = run(with_open(profile, {dir.path() + "/outer"}));
  INFO(fifo.describe());
  CHECK(fifo.status == 125);
  CHECK(contains(fifo.err, outer + "/control, a socket or FIFO"));
  ::close(listener);
  ::unlink(sock_path.c_str());
  ::unlink((outer + "/control").c_str());
  Result clean = run(with_open(profile, {folder}));
  INFO(clean.describe());
  CHECK(clean.status == 0);
  CHECK(value(parse_kv(clean.out), "type.0") == "dir");
  // The places where running programs keep their sockets are refused whole.
  Result run_dir = run(with_open(profile, {"/run"}));
  INFO(run_dir.describe());
  CHECK(run_dir.status == 125);
  CHECK(contains(run_dir.err, "holds /run"));
}
