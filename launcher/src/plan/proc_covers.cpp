// What of a fresh /proc the sandbox does not get: kernel internals masked, knobs read-only.
// The proc of a new pid namespace still shows the host kernel's global files; those below tell
// an app nothing it needs and help an exploit (symbol names, memory layout, allocator state),
// fingerprint the machine (boot parameters, kernel configuration, modules) or reach past the
// sandbox (the user's key names, timers of every host process, a writable PSI trigger). The
// list follows what container runtimes and firejail mask, minus what desktop apps do read
// (cpuinfo, meminfo, stat, uptime, loadavg, asound, ...).
#include "plan/mount_builder.hpp"

namespace cloister::plan {
namespace {

// Masked with an empty read-only file. Absent ones (kernel options) are skipped at mount time.
constexpr const char* kMasked[] = {
    "buddyinfo",  // free pages per order: heap-grooming feedback for exploits
    "cmdline",    // boot parameters (root device, sometimes tokens)
    "config.gz",  // the kernel's configuration: which bugs are reachable
    "iomem",      // physical memory map
    "ioports",    //
    "kallsyms",   // kernel symbols (addresses are zeroed for users, names are not)
    "kcore",      // kernel memory (root-only; a second wall)
    "key-users",  // per-user key quotas
    "keys",       // the names of the user's keys in every keyring the user can view
    "kmsg",       // the kernel log (root-only; a second wall)
    "kpagecgroup",   "kpagecount",  "kpageflags",  // physical page state (root-only)
    "latency_stats", "sched_debug", "timer_list",  "timer_stats",  // every host task, by name
    "modules",  // loaded modules: hardware and security software on the host
    "pagetypeinfo",  "slabinfo",    "vmallocinfo", "zoneinfo",  // allocator state
};

// Bound over themselves read-only: they change the host kernel (sysctls, sysrq, IRQ affinity,
// PCI config, filesystem and driver knobs) or, for the PSI files, let anyone open a trigger.
constexpr const char* kReadOnly[] = {"acpi",     "bus",  "driver", "fs",           "irq",
                                     "pressure", "scsi", "sys",    "sysrq-trigger"};

}  // namespace

std::vector<MountOp> proc_covers(const std::string& proc) {
  std::vector<MountOp> out;
  for (const char* name : kReadOnly) {
    MountOp op;
    op.kind = MountKind::ReadOnly;
    op.target = proc + "/" + name;
    op.read_only = true;
    op.origin = "built-in: kernel knob, where present";
    out.push_back(std::move(op));
  }
  for (const char* name : kMasked) {
    MountOp op;
    op.kind = MountKind::Hide;
    op.target = proc + "/" + name;
    op.read_only = true;
    op.source_is_dir = false;
    op.mode = 0;
    op.origin = "built-in: kernel internals, where present";
    out.push_back(std::move(op));
  }
  return out;
}

}  // namespace cloister::plan
