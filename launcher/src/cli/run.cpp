// cloister run [--dry-run] [-v] [--open FILE]... [--forward N[:M]] PROFILE [-- COMMAND [ARG...]]
#include "exec/run.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <cerrno>
#include <cstdio>
#include <iostream>

#include "cli/commands.hpp"
#include "exec/protected.hpp"
#include "plan/plan.hpp"
#include "seccomp/cache.hpp"
#include "seccomp/rules.hpp"
#include "sys/log.hpp"
#include "sys/unique_fd.hpp"

namespace po = boost::program_options;

namespace cloister::cli {
namespace {

constexpr const char* kRunUsage =
    "usage: cloister run [--dry-run] [-v] [--open FILE|URI]... [--forward N[:M]] PROFILE\n"
    "                    [-- COMMAND [ARG...]]";

struct RunArgs {
  std::string profile;
  std::vector<std::string> command;
  std::vector<std::string> open;  // --open: appended to the command, each bound alone
  std::string forward;            // --forward N[:M]: COMMAND's arguments N.. but the last M
  bool dry_run = false;
  bool verbose = false;
  bool help = false;
};

// "N" or "N:M" -> the indices of `command` it covers.
std::vector<std::size_t> forward_indices(const std::string& spec, std::size_t size) {
  auto number = [&](const std::string& text) {
    if (text.empty() || text.size() > 6 ||
        text.find_first_not_of("0123456789") != std::string::npos)
      throw UsageError("run: --forward " + spec +
                       ": expected N or N:M, the first forwarded argument of COMMAND (0 is the "
                       "program) and how many at the end are not forwarded");
    return static_cast<std::size_t>(std::stoul(text));
  };
  const std::size_t colon = spec.find(':');
  const std::size_t first = number(spec.substr(0, colon));
  const std::size_t tail = colon == std::string::npos ? 0 : number(spec.substr(colon + 1));
  if (first == 0)
    throw UsageError("run: --forward " + spec + ": the program itself (0) is never a file");
  // The desktop entry's own arguments are all there; fewer means the line was not ours.
  if (first + tail > size)
    throw UsageError("run: --forward " + spec + ": COMMAND has only " + std::to_string(size) +
                     " element(s)");
  std::vector<std::size_t> out;
  for (std::size_t i = first; i + tail < size; ++i) out.push_back(i);
  return out;
}

RunArgs parse(const std::vector<std::string>& args) {
  // Everything after the first "--" is the command, never an option of ours (flatpak's
  // CVE-2024-32462 came from parsing the app's argv as launcher options).
  auto dash = std::find(args.begin(), args.end(), "--");
  std::vector<std::string> ours(args.begin(), dash);
  RunArgs r;
  if (dash != args.end()) r.command.assign(dash + 1, args.end());

  po::options_description visible("options");
  visible.add_options()("dry-run,n", po::bool_switch(&r.dry_run), "print the plan, touch nothing")(
      "verbose,v", po::bool_switch(&r.verbose), "log each setup step")(
      "open,o", po::value<std::vector<std::string>>(&r.open)->value_name("FILE"),
      "append FILE (a path or file:// URI) to the command and bind that file alone into the "
      "sandbox at the same path (a directory: that directory); repeatable")(
      "forward", po::value<std::string>(&r.forward)->value_name("N[:M]"),
      "bind the files named by COMMAND's arguments N (1 = the first after the program) to the "
      "end, but the last M; used by the menu entries `cloister desktop install` writes")(
      "help,h", po::bool_switch(&r.help), "show this help");
  po::options_description all;
  all.add(visible).add_options()("profile", po::value<std::vector<std::string>>());
  po::positional_options_description pos;
  pos.add("profile", -1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(ours).options(all).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError(std::string(e.what()) + "\n" + kRunUsage);
  }
  if (r.help) {
    std::cout << kRunUsage << "\n\n"
              << "Runs the profile's command (or COMMAND) in a sandbox built from PROFILE, a name\n"
                 "on the profile search path or a path to a .toml file.\n\n"
              << visible
              << "\nFile arguments get the profile's [filesystem] file-arguments access (default\n"
                 "read-only; read-write only where you can write). Other URIs pass unchanged.\n"
              << "\nexit status: the app's; 128+N if a signal N killed it; 125 if\n"
              << "cloister failed before starting it; 126 not executable; 127 not found.\n";
    return r;
  }
  if (!vm.count("profile")) throw UsageError(std::string("run: no PROFILE given\n") + kRunUsage);
  const auto& positional = vm["profile"].as<std::vector<std::string>>();
  if (positional.size() > 1)
    throw UsageError("run: unexpected argument `" + positional[1] +
                     "`; put the command after --, e.g. cloister run " + positional[0] + " -- " +
                     positional[1]);
  r.profile = positional[0];
  if (!r.forward.empty() && r.command.empty())
    throw UsageError(std::string("run: --forward needs a COMMAND after --\n") + kRunUsage);
  return r;
}

}  // namespace

// Creates the persistent home ${XDG_DATA_HOME}/cloister/home/<app>, owner-only. The data home
// itself is the user's own; below it each component is made and opened without following
// symlinks, so a link planted there (say by a sandboxed app that can write the data home)
// cannot turn the app's home into some other host directory.
void ensure_persistent_home(const profile::Profile& prof, const host::HostFacts& host) {
  const std::string dir = plan::persistent_home_dir(prof, host);
  const std::string base = dir.substr(0, dir.size() - ("/cloister/home/" + prof.name).size());
  for (size_t pos = 1; pos != std::string::npos;) {
    pos = base.find('/', pos + 1);
    const std::string partial = base.substr(0, pos);
    if (::mkdir(partial.c_str(), 0700) == -1 && errno != EEXIST)
      throw SysError("creating " + partial, errno);
  }
  UniqueFd fd(::open(base.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!fd) throw SysError("opening " + base, errno);
  std::string path = base;
  for (const std::string& part : {std::string("cloister"), std::string("home"), prof.name}) {
    path += "/" + part;
    if (::mkdirat(fd.get(), part.c_str(), 0700) == -1 && errno != EEXIST)
      throw SysError("creating the persistent home " + path, errno);
    UniqueFd next(::openat(fd.get(), part.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!next)
      throw SysError("opening " + path + " (a symlink there is refused; move it away)", errno);
    fd = std::move(next);
  }
}

namespace {

// The whole command (the profile's or COMMAND, then the --open files) and its file arguments.
host::OpenedFiles open_files(const RunArgs& r, const profile::Profile& prof, host::HostFacts& host,
                             std::vector<std::string>& command) {
  const std::vector<std::size_t> forwarded =
      r.forward.empty() ? std::vector<std::size_t>{} : forward_indices(r.forward, r.command.size());
  if (r.open.empty() && forwarded.empty()) return {};
  command = r.command.empty() ? prof.command.value : r.command;
  if (command.empty())
    throw UsageError("profile " + prof.name +
                     " has no [app] command to give the files to; give one after --");
  std::vector<std::size_t> explicit_files;
  for (const auto& file : r.open) {
    explicit_files.push_back(command.size());
    command.push_back(file);
  }
  return host::open_file_args(host, command, explicit_files, forwarded);
}

}  // namespace

host::DesktopNeeds desktop_needs(const profile::Profile& p) {
  host::DesktopNeeds needs;
  needs.x11 = p.x11.value;
  needs.audio = p.audio.value;
  needs.dbus_proxy = p.dbus_session.value == profile::DbusMode::Filtered ||
                     p.dbus_system.value == profile::DbusMode::Filtered;
  return needs;
}

int run_command(const std::vector<std::string>& args) {
  RunArgs r = parse(args);
  if (r.help) return 0;
  if (r.verbose) log::set_level(log::Level::Debug);

  host::HostFacts host = host::gather();
  profile::Profile prof = profile::load(r.profile, load_context(host));
  log::debug("profile %s from %zu file(s)", prof.name.c_str(), prof.files.size());

  add_profile_facts(host, prof);
  plan::RunOptions options{r.command, prof.name + "-" + std::to_string(::getpid()), {}};
  // The risk table is printed by --dry-run only: a launch neither runs it nor reads its paths.
  options.risks = r.dry_run;
  // The files are opened now, once, and stay open until the sandbox is built.
  host::OpenedFiles files = open_files(r, prof, host, options.command);
  options.files = files.files;
  plan::SandboxPlan sandbox = plan::build_plan(prof, host, options);
  if (prof.home.value == profile::HomeMode::Persistent && !r.dry_run) {
    // Only once the plan is known to be valid: a failed launch leaves nothing behind. The
    // plan is then made again with the directory's real facts.
    const std::string dir = plan::persistent_home_dir(prof, host);
    if (host.path(dir).type == host::FileType::Missing) {
      ensure_persistent_home(prof, host);
      host.forget(dir);
      sandbox = plan::build_plan(prof, host, options);
    }
  }
  if (sandbox.argv.empty())
    throw UsageError("profile " + prof.name +
                     " has no [app] command; give one after --, e.g. "
                     "cloister run " +
                     r.profile + " -- sh");
  if (r.dry_run) {
    std::cout << plan::describe(sandbox);
    return 0;
  }
  for (const auto& line : sandbox.file_args) log::debug("file %s", line.c_str());
  for (const auto& note : sandbox.notes) log::debug("%s", note.c_str());
  for (const auto& warning : sandbox.warnings) log::warn("%s", warning.c_str());
  log::debug("plan: %zu mount operations", sandbox.mounts.size());
  std::string how;
  std::vector<sock_filter> bpf =
      seccomp::compile_bpf_cached(sandbox.seccomp, plan::cache_home(host), how);
  log::debug("seccomp: %zu instructions, %s", bpf.size(), how.c_str());
  exec::check_protected_paths(sandbox);
  return exec::run(sandbox, bpf);
}

}  // namespace cloister::cli
