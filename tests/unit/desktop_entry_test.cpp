// Wrapping a desktop entry: every Exec through cloister with the original argv after "--",
// file field codes turned into --forward positions, D-Bus activation off, every other group,
// key, translation and comment kept, the marker and the source's digest added; refusals; stale
// detection; desktop file IDs; the key file format; SHA-256; D-Bus service files.
#include <algorithm>
#include <catch2/catch.hpp>

#include "desktop/entry.hpp"
#include "desktop/keyfile.hpp"
#include "desktop/service.hpp"
#include "sys/sha256.hpp"

using namespace cloister::desktop;
using cloister::sha256_hex;

namespace {

const char* kGedit = R"(# a comment the packager wrote
[Desktop Entry]
Name=gedit
Name[de]=gedit
GenericName=Text Editor
GenericName[fr]=Éditeur de texte
Comment=Edit text files
Comment[ja]=テキストファイルを編集します
Exec=gedit %U
TryExec=gedit
Terminal=false
Type=Application
StartupNotify=true
StartupWMClass=Gedit
MimeType=text/plain;
Icon=org.gnome.gedit
Categories=GNOME;GTK;Utility;TextEditor;
Keywords=Text;Editor;
Keywords[es]=Texto;Editor;
Actions=new-window;new-document;
DBusActivatable=true

[Desktop Action new-window]
Name=New Window
Name[de]=Neues Fenster
Exec=gedit --new-window

[Desktop Action new-document]
Name=New Document
)";

WrapInput input(const std::string& text, const std::string& profile = "gedit") {
  return {text, "/usr/share/applications/org.gnome.gedit.desktop", profile, "/usr/bin/cloister",
          "/home/u/.local/share/applications/org.gnome.gedit.desktop"};
}

KeyFile parsed(const std::string& text) {
  std::string error;
  auto f = parse_keyfile(text, error);
  INFO(error);
  REQUIRE(f.has_value());
  return *f;
}

std::string value_of(const KeyFile& f, const std::string& group, const std::string& key) {
  const Group* g = f.group(group);
  REQUIRE(g != nullptr);
  const std::string* v = g->get(key);
  return v ? *v : "<none>";
}

