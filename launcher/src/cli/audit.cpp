// cloister audit [--json] [--live] [--fail-on high|medium|low] PROFILE
// What the profile isolates, every grant with its source line, the risks; with --live, each
// claim checked from inside a real sandbox. Exit 0 ran (and every check passed), 1 a live check
// failed or a risk reached --fail-on, 2 bad usage or an invalid profile.
#include <unistd.h>

#include <boost/program_options.hpp>
#include <iostream>

#include "audit/report.hpp"
#include "cli/audit_live.hpp"
#include "cli/commands.hpp"
#include "plan/plan.hpp"

namespace po = boost::program_options;

namespace cloister::cli {
namespace {

constexpr const char* kAuditUsage =
    "usage: cloister audit [--json] [--live] [--fail-on high|medium|low] PROFILE";

struct AuditArgs {
  std::string profile;
  bool json = false;
  bool live = false;
  std::string fail_on;
  bool help = false;
};

AuditArgs parse(const std::vector<std::string>& args) {
  AuditArgs a;
  po::options_description visible("options");
  visible.add_options()("json", po::bool_switch(&a.json),
                        "print the report as JSON (schema: docs/audit.md)")(
      "live", po::bool_switch(&a.live),
      "start the sandbox with cloister-probe in place of the app and check every claim from "
      "inside")("fail-on", po::value(&a.fail_on)->value_name("SEVERITY"),
                "exit 1 when a risk of this severity or higher is found (high, medium, low)")(
      "help,h", po::bool_switch(&a.help), "show this help");
  po::options_description all;
  all.add(visible).add_options()("profile", po::value<std::vector<std::string>>());
  po::positional_options_description pos;
  pos.add("profile", -1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(all).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError(std::string(e.what()) + "\n" + kAuditUsage);
  }
  if (a.help) {
    std::cout << kAuditUsage << "\n\n"
              << "Shows what PROFILE lets its app see and do: identity and namespaces, every host\n"
                 "path with the profile line that granted it, devices, desktop, D-Bus, network,\n"
                 "seccomp, environment, limits, and the risks, ranked.\n\n"
              << visible
              << "\nexit status: 0 the audit ran (and with --live every check passed); 1 a live\n"
                 "check failed, or a risk reached --fail-on; 2 bad usage or an invalid profile.\n";
    return a;
  }
  if (!a.fail_on.empty() && a.fail_on != "high" && a.fail_on != "medium" && a.fail_on != "low")
    throw UsageError("audit: --fail-on takes high, medium or low, not \"" + a.fail_on + "\"\n" +
                     kAuditUsage);
  if (!vm.count("profile"))
    throw UsageError(std::string("audit: no PROFILE given\n") + kAuditUsage);
  const auto& positional = vm["profile"].as<std::vector<std::string>>();
  if (positional.size() > 1)
    throw UsageError("audit: one PROFILE at a time (got `" + positional[1] + "` too)\n" +
                     kAuditUsage);
  a.profile = positional[0];
  return a;
}

}  // namespace

int audit_command(const std::vector<std::string>& args) {
  AuditArgs a = parse(args);
  if (a.help) return 0;

  host::HostFacts host = host::gather();
  const profile::LoadContext ctx = load_context(host);
  profile::Profile prof = profile::load(a.profile, ctx);
  add_profile_facts(host, prof);
  plan::RunOptions options;
  options.instance = prof.name + "-audit-" + std::to_string(::getpid());
  options.report_only = true;  // a grant `run` refuses is a risk to report here
  plan::SandboxPlan sandbox = plan::build_plan(prof, host, options);
  audit::Report report = audit::build_report(prof, host, sandbox, ctx.override_dir);
  if (a.live) {
    // A helper this host cannot start (pasta missing: a warning in the report) stops the
    // launch, as `run` would refuse it.
    for (const auto& h : sandbox.helpers) {
      if (!h.argv.empty() && !h.argv[0].empty()) continue;
      std::string why;
      for (const auto& w : sandbox.warnings)
        if (w.find("namespaces.network: ") != std::string::npos) why = w;
      throw Error("audit --live: " + h.name + " cannot be started here: " + why);
    }
    report.live = true;
    report.checks = live_checks(prof, host, sandbox, options);
  }
  std::cout << (a.json ? audit::to_json(report) : audit::to_text(report));
  std::cout.flush();
  return audit::exit_status(report, a.fail_on);
}

}  // namespace cloister::cli
