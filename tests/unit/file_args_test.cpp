// File arguments: which arguments name local files (a table of good and bad text), and what the
// planner makes of each against a fake host: one bind per file at its own path, the access the
// profile allows, refusals for cloister's own directories, hidden paths and odd file types, and
// placeholders inside a persistent home.
#include "host/file_args.hpp"

#include <algorithm>
#include <catch2/catch.hpp>

#include "plan/plan.hpp"
#include "plan/risk.hpp"
#include "plan_fixtures.hpp"

using namespace cloister;
using host::ArgForm;
using host::FileType;
using plan::MountKind;

namespace {

struct ClassifyCase {
  const char* arg;
  bool explicit_file;
  ArgForm form;
  const char* path;  // expected path ("" = none)
  const char* text;  // what the app receives
  bool refused;
};

const ClassifyCase kClassify[] = {
    {"/home/user/a.pdf", false, ArgForm::Path, "/home/user/a.pdf", "/home/user/a.pdf", false},
    {"/home/user//a.pdf", false, ArgForm::Path, "/home/user/a.pdf", "/home/user//a.pdf", false},
    {"/home/user/dir/", false, ArgForm::Path, "/home/user/dir", "/home/user/dir/", false},
    {"/home/user/../etc/passwd", false, ArgForm::NotAFile, "", "", true},
    {"/home/user/./a", false, ArgForm::NotAFile, "", "", true},
    {"file:///home/user/a%20b.pdf", false, ArgForm::FileUri, "/home/user/a b.pdf",
     "file:///home/user/a%20b.pdf", false},
    {"FILE:///x", false, ArgForm::FileUri, "/x", "FILE:///x", false},
    {"file://localhost/home/user/a", false, ArgForm::FileUri, "/home/user/a",
     "file://localhost/home/user/a", false},
    {"file:/home/user/a", false, ArgForm::FileUri, "/home/user/a", "file:/home/user/a", false},
    {"file://otherhost/home/user/a", false, ArgForm::OtherUri, "", "file://otherhost/home/user/a",
     false},
    {"file:///home/user/a?x=1", false, ArgForm::FileUri, "/home/user/a", "file:///home/user/a?x=1",
     false},
    {"file:///home/user/page.html#part", false, ArgForm::FileUri, "/home/user/page.html",
     "file:///home/user/page.html#part", false},
    {"file:///home/user/a%23b", false, ArgForm::FileUri, "/home/user/a#b",
     "file:///home/user/a%23b", false},
    {"file:///home/user/a%2", false, ArgForm::NotAFile, "", "", true},
    {"file:///home/user/a%00b", false, ArgForm::NotAFile, "", "", true},
    {"file:///home/user/%2e%2e/x", false, ArgForm::NotAFile, "", "", true},
    // An encoded '/': GLib refuses the URI, others decode it; refused rather than guessed.
    {"file:///home/user/Documents%2Fa.pdf", false, ArgForm::NotAFile, "", "", true},
    {"file:///home/user/a%2f..%2f..%2fetc/passwd", false, ArgForm::NotAFile, "", "", true},
    {"file:relative", false, ArgForm::OtherUri, "", "file:relative", false},
    {"https://example.com/a.pdf", false, ArgForm::OtherUri, "", "https://example.com/a.pdf", false},
    {"mailto:a@b.c", false, ArgForm::OtherUri, "", "mailto:a@b.c", false},
    {"--new-window", false, ArgForm::NotAFile, "", "--new-window", false},
    {"-", false, ArgForm::NotAFile, "", "-", false},
    {"", false, ArgForm::NotAFile, "", "", false},
    // Relative text: a file only if it exists (decided on the host), made absolute.
    {"notes.txt", false, ArgForm::RelativePath, "/home/user/work/notes.txt",
     "/home/user/work/notes.txt", false},
    {"../b/c.txt", false, ArgForm::RelativePath, "/home/user/b/c.txt", "/home/user/b/c.txt", false},
    // From --open the user says it is a file: even "-x" and "a:b" are names.
    {"-x", true, ArgForm::Path, "/home/user/work/-x", "/home/user/work/-x", false},
    {"a:b.txt", true, ArgForm::Path, "/home/user/work/a:b.txt", "/home/user/work/a:b.txt", false},
    {"a:b.txt", false, ArgForm::OtherUri, "", "a:b.txt", false},
    {"https://x.org", true, ArgForm::OtherUri, "", "https://x.org", false},
    {"../../../..", true, ArgForm::Path, "/", "/", false},
};

}  // namespace

