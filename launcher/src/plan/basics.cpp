#include "plan/plan.hpp"

namespace cloister::plan {

std::string IdMap::text() const {
  return std::to_string(inside) + " " + std::to_string(outside) + " " + std::to_string(count) +
         "\n";
}

const char* to_string(MountKind k) {
  switch (k) {
    case MountKind::Bind:
      return "bind";
    case MountKind::Tmpfs:
      return "tmpfs";
    case MountKind::Proc:
      return "proc";
    case MountKind::Devpts:
      return "devpts";
    case MountKind::Dir:
      return "dir";
    case MountKind::Symlink:
      return "symlink";
    case MountKind::File:
      return "file";
    case MountKind::Hide:
      return "hide";
    case MountKind::ReadOnly:
      return "readonly";
    case MountKind::Pin:
      return "pin";
    case MountKind::DataBind:
      return "databind";
  }
  return "?";
}

bool waits_for_helpers(const SandboxPlan& plan) {
  for (const auto& h : plan.helpers)
    if (h.joins_sandbox) return true;
  return false;
}

}  // namespace cloister::plan
