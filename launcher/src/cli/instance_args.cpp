#include "cli/instance_args.hpp"

#include <algorithm>
#include <boost/program_options.hpp>
#include <cmath>
#include <iostream>

#include "host/host_facts.hpp"
#include "plan/plan.hpp"
#include "sys/error.hpp"
#include "sys/log.hpp"

namespace po = boost::program_options;

namespace cloister::cli {

InstanceArgs parse_instance_args(const std::vector<std::string>& args, const InstanceCommand& c) {
  InstanceArgs r;
  // As for run: after "--" everything is the command, never an option of ours.
  auto dash = std::find(args.begin(), args.end(), "--");
  if (dash != args.end() && !c.command)
    throw UsageError(std::string("unexpected `--`\n") + c.usage);
  std::vector<std::string> ours(args.begin(), dash);
  if (dash != args.end()) r.command.assign(dash + 1, args.end());

  bool verbose = false;
  po::options_description visible("options");
  if (c.json) visible.add_options()("json", po::bool_switch(&r.json), "print JSON");
  if (c.timeout)
    visible.add_options()("timeout,t", po::value<double>(&r.timeout_s)->default_value(10),
                          "seconds between SIGTERM and SIGKILL");
  if (c.all) visible.add_options()("all,a", po::bool_switch(&r.all), "every running sandbox");
  visible.add_options()("verbose,v", po::bool_switch(&verbose), "say more")(
      "help,h", po::bool_switch(&r.help), "show this help");
  po::options_description all;
  all.add(visible).add_options()("instance", po::value<std::vector<std::string>>());
  po::positional_options_description pos;
  pos.add("instance", -1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(ours).options(all).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError(std::string(e.what()) + "\n" + c.usage);
  }
  if (r.help) {
    std::cout << c.usage << "\n\n" << c.about << "\n\n" << visible << "\n" << c.status_help << "\n";
    return r;
  }
  if (verbose) log::set_level(log::Level::Debug);
  std::vector<std::string> positional;
  if (vm.count("instance")) positional = vm["instance"].as<std::vector<std::string>>();
  if (!c.instance && !positional.empty())
    throw UsageError("unexpected argument `" + positional[0] + "`\n" + c.usage);
  if (c.instance) {
    if (positional.size() > 1)
      throw UsageError("unexpected argument `" + positional[1] + "`" +
                       (c.command ? "; put the command after --" : "") + "\n" + c.usage);
    if (positional.empty() && !r.all)
      throw UsageError(std::string("no INSTANCE given (`cloister ps` lists them)\n") + c.usage);
    if (!positional.empty() && r.all)
      throw UsageError(std::string("give INSTANCE or --all, not both\n") + c.usage);
    if (!positional.empty()) r.instance = positional[0];
  }
  if (c.timeout && (!std::isfinite(r.timeout_s) || r.timeout_s < 0 || r.timeout_s > 86400))
    throw UsageError("--timeout: give seconds between 0 and 86400\n" + std::string(c.usage));
  return r;
}

exec::Instances list_instances_here() {
  return exec::list_instances(plan::instance_base_dir(host::gather()));
}

}  // namespace cloister::cli
