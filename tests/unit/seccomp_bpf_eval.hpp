// A classic-BPF interpreter for seccomp programs, so tests can run a compiled filter against
// any architecture's seccomp_data, including ABIs this machine cannot execute (i386 under
// some hypervisors, x32 on kernels built without it).
#pragma once

#include <linux/filter.h>
#include <linux/seccomp.h>

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace cloister::test {

inline std::uint32_t run_seccomp_bpf(const std::vector<sock_filter>& prog,
                                     const seccomp_data& data) {
  std::uint32_t a = 0;
  std::uint32_t x = 0;
  std::uint32_t mem[BPF_MEMWORDS] = {};
  auto load_word = [&](std::uint32_t off) {
    if (off % 4 != 0 || off + 4 > sizeof data) throw std::runtime_error("bpf: bad load offset");
    std::uint32_t v;
    std::memcpy(&v, reinterpret_cast<const char*>(&data) + off, 4);
    return v;
  };
  for (std::size_t pc = 0; pc < prog.size(); ++pc) {
    const sock_filter& f = prog[pc];
    const std::uint32_t src = BPF_SRC(f.code) == BPF_X ? x : f.k;
    switch (BPF_CLASS(f.code)) {
      case BPF_LD:
      case BPF_LDX: {
        std::uint32_t v = 0;
        switch (BPF_MODE(f.code)) {
          case BPF_ABS:
            v = load_word(f.k);
            break;
          case BPF_IMM:
            v = f.k;
            break;
          case BPF_MEM:
            v = mem[f.k % BPF_MEMWORDS];
            break;
          case BPF_LEN:
            v = sizeof data;
            break;
          default:
            throw std::runtime_error("bpf: unsupported load mode");
        }
        (BPF_CLASS(f.code) == BPF_LD ? a : x) = v;
        break;
      }
      case BPF_ST:
        mem[f.k % BPF_MEMWORDS] = a;
        break;
      case BPF_STX:
        mem[f.k % BPF_MEMWORDS] = x;
        break;
      case BPF_ALU:
        switch (BPF_OP(f.code)) {
          case BPF_ADD:
            a += src;
            break;
          case BPF_SUB:
            a -= src;
            break;
          case BPF_MUL:
            a *= src;
            break;
          case BPF_AND:
            a &= src;
            break;
          case BPF_OR:
            a |= src;
            break;
          case BPF_LSH:
            a <<= (src & 31);
            break;
          case BPF_RSH:
            a >>= (src & 31);
            break;
          case BPF_NEG:
            a = 0 - a;
            break;
          default:
            throw std::runtime_error("bpf: unsupported alu op");
        }
        break;
      case BPF_JMP: {
        if (BPF_OP(f.code) == BPF_JA) {
          pc += f.k;
          break;
        }
        bool taken = false;
        switch (BPF_OP(f.code)) {
          case BPF_JEQ:
            taken = a == src;
            break;
          case BPF_JGT:
            taken = a > src;
            break;
          case BPF_JGE:
            taken = a >= src;
            break;
          case BPF_JSET:
            taken = (a & src) != 0;
            break;
          default:
            throw std::runtime_error("bpf: unsupported jump");
        }
        pc += taken ? f.jt : f.jf;
        break;
      }
      case BPF_RET:
        return BPF_RVAL(f.code) == BPF_A ? a : f.k;
      case BPF_MISC:
        if (BPF_MISCOP(f.code) == BPF_TAX) {
          x = a;
        } else {
          a = x;
        }
        break;
      default:
        throw std::runtime_error("bpf: unsupported instruction class");
    }
  }
  throw std::runtime_error("bpf: program ran off its end");
}

}  // namespace cloister::test
