// The guard program (see guard.hpp), built with a tiny assembler: classic BPF jumps only
// forward, by at most 255 instructions for a conditional, so labels are resolved at the end.
#include "seccomp/guard.hpp"

#include <linux/audit.h>
#include <linux/seccomp.h>
#include <seccomp.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <map>

#include "seccomp/reviewed.hpp"
#include "sys/error.hpp"

namespace cloister::seccomp::detail {
namespace {

constexpr std::uint32_t kX32Bit = 0x40000000;  // __X32_SYSCALL_BIT

class Assembler {
 public:
  static constexpr int kNext = -1;

  int label() {
    pos_.push_back(-1);
    return static_cast<int>(pos_.size()) - 1;
  }
  void bind(int label) { pos_[static_cast<std::size_t>(label)] = static_cast<int>(code_.size()); }

  void load(std::uint32_t offset) { emit(BPF_LD | BPF_W | BPF_ABS, offset); }
  void and_k(std::uint32_t k) { emit(BPF_ALU | BPF_AND | BPF_K, k); }
  void ret(std::uint32_t k) { emit(BPF_RET | BPF_K, k); }
  void jump(std::uint16_t op, std::uint32_t k, int jt, int jf) {
    code_.push_back({static_cast<std::uint16_t>(BPF_JMP | op | BPF_K), k, jt, jf});
  }
  void jump_always(int to) { code_.push_back({BPF_JMP | BPF_JA, 0, to, kNext}); }

  std::vector<sock_filter> finish() {
    std::vector<sock_filter> out;
    for (std::size_t i = 0; i < code_.size(); ++i) {
      const Ins& in = code_[i];
      sock_filter f{in.code, 0, 0, in.k};
      if (BPF_CLASS(in.code) == BPF_JMP) {
        if (BPF_OP(in.code) == BPF_JA) {
          f.k = offset(i, in.jt, 0xffffffffu);
        } else {
          f.jt = static_cast<std::uint8_t>(offset(i, in.jt, 255));
          f.jf = static_cast<std::uint8_t>(offset(i, in.jf, 255));
        }
      }
      out.push_back(f);
    }
    return out;
  }

 private:
  struct Ins {
    std::uint16_t code;
    std::uint32_t k;
    int jt;
    int jf;
  };
  void emit(std::uint16_t code, std::uint32_t k) { code_.push_back({code, k, kNext, kNext}); }

  std::uint32_t offset(std::size_t from, int label, std::uint32_t limit) const {
    if (label == kNext) return 0;
    int to = pos_.at(static_cast<std::size_t>(label));
    if (to < 0) throw Error("seccomp guard: unbound label");
    long delta = static_cast<long>(to) - static_cast<long>(from) - 1;
    if (delta < 0 || static_cast<unsigned long>(delta) > limit)
      throw Error("seccomp guard: jump out of range");
    return static_cast<std::uint32_t>(delta);
  }

  std::vector<Ins> code_;
  std::vector<int> pos_;
};

struct Abi {
  std::uint32_t audit_arch;
  bool x32 = false;  // x86_64 numbers with the x32 bit are this ABI's too
};

// The ABIs among `arches` whose numbering the reviewed table describes.
std::vector<Abi> known_abis(const std::vector<std::uint32_t>& arches) {
  auto has = [&](std::uint32_t token) {
    return std::find(arches.begin(), arches.end(), token) != arches.end();
  };
  std::vector<Abi> out;
  if (has(SCMP_ARCH_X86_64)) out.push_back({AUDIT_ARCH_X86_64, has(SCMP_ARCH_X32)});
  if (has(SCMP_ARCH_X86)) out.push_back({AUDIT_ARCH_I386, false});
  if (has(SCMP_ARCH_AARCH64)) out.push_back({AUDIT_ARCH_AARCH64, false});
  return out;
}

std::uint32_t errno_action(int err) {
  return SECCOMP_RET_ERRNO | (static_cast<std::uint32_t>(err) & SECCOMP_RET_DATA);
}

}  // namespace

std::vector<sock_filter> guard_program(const std::vector<std::uint32_t>& arches,
                                       const std::vector<NumberedDeny>& denials, int max) {
  const std::vector<Abi> abis = known_abis(arches);
  if (abis.empty()) return {};
  Assembler a;
  const int end = a.label();
  std::map<int, int> fail;  // errno -> label of its return
  for (const auto& d : denials) {
    if (d.nr < 0 || d.errno_value < 1 || d.errno_value > 4095)
      throw Error("seccomp guard: bad numbered rule " + std::to_string(d.nr));
    fail.emplace(d.errno_value, a.label());
  }
  fail.emplace(ENOSYS, a.label());
  const auto limit = static_cast<std::uint32_t>(max);

  // The numbered denials, then everything above the reviewed maximum; the accumulator holds
  // the call number (x32's bit already cleared).
  auto checks = [&](bool x32) {
    for (const auto& d : denials)
      a.jump(BPF_JEQ, static_cast<std::uint32_t>(d.nr), fail[d.errno_value], Assembler::kNext);
    if (!x32) {
      a.jump(BPF_JGT, limit, fail[ENOSYS], end);
      return;
    }
    // x32's own entry points (512-547) sit above today's common numbers; they are old calls
    // with x32 argument layouts, not new ones.
    const int high = a.label();
    a.jump(BPF_JGT, limit, high, end);
    a.bind(high);
    a.jump(BPF_JGE, kX32CompatFirst, Assembler::kNext, fail[ENOSYS]);
    a.jump(BPF_JGT, kX32CompatLast, fail[ENOSYS], end);
  };

  std::vector<int> entry;
  a.load(offsetof(seccomp_data, arch));
  for (std::size_t i = 0; i < abis.size(); ++i) {
    entry.push_back(a.label());
    a.jump(BPF_JEQ, abis[i].audit_arch, entry.back(),
           i + 1 == abis.size() ? end : Assembler::kNext);
  }
  for (std::size_t i = 0; i < abis.size(); ++i) {
    a.bind(entry[i]);
    a.load(offsetof(seccomp_data, nr));
    if (abis[i].x32) {
      const int x32 = a.label();
      a.jump(BPF_JSET, kX32Bit, x32, Assembler::kNext);
      checks(false);
      a.bind(x32);
      a.and_k(~kX32Bit);
      checks(true);
    } else {
      checks(false);
    }
  }
  for (const auto& [err, label] : fail) {
    a.bind(label);
    a.ret(errno_action(err));
  }
  a.bind(end);
  return a.finish();
}

std::string guard_text(const std::vector<std::uint32_t>& arches,
                       const std::vector<NumberedDeny>& denials, int max) {
  std::string s;
  for (const Abi& abi : known_abis(arches)) {
    const char* name = abi.audit_arch == AUDIT_ARCH_X86_64 ? (abi.x32 ? "x86_64 and x32" : "x86_64")
                       : abi.audit_arch == AUDIT_ARCH_I386 ? "x86"
                                                           : "aarch64";
    s += "# guard for " + std::string(name) + ", before libseccomp's filter:\n";
    for (const auto& d : denials) {
      const char* err = strerrorname_np(d.errno_value);
      s += "#   syscall " + std::to_string(d.nr) + " -> " + (err ? err : "errno") + "\n";
    }
    s += "#   syscall > " + std::to_string(max) +
         (abi.x32 ? " (x32: outside " + std::to_string(kX32CompatFirst) + "-" +
                        std::to_string(kX32CompatLast) + ")"
                  : "") +
         " -> ENOSYS\n";
  }
  return s;
}

}  // namespace cloister::seccomp::detail
