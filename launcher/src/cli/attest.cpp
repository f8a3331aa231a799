// cloister attest [--json] INSTANCE: compares a running sandbox with its recorded plan, from
// outside and without privilege. Exit 0 when every claim holds, 1 on any drift.
#include "instance/attest.hpp"

#include <iostream>

#include "cli/commands.hpp"
#include "cli/instance_args.hpp"
#include "sys/json.hpp"
#include "sys/printable.hpp"

namespace cloister::cli {
namespace {

constexpr const char* kAttestUsage = "usage: cloister attest [--json] [-v] INSTANCE";

}  // namespace

int attest_command(const std::vector<std::string>& args) {
  InstanceCommand c{kAttestUsage,
                    "Checks from outside that the running sandbox INSTANCE is what its plan "
                    "promised: for pid 1 and\nevery process in it, no capabilities, no_new_privs "
                    "and the seccomp filter; namespaces that are\nthe sandbox's and not the "
                    "launcher's; the id maps; and every mount as planned, read-only\nwhere "
                    "planned, nothing more. Each claim is reported as ok or drift."};
  c.json = true;
  c.status_help =
      "exit status: 0 every claim holds, 1 drift (or failure), 2 bad usage or no such instance.";
  const InstanceArgs a = parse_instance_args(args, c);
  if (a.help) return 0;
  const exec::Instances found = list_instances_here();
  const instance::Record& record = exec::select_instance(found, a.instance);
  const instance::Observation seen = instance::observe(record);
  const std::vector<instance::Claim> claims = instance::attest(record, seen);
  // The sandbox may have ended while it was read: then nothing above is worth reporting.
  if (!instance::still_running(record.pid1.pid, record.pid1.start))
    throw Error(record.id + " ended while it was being attested");

  size_t drifts = 0;
  for (const auto& claim : claims) drifts += claim.ok ? 0 : 1;
  if (a.json) {
    std::cout << "{\"id\":" << json::str(record.id) << ",\"pid\":" << record.pid1.pid
              << ",\"processes\":" << seen.processes.size()
              << ",\"result\":" << (drifts ? "\"drift\"" : "\"ok\"") << ",\"claims\":[";
    for (size_t i = 0; i < claims.size(); ++i) {
      const auto& cl = claims[i];
      std::cout << (i ? ",\n " : "\n ") << "{\"subject\":" << json::str(cl.subject)
                << ",\"claim\":" << json::str(cl.what)
                << ",\"result\":" << (cl.ok ? "\"ok\"" : "\"drift\"")
                << ",\"detail\":" << json::str(cl.detail) << "}";
    }
    std::cout << "\n]}\n";
  } else {
    std::cout << "attest " << record.id << ": pid 1 is host pid " << record.pid1.pid << ", "
              << seen.processes.size() << " process" << (seen.processes.size() == 1 ? "" : "es")
              << "\n";
    for (const auto& cl : claims)
      // A process names itself: its name must not be able to hide the lines after it.
      std::cout << (cl.ok ? "ok     " : "DRIFT  ") << printable(cl.subject) << ": "
                << printable(cl.what) << ": " << printable(cl.detail) << "\n";
    std::cout << "result: " << (drifts ? "drift" : "ok") << " (" << drifts << " of "
              << claims.size() << " claims drifted)\n";
  }
  return drifts ? 1 : 0;
}

}  // namespace cloister::cli
