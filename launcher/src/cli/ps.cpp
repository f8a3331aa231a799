// cloister ps [--json]: the running sandboxes of this user, from their instance records.
#include <ctime>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/instance_args.hpp"
#include "exec/instance_store.hpp"
#include "sys/json.hpp"
#include "sys/printable.hpp"

namespace cloister::cli {
namespace {

constexpr const char* kPsUsage = "usage: cloister ps [--json] [-v]";

std::string uptime_text(std::int64_t seconds) {
  if (seconds < 0) seconds = 0;
  char buf[32];
  const long long d = seconds / 86400, h = seconds / 3600 % 24, m = seconds / 60 % 60,
                  s = seconds % 60;
  if (d > 0) {
    std::snprintf(buf, sizeof buf, "%lldd%02lld:%02lld", d, h, m);
  } else if (h > 0) {
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", h, m, s);
  } else {
    std::snprintf(buf, sizeof buf, "%lld:%02lld", m, s);
  }
  return buf;
}

void print_table(const exec::Instances& found, std::int64_t now) {
  std::vector<std::vector<std::string>> rows = {{"ID", "APP", "PID", "UPTIME", "COMMAND"}};
  for (const auto& r : found.running)
    rows.push_back({printable(r.id), printable(r.app), std::to_string(r.pid1.pid),
                    uptime_text(now - r.started_unix), instance::command_line(r.argv)});
  std::vector<size_t> width(4, 0);
  for (const auto& row : rows)
    for (size_t i = 0; i < 4; ++i) width[i] = std::max(width[i], row[i].size());
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < 4; ++i) line += row[i] + std::string(width[i] - row[i].size() + 2, ' ');
    std::cout << line << row[4] << "\n";
  }
}

void print_json(const exec::Instances& found, std::int64_t now) {
  std::cout << "[";
  for (size_t i = 0; i < found.running.size(); ++i) {
    const auto& r = found.running[i];
    std::cout << (i ? ",\n " : "\n ") << "{\"id\":" << json::str(r.id)
              << ",\"app\":" << json::str(r.app) << ",\"pid\":" << r.pid1.pid
              << ",\"launcher_pid\":" << r.launcher.pid << ",\"started\":" << r.started_unix
              << ",\"uptime_seconds\":" << std::max<std::int64_t>(0, now - r.started_unix)
              << ",\"command\":" << json::strs(r.argv)
              << ",\"profile_files\":" << json::strs(r.profile_files) << "}";
  }
  std::cout << (found.running.empty() ? "]\n" : "\n]\n");
}

}  // namespace

int ps_command(const std::vector<std::string>& args) {
  InstanceCommand c{kPsUsage,
                    "Lists your running sandboxes: id, app, the host pid of the sandbox's pid 1, "
                    "uptime and command."};
  c.instance = false;
  c.json = true;
  c.status_help = "exit status: 0 listed (none running is not an error), 1 failed, 2 bad usage.";
  const InstanceArgs a = parse_instance_args(args, c);
  if (a.help) return 0;
  const exec::Instances found = list_instances_here();
  if (found.no_runtime_dir)
    std::cerr << "cloister: " << found.base_dir
              << ": no runtime directory (XDG_RUNTIME_DIR), so no sandbox is recorded\n";
  const auto now = static_cast<std::int64_t>(std::time(nullptr));
  if (a.json) {
    print_json(found, now);
  } else {
    print_table(found, now);
  }
  return 0;
}

}  // namespace cloister::cli
