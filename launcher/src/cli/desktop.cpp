// cloister desktop install [--bin] [--dry-run] (PROFILE... | --all)
// cloister desktop remove [--dry-run] (PROFILE... | --all)
// cloister desktop list [--json]
//
// Menu entries, D-Bus service files and command links that start apps through their profiles.
// Everything is worked out first; with PROFILE arguments one refusal means nothing is written.
#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/desktop_ops.hpp"
#include "desktop/entry.hpp"

namespace po = boost::program_options;

namespace cloister::cli {
namespace {

namespace dh = desktop_host;
using desktop_ops::Change;
using desktop_ops::ProfileChanges;

constexpr const char* kUsage =
    "usage: cloister desktop install [--bin] [--dry-run] (PROFILE... | --all)\n"
    "       cloister desktop remove [--dry-run] (PROFILE... | --all)\n"
    "       cloister desktop list [--json]";

struct Args {
  std::string action;
  std::vector<std::string> profiles;
  bool all = false;
  bool bin = false;
  bool dry_run = false;
  bool json = false;
  bool help = false;
};

Args parse(const std::vector<std::string>& argv) {
  Args a;
  if (argv.empty()) throw UsageError(std::string("desktop: no action given\n") + kUsage);
  a.action = argv[0];
  if (a.action == "--help" || a.action == "-h") {
    a.help = true;
    return a;
  }
  if (a.action != "install" && a.action != "remove" && a.action != "list")
    throw UsageError("desktop: unknown action `" + a.action + "`\n" + kUsage);
  po::options_description opts("options");
  opts.add_options()("all", po::bool_switch(&a.all), "every profile (install: whose app is here)")(
      "bin", po::bool_switch(&a.bin), "install: also a command link ~/.local/bin/<command>")(
      "dry-run,n", po::bool_switch(&a.dry_run), "say what would be done, change nothing")(
      "json", po::bool_switch(&a.json), "list: JSON")("help,h", po::bool_switch(&a.help),
                                                      "show this help");
  po::options_description all;
  all.add(opts).add_options()("profile", po::value<std::vector<std::string>>(&a.profiles));
  po::positional_options_description pos;
  pos.add("profile", -1);
  po::variables_map vm;
  try {
    std::vector<std::string> rest(argv.begin() + 1, argv.end());
    po::store(po::command_line_parser(rest).options(all).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError("desktop " + a.action + ": " + e.what() + "\n" + kUsage);
  }
  if (a.help) return a;
  const bool is_list = a.action == "list";
  if (is_list && (a.all || a.bin || a.dry_run || !a.profiles.empty()))
    throw UsageError(std::string("desktop list takes only --json\n") + kUsage);
  if (!is_list && a.json) throw UsageError(std::string("--json is for desktop list\n") + kUsage);
  if (a.action == "remove" && a.bin)
    throw UsageError(std::string("desktop remove: --bin is not needed; remove takes the "
                                 "command link away too\n") +
                     kUsage);
  if (!is_list && a.all == !a.profiles.empty())
    throw UsageError("desktop " + a.action + ": give PROFILE names or --all, not " +
                     (a.all ? "both" : "neither") + "\n" + kUsage);
  return a;
}

desktop_ops::Context make_context(const host::HostFacts& host) {
  desktop_ops::Context ctx;
  ctx.load = load_context(host);
  ctx.dirs = dh::dirs(host);
  ctx.services = dh::host_services(ctx.dirs);
  if (ctx.dirs.cloister.empty()) throw Error("cannot tell where the cloister binary is");
  return ctx;
}

std::string what(const Change& c) {
  switch (c.kind) {
    case Change::Kind::Entry:
      return "menu entry " + c.path();
    case Change::Kind::Service:
      return "D-Bus service " + c.path();
    case Change::Kind::Link:
      return "command link " + c.path();
  }
  return c.path();
}

void apply(const Change& c) {
  if (c.unchanged) return;
  if (c.kind == Change::Kind::Link) {
    dh::make_link(c.dir, c.name, c.content);
  } else {
    dh::write_atomic(c.dir, c.name, c.content);
  }
}

int install(const Args& a, const desktop_ops::Context& ctx) {
  std::vector<std::string> names = a.profiles;
  if (a.all)
    for (const auto& [name, file] : profile::list_profiles(ctx.load)) names.push_back(name);
  std::vector<ProfileChanges> plans;
  bool refused = false;
  for (const auto& name : names) {
    plans.push_back(desktop_ops::plan_install(name, ctx, a.bin));
    refused = refused || !plans.back().skipped.empty();
  }
  if (refused && !a.all) {
    for (const auto& p : plans)
      if (!p.skipped.empty())
        std::fprintf(stderr, "cloister: desktop install %s: %s\n", p.name.c_str(),
                     p.skipped.c_str());
    std::fprintf(stderr, "cloister: nothing was installed\n");
    return 1;
  }
  bool wrote = false;
  for (const auto& p : plans) {
    if (!p.skipped.empty()) {
      std::printf("skipped %s: %s\n", p.name.c_str(), p.skipped.c_str());
      continue;
    }
    for (const auto& c : p.changes) {
      const char* verb = c.unchanged ? "unchanged" : c.replaces ? "updated" : "installed";
      if (!a.dry_run) apply(c);
      wrote = wrote || !c.unchanged;
      std::printf("%s: %s%s %s%s\n", p.name.c_str(), a.dry_run && !c.unchanged ? "would be " : "",
                  verb, what(c).c_str(),
                  c.source.empty() ? "" : (" (from " + c.source + ")").c_str());
    }
    for (const auto& n : p.notes) std::printf("%s: %s\n", p.name.c_str(), n.c_str());
    for (const auto& w : p.warnings)
      std::fprintf(stderr, "cloister: warning: %s: %s\n", p.name.c_str(), w.c_str());
  }
  if (wrote && !a.dry_run) {
    std::string note = dh::update_desktop_database(ctx.dirs);
    if (!note.empty()) std::fprintf(stderr, "cloister: warning: %s\n", note.c_str());
  }
  return 0;
}

int remove(const Args& a, const desktop_ops::Context& ctx) {
  std::vector<std::string> paths;  // files and links to remove
  std::vector<std::string> left;   // same-named files that are not ours
  if (a.all) {
    paths = dh::marked_files(ctx.dirs.applications, ".desktop");
    for (const auto& s : dh::marked_files(ctx.dirs.services, ".service")) paths.push_back(s);
    for (const auto& l : dh::our_links(ctx.dirs.bin)) paths.push_back(ctx.dirs.bin + "/" + l);
  }
  for (const auto& name : a.profiles) {
    std::size_t before = paths.size();
    for (const auto* dir : {&ctx.dirs.applications, &ctx.dirs.services}) {
      for (const auto& f :
           dh::marked_files(*dir, dir == &ctx.dirs.services ? ".service" : ".desktop")) {
        dh::Existing e = dh::existing_file(f);
        if (e.profile == name || dh::canonical(e.profile) == dh::canonical(name))
          paths.push_back(f);
      }
    }
    try {
      profile::Profile prof = profile::load(name, ctx.load);
      const std::string ln = desktop_ops::link_name(prof);
      if (!ln.empty() && dh::link_state(ctx.dirs.bin + "/" + ln) == dh::LinkState::Ours)
        paths.push_back(ctx.dirs.bin + "/" + ln);
      const std::string entry = ctx.dirs.applications + "/" + prof.desktop_entry.value;
      if (!prof.desktop_entry.value.empty() && dh::existing_file(entry).state == dh::State::Foreign)
        left.push_back(entry);
    } catch (const Error&) {
      // The profile is gone or broken: the marked files above are all there is to find.
    }
    if (paths.size() == before)
      std::printf("%s: nothing of cloister's is installed for it\n", name.c_str());
  }
  bool removed = false;
  for (const auto& p : paths) {
    bool link = p.rfind(ctx.dirs.bin + "/", 0) == 0;
    bool done = a.dry_run || (link ? dh::remove_link(p) : dh::remove_marked(p));
    removed = removed || (done && !a.dry_run);
    if (done) std::printf("%s%s\n", a.dry_run ? "would remove " : "removed ", p.c_str());
  }
  for (const auto& l : left) std::printf("left %s: it is not cloister's\n", l.c_str());
  if (removed) {
    std::string note = dh::update_desktop_database(ctx.dirs);
    if (!note.empty()) std::fprintf(stderr, "cloister: warning: %s\n", note.c_str());
  }
  return 0;
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

int list(const Args& a, const desktop_ops::Context& ctx) {
  auto rows = desktop_ops::list_status(ctx);
  if (a.json) {
    std::string out = "[";
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const auto& r = rows[i];
      auto opt = [](const std::string& s) { return s.empty() ? "null" : json_string(s); };
      std::string services = "[";
      for (std::size_t j = 0; j < r.services.size(); ++j)
        services += (j ? "," : "") + json_string(r.services[j]);
      services += "]";
      out += std::string(i ? "," : "") + "\n  {\"profile\": " + json_string(r.profile) +
             ", \"entry\": " + opt(r.entry) + ", \"host_entry\": " + opt(r.host_entry) +
             ", \"installed\": " + (r.installed ? "true" : "false") +
             ", \"stale\": " + (r.stale ? "true" : "false") +
             ", \"state\": " + json_string(r.state) + ", \"reason\": " + opt(r.reason) +
             ", \"entry_file\": " + opt(r.entry_file) + ", \"services\": " + services +
             ", \"link\": " + opt(r.link) + "}";
    }
    std::cout << out << (rows.empty() ? "]\n" : "\n]\n");
    return 0;
  }
  std::printf("%-20s %-18s %-44s %s\n", "PROFILE", "STATE", "ENTRY", "WRAPPERS");
  for (const auto& r : rows) {
    std::string wrappers;
    if (!r.entry_file.empty()) wrappers = "entry";
    if (!r.services.empty())
      wrappers += std::string(wrappers.empty() ? "" : ", ") + std::to_string(r.services.size()) +
                  " D-Bus service" + (r.services.size() == 1 ? "" : "s");
    if (!r.link.empty()) wrappers += std::string(wrappers.empty() ? "" : ", ") + "link " + r.link;
    std::printf("%-20s %-18s %-44s %s\n", r.profile.c_str(), r.state.c_str(), r.entry.c_str(),
                wrappers.empty() ? "-" : wrappers.c_str());
    if (!r.reason.empty()) std::printf("%-20s   %s\n", "", r.reason.c_str());
  }
  std::fprintf(stderr, "entries go to %s, services to %s, links to %s\n",
               ctx.dirs.applications.c_str(), ctx.dirs.services.c_str(), ctx.dirs.bin.c_str());
  return 0;
}

}  // namespace

int desktop_command(const std::vector<std::string>& args) {
  Args a = parse(args);
  if (a.help) {
    std::printf(
        "%s\n\n"
        "install  writes, for each profile, its app's menu entry to $XDG_DATA_HOME/applications\n"
        "         (shadowing the host's), with every Exec running the app through cloister and\n"
        "         files opened with it bound alone into the sandbox; the app's D-Bus session\n"
        "         services to $XDG_DATA_HOME/dbus-1/services; with --bin, ~/.local/bin/<command>\n"
        "         -> cloister. --all: every profile whose app's entry is here.\n"
        "remove   deletes what cloister wrote (files carrying its marker, links to cloister);\n"
        "         nothing else, ever.\n"
        "list     each profile with a desktop-entry: installed, stale (the host entry changed,\n"
        "         or another cloister wrote it: install again), not installed, ...\n",
        kUsage);
    return 0;
  }
  const host::HostFacts host = host::gather();
  const desktop_ops::Context ctx = make_context(host);
  if (a.action == "install") return install(a, ctx);
  if (a.action == "remove") return remove(a, ctx);
  return list(a, ctx);
}

}  // namespace cloister::cli