std::string wrap_error(const std::string& text) {
  try {
    wrap_entry(input(text));
  } catch (const EntryError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("every Exec of the entry starts the app through cloister, original argv after --") {
  WrappedEntry w = wrap_entry(input(kGedit));
  KeyFile f = parsed(w.text);
  CHECK(value_of(f, "Desktop Entry", "Exec") ==
        "/usr/bin/cloister run --forward=1 gedit -- gedit %U");
  CHECK(value_of(f, "Desktop Action new-window", "Exec") ==
        "/usr/bin/cloister run gedit -- gedit --new-window");
  CHECK(w.programs == std::vector<std::string>{"gedit", "gedit"});
}

TEST_CASE("D-Bus activation is turned off; an action that needed it is dropped") {
  WrappedEntry w = wrap_entry(input(kGedit));
  KeyFile f = parsed(w.text);
  CHECK(w.dbus_activatable);
  CHECK(value_of(f, "Desktop Entry", "DBusActivatable") == "false");
  CHECK(f.group("Desktop Action new-document") == nullptr);
  CHECK(value_of(f, "Desktop Entry", "Actions") == "new-window;");
  CHECK(w.notes.size() == 2);
}

TEST_CASE("keys, translations and comments are kept; the marker and digest are added") {
  WrappedEntry w = wrap_entry(input(kGedit));
  KeyFile f = parsed(w.text);
  for (const char* key :
       {"Name", "Name[de]", "GenericName", "GenericName[fr]", "Comment", "Comment[ja]", "TryExec",
        "Terminal", "Type", "StartupNotify", "StartupWMClass", "MimeType", "Icon", "Categories",
        "Keywords", "Keywords[es]"}) {
    INFO(key);
    CHECK(value_of(f, "Desktop Entry", key) == value_of(parsed(kGedit), "Desktop Entry", key));
  }
  CHECK(value_of(f, "Desktop Action new-window", "Name[de]") == "Neues Fenster");
  CHECK(w.text.find("# a comment the packager wrote") != std::string::npos);
  CHECK(value_of(f, "Desktop Entry", kMarkerKey) == "gedit");
  CHECK(value_of(f, "Desktop Entry", kSourceKey) ==
        "/usr/share/applications/org.gnome.gedit.desktop");
  CHECK(value_of(f, "Desktop Entry", kDigestKey) == sha256_hex(kGedit));
  auto marker = read_marker(w.text);
  REQUIRE(marker.has_value());
  CHECK(marker->profile == "gedit");
  CHECK(marker->digest == source_digest(kGedit));
  CHECK_FALSE(read_marker(kGedit).has_value());
}

TEST_CASE("wrapping is deterministic, so installing again changes nothing") {
  CHECK(wrap_entry(input(kGedit)).text == wrap_entry(input(kGedit)).text);
}

TEST_CASE("--forward counts the arguments around the file field code") {
  struct Case {
    const char* exec;
    const char* icon;
    const char* expected;
  };
  const Case cases[] = {
      {"app %f --tail x", "", "/usr/bin/cloister run --forward=1:2 gedit -- app %f --tail x"},
      {"app %i %U", "icon-name",
       "/usr/bin/cloister run --forward=3 gedit -- app --icon icon-name %U"},
      {"app %i %U", "", "/usr/bin/cloister run --forward=1 gedit -- app %U"},
      {"app %k %u", "",
       "/usr/bin/cloister run --forward=2 gedit -- app "
       "/home/u/.local/share/applications/org.gnome.gedit.desktop %u"},
      {"app %c %F", "", "/usr/bin/cloister run --forward=2 gedit -- app %c %F"},
      {"app --no-files", "", "/usr/bin/cloister run gedit -- app --no-files"},
      {"\"/opt/a b/app\" 100%% %F", "",
       "/usr/bin/cloister run --forward=2 gedit -- \"/opt/a b/app\" 100%% %F"},
  };
  for (const auto& c : cases) {
    INFO(c.exec);
    std::string text = std::string("[Desktop Entry]\nType=Application\nName=A\nExec=") + c.exec +
                       "\n" + (*c.icon ? std::string("Icon=") + c.icon + "\n" : "");
    KeyFile f = parsed(wrap_entry(input(text)).text);
    CHECK(value_of(f, "Desktop Entry", "Exec") == c.expected);
  }
}

TEST_CASE("paths with reserved characters are quoted and escaped in the written Exec") {
  WrapInput in = input("[Desktop Entry]\nType=Application\nName=A\nExec=app %U\n",
                       "/home/u/my \"profiles\"/a$b.toml");
  in.cloister = "/opt/my tools/cloister";
  KeyFile f = parsed(wrap_entry(in).text);
  // The file holds the string-escaped form: each backslash of the quoting doubled.
  CHECK(
      value_of(f, "Desktop Entry", "Exec") ==
      "\"/opt/my tools/cloister\" run --forward=1 \"/home/u/my \\\\\"profiles\\\\\"/a\\\\$b.toml\""
      " -- app %U");
}

TEST_CASE("entries that cannot be wrapped safely are refused, saying why") {
  struct Case {
    std::string text;
    const char* why;
  };
  const std::string head = "[Desktop Entry]\nName=A\n";
  const Case cases[] = {
      {head + "Type=Link\nURL=https://x\n", "not \"Application\""},
      {head + "Type=Application\nExec=a\nHidden=true\n", "Hidden=true"},
      {head + "Type=Application\nDBusActivatable=true\n", "no Exec key"},
      {head + "Type=Application\nExec=/usr/bin/cloister run x -- x\n", "already starts"},
      {head + "Type=Application\nExec=--command=sh %U\n", "starts with '-'"},
      {head + "Type=Application\nExec=app --file=%f\n", "must stand alone"},
      {head + "Type=Application\nExec=app \\\"x\n", "escape sequence"},
      {head + "Type=Application\nExec=app\nActions=a;\n[Desktop Action a]\nName=a\nExec=a %f %U\n",
       "[Desktop Action a] Exec: more than one"},
      {head + "Type=Application\nExec=a\nX-Cloister-Profile=x\n", "itself an entry cloister"},
      {"Name=A\n[Desktop Entry]\n", "line 1: a key before the first group"},
      {"[Other]\nA=1\n[Desktop Entry]\nType=Application\nExec=a\n", "first group"},
      {head + "Type=Application\nExec=a\nExec=b\n", "line 5: the key Exec a second time"},
      {head + "Type=Application\r\nExec=a\n", "line 3: a control character"},
      {head + "[Desktop Entry]\n", "a second time"},
      {head + "Type=Application\nbad key=1\nExec=a\n", "not a valid key name"},
      {head + "Type=Application\njust text\n", "neither a group"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    std::string why = wrap_error(c.text);
    CHECK(why.find(c.why) != std::string::npos);
    CHECK(why.find("/usr/share/applications/org.gnome.gedit.desktop") == 0);
  }
}

TEST_CASE("actions the list does not name, or that have no group, are dropped") {
  std::string text =
      "[Desktop Entry]\nType=Application\nName=A\nExec=a\nActions=one;ghost;\n"
      "[Desktop Action one]\nName=1\nExec=a --one\n[Desktop Action stray]\nName=s\nExec=evil\n";
  WrappedEntry w = wrap_entry(input(text));
  KeyFile f = parsed(w.text);
  CHECK(value_of(f, "Desktop Entry", "Actions") == "one;");
  CHECK(f.group("Desktop Action stray") == nullptr);
  CHECK(w.text.find("evil") == std::string::npos);
}

TEST_CASE("stale detection: source changed, source gone, another cloister wrote it") {
  WrapInput in = input(kGedit);
  const std::string installed = wrap_entry(in).text;
  CHECK(stale_reason(installed, in) == "");
  WrapInput changed = in;
  changed.source_text += "X-New=1\n";
  CHECK(stale_reason(installed, changed).find("changed since") != std::string::npos);
  CHECK(stale_reason(installed, std::nullopt).find("gone") != std::string::npos);
  WrapInput moved = in;
  moved.cloister = "/usr/local/bin/cloister";
  CHECK(stale_reason(installed, moved).find("another cloister") != std::string::npos);
  CHECK(stale_reason(kGedit, in).find("no marker") != std::string::npos);
}

TEST_CASE("desktop file IDs map to paths by the sub-directory-to-dash rule") {
  auto paths = entry_id_paths("kde4-okular.desktop");
  REQUIRE(paths.size() == 2);
  CHECK(paths[0] == "kde4-okular.desktop");
  CHECK(paths[1] == "kde4/okular.desktop");
  paths = entry_id_paths("a-b-c.desktop");
  CHECK(paths.size() == 4);
  CHECK(paths.front() == "a-b-c.desktop");
  CHECK(paths.back() == "a/b/c.desktop");
  CHECK(std::find(paths.begin(), paths.end(), "a-b/c.desktop") != paths.end());
  CHECK(entry_id_paths("org.gnome.Evince.desktop") ==
        std::vector<std::string>{"org.gnome.Evince.desktop"});
  CHECK(valid_entry_id("org.gnome.Evince.desktop"));
  for (const char* bad : {"", ".desktop", "a/b.desktop", "evince", "../x.desktop", "-x.desktop"})
    CHECK_FALSE(valid_entry_id(bad));
}

TEST_CASE("the key file format round-trips and edits in place") {
  const std::string text = "# head\n\n[Desktop Entry]\nName = spaced\nA=1\n\n[X-Other]\nB=2\n";
  KeyFile f = parsed(text);
  CHECK(value_of(f, "Desktop Entry", "Name") == "spaced");
  f.group("Desktop Entry")->set("A", "3");
  f.group("Desktop Entry")->set("New", "4");
  std::string out = f.str();
  CHECK(out == "# head\n\n[Desktop Entry]\nName=spaced\nA=3\nNew=4\n\n[X-Other]\nB=2\n");
  CHECK(split_list("a;b\\;c;;d") == std::vector<std::string>{"a", "b;c", "", "d"});
}

TEST_CASE("SHA-256 matches the FIPS 180 test vectors") {
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(sha256_hex(std::string(1000000, 'a')) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("a D-Bus service file is rewritten to start through cloister, and only that") {
  const std::string text =
      "[D-BUS Service]\nName=org.gnome.gedit\nExec=/usr/bin/gedit --gapplication-service\n"
      "SystemdService=gedit.service\n";
  std::string error;
  auto svc = parse_service(text, error);
  REQUIRE(svc.has_value());
  CHECK(svc->name == "org.gnome.gedit");
  CHECK(svc->exec == std::vector<std::string>{"/usr/bin/gedit", "--gapplication-service"});
  CHECK(svc->systemd);
  std::string out = wrap_service(*svc, "/usr/share/dbus-1/services/org.gnome.gedit.service",
                                 "gedit", "/opt/my tools/cloister");
  auto back = parse_service(out, error);
  REQUIRE(back.has_value());
  CHECK(back->name == "org.gnome.gedit");
  CHECK(back->exec == std::vector<std::string>{"/opt/my tools/cloister", "run", "gedit", "--",
                                               "/usr/bin/gedit", "--gapplication-service"});
  CHECK_FALSE(back->systemd);  // systemd would start the host's unit instead
  CHECK(out.find(std::string(kMarkerKey) + "=gedit") != std::string::npos);

  svc->exec = {"/usr/bin/cloister", "run", "x"};
  CHECK_THROWS_AS(wrap_service(*svc, "s", "gedit", "/usr/bin/cloister"), EntryError);
  svc->exec = {"--bind", "/", "/"};
  CHECK_THROWS_AS(wrap_service(*svc, "s", "gedit", "/usr/bin/cloister"), EntryError);
}

TEST_CASE("service Exec lines split like dbus-daemon splits them") {
  std::string error;
  CHECK(split_command("a 'b c' \"d \\\"e\\\"\" f\\ g", error).value() ==
        std::vector<std::string>{"a", "b c", "d \"e\"", "f g"});
  CHECK_FALSE(split_command("a 'b", error).has_value());
  CHECK_FALSE(split_command("a \"b", error).has_value());
  CHECK_FALSE(split_command("", error).has_value());
  const std::vector<std::string> tricky = {"/a b/c", "it's", "$HOME", "x\"y", "", "plain-1.0"};
  CHECK(split_command(join_command(tricky), error).value() == tricky);
  std::string err2;
  CHECK_FALSE(parse_service("[D-BUS Service]\nName=x\n", err2).has_value());
}

TEST_CASE("keys a launcher would run instead of the wrapped Exec are dropped, in every group") {
  // KDE reads Exec with the user's locale first, and splices TerminalOptions into the
  // terminal's command line: either would start the app around cloister.
  const std::string text =
      "[Desktop Entry]\nType=Application\nName=A\nName[de]=A de\nExec=app %U\n"
      "Exec[de]=app %U\nExec[sr@latin]=/usr/bin/app\nTerminal=true\n"
      "TerminalOptions=-e /usr/bin/app\nTerminalOptions[fr]=-e app\nActions=one;\n"
      "[Desktop Action one]\nName=One\nExec=app --one\nExec[de]=app --one\n";
  WrappedEntry w = wrap_entry(input(text));
  KeyFile f = parsed(w.text);
  for (const char* key : {"Exec[de]", "Exec[sr@latin]", "TerminalOptions", "TerminalOptions[fr]"})
    CHECK(value_of(f, "Desktop Entry", key) == "<none>");
  CHECK(value_of(f, "Desktop Action one", "Exec[de]") == "<none>");
  CHECK(value_of(f, "Desktop Entry", "Name[de]") == "A de");  // translations of names stay
  CHECK(w.text.find("/usr/bin/app") == std::string::npos);
  CHECK(std::count_if(w.notes.begin(), w.notes.end(), [](const std::string& n) {
          return n.find("some launchers run it instead of Exec") != std::string::npos;
        }) == 5);
  // KConfig's "[$e]" (shell expansion) suffix is not a locale: the key is refused outright.
  CHECK(wrap_error("[Desktop Entry]\nType=Application\nName=A\nExec=a\nExec[$e]=b\n")
            .find("not a valid key name") != std::string::npos);
}

TEST_CASE("a profile that would read as an option of cloister run is refused") {
  const std::string text = "[Desktop Entry]\nType=Application\nName=A\nExec=app %U\n";
  for (const char* bad : {"--dry-run", "-v", "", "a\nb"}) {
    INFO("profile \"" << bad << "\"");
    CHECK_THROWS_AS(wrap_entry(input(text, bad)), EntryError);
    Service svc{"org.example.A", {"/usr/bin/app"}, false};
    CHECK_THROWS_AS(wrap_service(svc, "s", bad, "/usr/bin/cloister"), EntryError);
  }
  CHECK(wrap_error("[Desktop Entry]\nType=Application\nExec=app\n").find("no Name") !=
        std::string::npos);
}

TEST_CASE("services belong to an entry by the program it runs, never by an interpreter's name") {
  struct Case {
    std::vector<std::string> argv;
    const char* program;
  };
  const Case cases[] = {
      {{"/usr/bin/file-roller", "--service"}, "file-roller"},
      {{"gedit", "--gapplication-service"}, "gedit"},
      {{"env", "UBUNTU_MENUPROXY=0", "audacity", "%F"}, "audacity"},
      {{"/usr/bin/env", "-u", "X", "A=1", "/opt/app/bin/app"}, "app"},
      {{"env", "A=1"}, ""},
      {{"env", "-S", "app --x"}, ""},
      {{"sh", "-c", "exec app"}, ""},
      {{"/usr/bin/python3", "/usr/share/app/app.py"}, ""},
      {{"flatpak", "run", "org.example.App"}, ""},
      {{"env", "FOO=1", "python3", "x.py"}, ""},
      {{}, ""},
  };
  for (const auto& c : cases) {
    INFO(c.argv.size() << " args, first " << (c.argv.empty() ? "" : c.argv[0]));
    CHECK(launched_program(c.argv) == c.program);
  }
  // The entry records each Exec without its field codes, for that matching.
  WrappedEntry w = wrap_entry(
      input("[Desktop Entry]\nType=Application\nName=A\nExec=env A=1 audacity %F --x\n"));
  REQUIRE(w.commands.size() == 1);
  CHECK(w.commands[0] == std::vector<std::string>{"env", "A=1", "audacity", "--x"});
}

TEST_CASE("what desktop-file-validate faults in the packager's entry is put right, losslessly") {
  const std::string text =
      "[Desktop Entry]\nType=Application\nName=NetSurf\nGenericName=Image viewer\n"
      "GenericName[de_DE]=Bildbetrachter\nComment=Image viewer\nComment[de_DE]=Bildbetrachter\n"
      "Comment[fr]=Visionneuse rapide\nIcon=netsurf.png\nSingleMainWindow=true\nExec=app %i %F\n"
      "Actions=one;\n[Desktop Action one]\nName=One\nIcon=/usr/share/pixmaps/one.png\n"
      "Exec=app --one\n";
  WrappedEntry w = wrap_entry(input(text));
  KeyFile f = parsed(w.text);
  CHECK(value_of(f, "Desktop Entry", "Icon") == "netsurf");
  CHECK(value_of(f, "Desktop Action one", "Icon") == "/usr/share/pixmaps/one.png");  // a file
  CHECK(value_of(f, "Desktop Entry", "Comment") == "<none>");
  CHECK(value_of(f, "Desktop Entry", "Comment[de_DE]") == "<none>");
  CHECK(value_of(f, "Desktop Entry", "Comment[fr]") == "Visionneuse rapide");
  CHECK(value_of(f, "Desktop Entry", "GenericName[de_DE]") == "Bildbetrachter");
  CHECK(value_of(f, "Desktop Entry", "SingleMainWindow") == "<none>");
  CHECK(value_of(f, "Desktop Entry", "X-GNOME-SingleWindow") == "true");
  // %i is filled in with the icon name as launchers will look it up.
  CHECK(value_of(f, "Desktop Entry", "Exec") ==
        "/usr/bin/cloister run --forward=3 gedit -- app --icon netsurf %F");
  // gedit's entry has none of these: nothing but Exec, actions and D-Bus activation changes.
  CHECK(wrap_entry(input(kGedit)).notes.size() == 2);
}