TEST_CASE("file arguments are classified: paths, file URIs, other URIs, options") {
  for (const auto& c : kClassify) {
    INFO("arg \"" << c.arg << "\" explicit=" << c.explicit_file);
    host::FileArg a = host::classify_file_arg(c.arg, "/home/user/work", c.explicit_file);
    CHECK(a.problem.empty() != c.refused);
    if (c.refused) continue;
    CHECK(a.form == c.form);
    CHECK(a.path == c.path);
    CHECK(a.text == c.text);
  }
}

TEST_CASE("a relative file argument without a known current directory is refused") {
  auto a = host::classify_file_arg("x.txt", "", true);
  CHECK_FALSE(a.problem.empty());
}

TEST_CASE("percent-decoding refuses bad escapes and NUL") {
  std::string out;
  CHECK(host::percent_decode("a%20b%2Fc", out));
  CHECK(out == "a b/c");
  CHECK_FALSE(host::percent_decode("%", out));
  CHECK_FALSE(host::percent_decode("%g0", out));
  CHECK_FALSE(host::percent_decode("%00", out));
}

namespace {

Origin at(int line) { return {"/p/app.toml", line, 3}; }

profile::Profile app_profile() {
  profile::Profile pr;
  pr.name = "app";
  pr.command.value = {"app"};
  pr.read_only = {{"/usr", false, at(1)}, {"/etc", false, at(2)}};
  pr.hide = {{"/home/user/.ssh", false, at(3)}};
  return pr;
}

// A file argument the host opened: `path` as given, `resolved` where it led.
host::OpenedFile opened(std::size_t index, const std::string& path, FileType type,
                        bool writable = true, std::string resolved = "") {
  host::OpenedFile f;
  f.index = index;
  f.arg = path;
  f.parsed = host::classify_file_arg(path, "/home/user/work", true);
  f.opened = true;
  f.fd = 40 + static_cast<int>(index);
  f.resolved = resolved.empty() ? f.parsed.path : resolved;
  f.type = type;
  f.writable = writable;
  return f;
}

plan::SandboxPlan plan_with(const profile::Profile& pr, std::vector<host::OpenedFile> files,
                            host::HostFacts host = test::fake_host()) {
  plan::RunOptions opts;
  opts.command = {"app"};
  for (const auto& f : files) {
    if (opts.command.size() <= f.index) opts.command.resize(f.index + 1);
    opts.command[f.index] = f.arg;
  }
  opts.files = std::move(files);
  return plan::build_plan(pr, host, opts);
}

const plan::MountOp* op_at(const plan::SandboxPlan& p, const std::string& target) {
  for (const auto& m : p.mounts)
    if (m.target == target) return &m;
  return nullptr;
}

std::string refusal_of(const profile::Profile& pr, const host::OpenedFile& f,
                       host::HostFacts host = test::fake_host()) {
  try {
    plan_with(pr, {f}, host);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("a file argument is bound alone, at its path, read-only by default") {
  auto p = plan_with(app_profile(), {opened(1, "/home/user/Documents/a.pdf", FileType::Regular)});
  const auto* op = op_at(p, "/home/user/Documents/a.pdf");
  REQUIRE(op != nullptr);
  CHECK(op->kind == MountKind::Bind);
  CHECK(op->source == "/home/user/Documents/a.pdf");
  CHECK(op->read_only);
  CHECK_FALSE(op->source_is_dir);
  CHECK(op->source_fd == 41);
  CHECK(op_at(p, "/home/user/Documents") == nullptr);  // not its folder
  CHECK(p.placeholders.empty());                       // the home is a tmpfs
  REQUIRE(p.file_args.size() == 1);
  CHECK(p.file_args[0].find("read-only, this file only") != std::string::npos);
  CHECK(plan::describe(p).find("file arguments") != std::string::npos);
}

TEST_CASE("file-arguments sets the access; read-write only where the caller can write") {
  auto pr = app_profile();
  pr.file_arguments = {profile::FileAccess::ReadWrite, at(9)};
  auto p = plan_with(pr, {opened(1, "/home/user/a.txt", FileType::Regular, true),
                          opened(2, "/home/user/b.txt", FileType::Regular, false)});
  CHECK_FALSE(op_at(p, "/home/user/a.txt")->read_only);
  CHECK(op_at(p, "/home/user/b.txt")->read_only);
  CHECK(p.file_args[1].find("you cannot write it") != std::string::npos);

  pr.file_arguments = {profile::FileAccess::None, at(9)};
  p = plan_with(pr, {opened(1, "/home/user/a.txt", FileType::Regular)});
  CHECK(op_at(p, "/home/user/a.txt") == nullptr);
  CHECK(p.file_args[0].find("not bound") != std::string::npos);
  CHECK(p.argv == std::vector<std::string>{"app", "/home/user/a.txt"});  // still passed on
}

TEST_CASE("a directory argument binds that directory; hidden paths inside stay hidden") {
  auto pr = app_profile();
  auto host = test::fake_host();
  host.paths["/home/user/.ssh"] = {FileType::Directory, "/home/user/.ssh", FileType::Directory};
  auto p = plan_with(pr, {opened(1, "/home/user/work", FileType::Directory)}, host);
  const auto* op = op_at(p, "/home/user/work");
  REQUIRE(op != nullptr);
  CHECK(op->source_is_dir);
  // A grant of a folder that holds a hidden one masks it inside the grant.
  host.paths["/data/dl"] = {FileType::Directory, "/data/dl", FileType::Directory};
  pr.hide.push_back({"/data/dl/.secret", false, at(4)});
  host.paths["/data/dl/.secret"] = {FileType::Directory, "/data/dl/.secret", FileType::Directory};
  p = plan_with(pr, {opened(1, "/data/dl", FileType::Directory)}, host);
  const auto* mask = op_at(p, "/data/dl/.secret");
  REQUIRE(mask != nullptr);
  CHECK(mask->kind == MountKind::Hide);
}

TEST_CASE("relative file arguments reach the app as the absolute path bound") {
  host::OpenedFile f = opened(1, "notes.txt", FileType::Regular);
  auto p = plan_with(app_profile(), {f});
  CHECK(p.argv == std::vector<std::string>{"app", "/home/user/work/notes.txt"});
  CHECK(op_at(p, "/home/user/work/notes.txt") != nullptr);
}

TEST_CASE("URIs, options and missing files pass unchanged and bind nothing") {
  host::OpenedFile uri;
  uri.index = 1;
  uri.arg = "https://example.com/x";
  uri.parsed = host::classify_file_arg(uri.arg, "/home/user", false);
  host::OpenedFile option;
  option.index = 2;
  option.arg = "--fullscreen";
  option.parsed = host::classify_file_arg(option.arg, "/home/user", false);
  host::OpenedFile missing;
  missing.index = 3;
  missing.arg = "/home/user/new.txt";
  missing.parsed = host::classify_file_arg(missing.arg, "/home/user", false);
  missing.open_error = "No such file or directory";
  auto p = plan_with(app_profile(), {uri, option, missing});
  CHECK(p.argv == std::vector<std::string>{"app", "https://example.com/x", "--fullscreen",
                                           "/home/user/new.txt"});
  CHECK(op_at(p, "/home/user/new.txt") == nullptr);
  REQUIRE(p.file_args.size() == 3);
  CHECK(p.file_args[0].find("not a local file") != std::string::npos);
  CHECK(p.file_args[1].find("not a file") != std::string::npos);
  CHECK(p.file_args[2].find("nothing bound") != std::string::npos);
}

TEST_CASE("file arguments that reach cloister's own files or odd things are refused") {
  struct Case {
    const char* path;
    FileType type;
    const char* resolved;
    const char* why;
  };
  const Case cases[] = {
      {"/home/user/.config/cloister/overrides/app.toml", FileType::Regular, "",
       "cloister's own configuration"},
      {"/home/user/innocent.toml", FileType::Regular, "/home/user/.config/cloister/profiles/x.toml",
       "cloister's own configuration"},
      {"/etc/cloister/profiles/x.toml", FileType::Regular, "", "cloister's own configuration"},
      {"/home/user/.local/share/cloister/home/other/.bashrc", FileType::Regular, "",
       "other apps' persistent homes"},
      {"/home/user/.local/share/cloister/home", FileType::Directory, "",
       "other apps' persistent homes"},
      {"/run/user/1000/cloister/app-1/bus", FileType::Regular, "", "running sandboxes"},
      {"/home/user/.local/state/cloister/protected/app", FileType::Regular, "", "must not move"},
      {"/home/user/.local/share/applications/app.desktop", FileType::Regular, "", "menu entries"},
      {"/home/user/.local/share/dbus-1/services/a.service", FileType::Regular, "", "D-Bus"},
      {"/home/user/.local/bin/app", FileType::Regular, "", "command links"},
      {"/home/user/.local", FileType::Directory, "", "holds"},
      {"/home/user", FileType::Directory, "", "holds"},
      {"/", FileType::Directory, "", "holds"},
      {"/run/user/1000/bus", FileType::Socket, "", "socket"},
      {"/home/user/fifo", FileType::Other, "", "special file"},
      {"/home/user/.ssh/id_ed25519", FileType::Regular, "", "hides"},
      {"/home/user/key", FileType::Regular, "/home/user/.ssh/id_ed25519", "hides"},
      {"/proc/self/mem", FileType::Regular, "", "which the sandbox has its own view of"},
      // A symlink planted where the user will open it, into the host's kernel files.
      {"/home/user/report.pdf", FileType::Regular, "/proc/4242/environ", "inside /proc"},
      {"/home/user/photos", FileType::Directory, "/proc", "inside /proc"},
      {"/home/user/notes.txt", FileType::Regular, "/dev/shm/.org.chromium.x", "inside /dev"},
      {"/home/user/cg", FileType::Directory, "/sys/fs/cgroup/user.slice", "inside /sys"},
      {"/bin/ls", FileType::Regular, "/usr/bin/ls", "symbolic link /bin"},
      {"/etc/passwd", FileType::Regular, "/home/user/evil", "is already used"},
  };
  auto pr = app_profile();
  pr.read_only.erase(pr.read_only.begin() + 1);  // no /etc: the plan writes /etc/passwd
  pr.read_only.push_back({"/bin", false, at(5)});
  auto host = test::fake_host();
  for (const auto& c : cases) {
    INFO(c.path << " -> " << c.resolved);
    std::string why = refusal_of(pr, opened(1, c.path, c.type, true, c.resolved), host);
    CHECK(why.find("refusing") != std::string::npos);
    CHECK(why.find(c.why) != std::string::npos);
  }
}

TEST_CASE("the app's own persistent home is not refused") {
  auto pr = app_profile();
  pr.home.value = profile::HomeMode::Persistent;
  std::string why = refusal_of(
      pr, opened(1, "/home/user/.local/share/cloister/home/app/notes.txt", FileType::Regular));
  CHECK(why.empty());
}

TEST_CASE("inside a persistent home a file argument needs a placeholder mount point") {
  auto pr = app_profile();
  pr.home.value = profile::HomeMode::Persistent;
  auto host = test::fake_host();
  const std::string home_dir = "/home/user/.local/share/cloister/home/app";
  host.paths[home_dir] = {FileType::Directory, home_dir, FileType::Directory};
  auto p = plan_with(pr, {opened(1, "/home/user/Documents/a.pdf", FileType::Regular)}, host);
  REQUIRE(p.placeholders.size() == 1);
  CHECK(p.placeholders[0].base == home_dir);
  CHECK(p.placeholders[0].relative == "Documents/a.pdf");
  CHECK_FALSE(p.placeholders[0].is_dir);
  CHECK(op_at(p, "/home/user/Documents/a.pdf") != nullptr);
}

TEST_CASE("a read-write file's folder is a tmpfs of its own, read-only once the file is in") {
  auto pr = app_profile();
  pr.file_arguments = {profile::FileAccess::ReadWrite, at(9)};
  auto p = plan_with(pr, {opened(1, "/home/user/Desktop/a.txt", FileType::Regular),
                          opened(2, "/home/user/Desktop/b.txt", FileType::Regular),
                          opened(3, "/home/user/top.txt", FileType::Regular)});
  const auto* cover = op_at(p, "/home/user/Desktop");
  REQUIRE(cover != nullptr);
  CHECK(cover->kind == MountKind::Tmpfs);
  CHECK(cover->read_only_last);
  CHECK(std::count_if(p.mounts.begin(), p.mounts.end(), [](const plan::MountOp& m) {
          return m.target == "/home/user/Desktop";
        }) == 1);  // one folder for both files
  CHECK(op_at(p, "/home/user/Desktop/a.txt")->kind == MountKind::Bind);
  CHECK(plan::describe(p).find("read-only once filled") != std::string::npos);
  // Straight in the home (a tmpfs of its own): no folder to cover.
  CHECK(op_at(p, "/home/user/top.txt") != nullptr);
  CHECK(op_at(p, "/home/user")->kind == MountKind::Tmpfs);
  CHECK_FALSE(op_at(p, "/home/user")->read_only_last);
  // Read-only files need none.
  pr.file_arguments = {profile::FileAccess::ReadOnly, at(9)};
  p = plan_with(pr, {opened(1, "/home/user/Desktop/a.txt", FileType::Regular)});
  CHECK(op_at(p, "/home/user/Desktop") == nullptr);
  // In a persistent home the folder is the placeholder; the file needs none of its own.
  pr.file_arguments = {profile::FileAccess::ReadWrite, at(9)};
  pr.home.value = profile::HomeMode::Persistent;
  auto host = test::fake_host();
  const std::string home_dir = "/home/user/.local/share/cloister/home/app";
  host.paths[home_dir] = {FileType::Directory, home_dir, FileType::Directory};
  p = plan_with(pr, {opened(1, "/home/user/Desktop/a.txt", FileType::Regular)}, host);
  REQUIRE(p.placeholders.size() == 1);
  CHECK(p.placeholders[0].relative == "Desktop");
  CHECK(p.placeholders[0].is_dir);
  REQUIRE(op_at(p, "/home/user/Desktop") != nullptr);
  CHECK(op_at(p, "/home/user/Desktop")->read_only_last);
  CHECK(p.protected_paths.empty());  // lasts one launch: nothing to record
}

TEST_CASE("inside a grant a file argument is bound over itself, or refused if the path differs") {
  auto pr = app_profile();
  pr.read_only.push_back({"/home/user/Downloads", false, at(6)});
  // The grant shows this very file there: bound over itself, read-write if asked.
  pr.file_arguments = {profile::FileAccess::ReadWrite, at(9)};
  auto p = plan_with(pr, {opened(1, "/home/user/Downloads/a.txt", FileType::Regular)});
  const auto* op = op_at(p, "/home/user/Downloads/a.txt");
  REQUIRE(op != nullptr);
  CHECK_FALSE(op->read_only);
  CHECK(p.placeholders.empty());
  // A grant that already allows as much needs no bind on top (which would stop an editor from
  // saving by renaming a new copy over the file).
  pr.read_only.pop_back();
  pr.read_write.push_back({"/home/user/Downloads", false, at(6)});
  p = plan_with(pr, {opened(1, "/home/user/Downloads/a.txt", FileType::Regular)});
  CHECK(op_at(p, "/home/user/Downloads/a.txt") == nullptr);
  CHECK(p.file_args[0].find("already read-write through /home/user/Downloads") !=
        std::string::npos);
  // A symlink inside the grant (Downloads/link -> /data/x) would be under the mount: refused,
  // naming the real path to use instead.
  std::string why =
      refusal_of(pr, opened(1, "/home/user/Downloads/link", FileType::Regular, true, "/data/x"));
  CHECK(why.find("give the real path /data/x") != std::string::npos);
}

TEST_CASE("a directory argument already granted read-only is made read-write, not bound twice") {
  auto pr = app_profile();
  pr.read_only.push_back({"/home/user/Downloads", false, at(6)});
  pr.file_arguments = {profile::FileAccess::ReadWrite, at(9)};
  auto p = plan_with(pr, {opened(1, "/home/user/Downloads", FileType::Directory)});
  const auto count = std::count_if(p.mounts.begin(), p.mounts.end(), [](const plan::MountOp& m) {
    return m.target == "/home/user/Downloads";
  });
  CHECK(count == 1);
  CHECK_FALSE(op_at(p, "/home/user/Downloads")->read_only);
}

TEST_CASE("a file inside a directory argument is seen through that bind") {
  auto p = plan_with(app_profile(), {opened(2, "/data/dir/a.txt", FileType::Regular),
                                     opened(1, "/data/dir", FileType::Directory)});
  CHECK(op_at(p, "/data/dir") != nullptr);
  CHECK(op_at(p, "/data/dir/a.txt") == nullptr);
  REQUIRE(p.file_args.size() == 2);
  CHECK(p.file_args[0].find("argument 1") != std::string::npos);  // argv order
  CHECK(p.file_args[1].find("already read-only through /data/dir") != std::string::npos);
}

TEST_CASE("every refused argument is named at once") {
  auto pr = app_profile();
  try {
    plan_with(pr, {opened(1, "/run/user/1000/bus", FileType::Socket),
                   opened(2, "/home/user/.ssh/config", FileType::Regular)});
    FAIL("not refused");
  } catch (const Error& e) {
    std::string what = e.what();
    CHECK(what.find("argument 1") != std::string::npos);
    CHECK(what.find("argument 2") != std::string::npos);
  }
}

TEST_CASE("a directory argument that would carry live sockets into the sandbox is refused") {
  // A socket connects on a read-only mount too: a directory holding the session's sockets, or
  // tmux's, would hand the app a line to a program outside (a shell, the X server, an agent).
  struct Case {
    const char* path;
    const char* resolved;
    const char* special;    // a socket or FIFO the host found inside
    const char* unchecked;  // why the host could not look through it all
    const char* why;        // "" = allowed
  };
  const Case cases[] = {
      {"/run", "", "", "", "holds /run"},
      {"/var/run", "/run", "", "", "holds /run"},
      {"/run/user/1000/pulse", "", "", "", "is inside /run"},
      {"/run/dbus", "", "", "", "is inside /run"},
      {"/data/tmux-1000", "", "/data/tmux-1000/default", "", "a socket or FIFO"},
      {"/data/big", "", "", "it holds more than 200000 entries", "cannot be checked"},
      {"/run/user/1000/gvfs/smb-share:server=nas,share=music", "", "", "", ""},
      {"/run/user/1000/doc/4f2a1c/album", "", "", "", ""},
      {"/run/media/user/USB/photos", "", "", "", ""},
      {"/data/album", "", "", "", ""},
  };
  auto host = test::fake_host();
  for (const auto& c : cases) {
    INFO(c.path << " -> " << c.resolved);
    host::OpenedFile f = opened(1, c.path, FileType::Directory, true, c.resolved);
    f.special_inside = c.special;
    f.unchecked = c.unchecked;
    std::string why = refusal_of(app_profile(), f, host);
    if (*c.why == '\0') {
      CHECK(why.empty());
    } else {
      CHECK(why.find("refusing") != std::string::npos);
      CHECK(why.find(c.why) != std::string::npos);
    }
  }
  // A socket file named alone was refused before; a regular file in those places is fine.
  CHECK(refusal_of(app_profile(), opened(1, "/run/user/1000/gvfs/x/a.pdf", FileType::Regular))
            .empty());
}

TEST_CASE("a read-write directory argument reaching a protected path is bound read-only") {
  // Self-escape rule: ~/bin, ~/.config/autostart, ~/.vim... run code outside the sandbox. A
  // file the user names is theirs to edit; a whole such directory is more than that.
  auto pr = app_profile();
  pr.file_arguments = {profile::FileAccess::ReadWrite, at(9)};
  for (const char* dir : {"/home/user/bin", "/home/user/.config/autostart", "/home/user/.vim/pack",
                          "/home/user/.config/systemd/user"}) {
    INFO(dir);
    auto p = plan_with(pr, {opened(1, dir, FileType::Directory)});
    const auto* op = op_at(p, dir);
    REQUIRE(op != nullptr);
    CHECK(op->read_only);
    REQUIRE(p.file_args.size() == 1);
    CHECK(p.file_args[0].find("read-only (it is or holds ~/") != std::string::npos);
    CHECK(p.file_args[0].find("self-escape rule") != std::string::npos);
  }
  // Elsewhere, and a single named file: read-write as the profile says.
  auto p = plan_with(pr, {opened(1, "/home/user/Music", FileType::Directory),
                          opened(2, "/home/user/.bashrc", FileType::Regular)});
  CHECK_FALSE(op_at(p, "/home/user/Music")->read_only);
  CHECK_FALSE(op_at(p, "/home/user/.bashrc")->read_only);
  // A read-only grant of a protected directory is not made read-write by opening it.
  pr.read_only.push_back({"/home/user/bin", false, at(6)});
  auto host = test::fake_host();
  host.paths["/home/user/bin"] = {FileType::Directory, "/home/user/bin", FileType::Directory};
  p = plan_with(pr, {opened(1, "/home/user/bin", FileType::Directory)}, host);
  CHECK(op_at(p, "/home/user/bin")->read_only);
}

TEST_CASE("data directories in the home that menus and the bus read are cloister's to guard") {
  // flatpak puts ~/.local/share/flatpak/exports/share in XDG_DATA_DIRS: an entry or a service
  // file written there starts something outside any sandbox.
  auto host = test::fake_host();
  const std::string exports = "/home/user/.local/share/flatpak/exports/share";
  host.env["XDG_DATA_DIRS"] = exports + ":/usr/local/share/:/usr/share";
  CHECK(plan::home_data_dirs(host) == std::vector<std::string>{exports});
  for (const std::string& bad : {exports + "/applications/org.example.App.desktop",
                                 exports + "/dbus-1/services/a.service"}) {
    INFO(bad);
    std::string why = refusal_of(app_profile(), opened(1, bad, FileType::Regular), host);
    CHECK(why.find("which decide how apps start") != std::string::npos);
  }
  CHECK(refusal_of(app_profile(), opened(1, "/usr/share/applications/a.desktop", FileType::Regular),
                   host)
            .empty());
  // ... and a read-write grant reaching them is a self-escape.
  auto pr = app_profile();
  const std::string flatpak_exports = "/home/user/.local/share/flatpak/exports";
  pr.read_write.push_back({flatpak_exports, false, at(7)});
  host.paths[flatpak_exports] = {FileType::Directory, flatpak_exports, FileType::Directory};
  plan::RunOptions opts;
  opts.command = {"app"};
  opts.report_only = true;
  auto p = plan::build_plan(pr, host, opts);
  REQUIRE(p.escapes.size() == 1);
  CHECK(p.escapes[0].covered ==
        std::vector<std::string>{"~/.local/share/flatpak/exports/share/applications",
                                 "~/.local/share/flatpak/exports/share/dbus-1"});
}

TEST_CASE("a read-write file's folder cover hides nothing the plan mounts below it") {
  // The cover is a tmpfs over the folder: a grant or another file argument below it must be
  // mounted after it (on top), or the app would lose it for the run.
  auto pr = app_profile();
  pr.file_arguments = {profile::FileAccess::ReadWrite, at(9)};
  pr.read_only.push_back({"/home/user/Desktop/project", false, at(6)});
  auto host = test::fake_host();
  host.paths["/home/user/Desktop/project"] = {FileType::Directory, "/home/user/Desktop/project",
                                              FileType::Directory};
  auto p = plan_with(pr,
                     {opened(2, "/home/user/Desktop/zz.txt", FileType::Regular),
                      opened(1, "/home/user/Desktop/a.txt", FileType::Regular, true)},
                     host);
  auto index_of = [&](const std::string& target) {
    for (std::size_t i = 0; i < p.mounts.size(); ++i)
      if (p.mounts[i].target == target) return static_cast<long>(i);
    return -1L;
  };
  const long cover = index_of("/home/user/Desktop");
  REQUIRE(cover >= 0);
  CHECK(p.mounts[cover].read_only_last);
  for (const char* below :
       {"/home/user/Desktop/project", "/home/user/Desktop/a.txt", "/home/user/Desktop/zz.txt"}) {
    INFO(below);
    CHECK(index_of(below) > cover);
  }
}
