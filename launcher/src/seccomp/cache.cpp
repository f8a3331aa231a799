// The compiled-program cache: <cache home>/cloister/seccomp/<name>.bpf, where the name is a
// 64-bit FNV-1a hash of the key. Each file: a fixed header (magic, key length, instruction
// count, checksum of the rest), the key itself, then the instructions in host order (the key
// names the architecture). A read compares the whole key, so two keys sharing a name only cost
// a compilation. Reads trust nothing they have not checked.
#include "seccomp/cache.hpp"

#include <dirent.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <seccomp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "sys/error.hpp"
#include "sys/path_text.hpp"
#include "sys/unique_fd.hpp"

namespace cloister::seccomp {
namespace {

constexpr char kMagic[8] = {'c', 'l', 'b', 'p', 'f', '\0', 'v', '2'};
constexpr std::size_t kHeaderSize = sizeof kMagic + 4 + 4 + 8;
constexpr std::size_t kMaxKey = 1 << 16;
constexpr std::size_t kMaxFileSize = kHeaderSize + kMaxKey + BPF_MAXINSNS * sizeof(sock_filter);
constexpr std::size_t kNameSize = 16 + 4;  // hex digits, ".bpf"
constexpr const char* kParts[] = {"cloister", "seccomp"};

std::string where(const std::string& cache_home) {
  return (cache_home == "/" ? "" : cache_home) + "/cloister/seccomp";
}

// The ELF build id of the running executable: it changes whenever the launcher (and with it the
// compiler code, the guard and the libseccomp linked in) does.
int find_build_id(dl_phdr_info* info, std::size_t, void* out) {
  auto& id = *static_cast<std::string*>(out);
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const auto& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_NOTE) continue;
    const char* p = reinterpret_cast<const char*>(info->dlpi_addr + ph.p_vaddr);
    const char* end = p + ph.p_memsz;
    while (p + sizeof(ElfW(Nhdr)) <= end) {
      ElfW(Nhdr) note;
      std::memcpy(&note, p, sizeof note);
      const char* name = p + sizeof note;
      const char* desc = name + ((note.n_namesz + 3) & ~3U);
      p = desc + ((note.n_descsz + 3) & ~3U);
      if (p > end) break;
      if (note.n_type == NT_GNU_BUILD_ID && note.n_namesz == 4 &&
          std::memcmp(name, "GNU", 4) == 0) {
        static const char kHex[] = "0123456789abcdef";
        for (std::size_t j = 0; j < note.n_descsz; ++j) {
          const auto byte = static_cast<unsigned char>(desc[j]);
          id += kHex[byte >> 4];
          id += kHex[byte & 0xf];
        }
        return 1;
      }
    }
  }
  return 1;  // the first object is the executable: stop there, with or without an id
}

void put_u32(std::string& out, std::uint32_t v) { out.append(reinterpret_cast<char*>(&v), 4); }

std::string mode_text(mode_t mode) { return sys::octal(static_cast<unsigned>(mode & 07777)); }

// Why a file or directory of the cache is not to be trusted, "" when it is.
std::string distrust(const struct stat& st, uid_t owner, const std::string& shown) {
  if (st.st_uid != owner)
    return shown + " belongs to uid " + std::to_string(st.st_uid) + ", not to uid " +
           std::to_string(owner);
  if (st.st_mode & (S_IWGRP | S_IWOTH))
    return shown + " is writable by other users (mode " + mode_text(st.st_mode) + ")";
  return "";
}

// Opens <cache home>/cloister/seccomp without following a link below the cache home, each
// directory checked. With `create`, makes what is missing (the cache home too), owner-only.
// Invalid UniqueFd with `why` set when it cannot be used; with `why` empty when it is missing.
UniqueFd open_dir(const std::string& cache_home, uid_t owner, bool create, std::string& why) {
  if (cache_home.empty() || cache_home[0] != '/') {
    why = "the cache home `" + cache_home + "` is not an absolute path";
    return {};
  }
  if (create) {
    for (std::size_t pos = 1; pos != std::string::npos;) {
      pos = cache_home.find('/', pos + 1);
      const std::string partial = cache_home.substr(0, pos);
      if (::mkdir(partial.c_str(), 0700) == -1 && errno != EEXIST)
        throw SysError("creating " + partial, errno);
    }
  }
  UniqueFd dir(::open(cache_home.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!dir) {
    if (errno != ENOENT) why = "opening " + cache_home + ": " + std::strerror(errno);
    return {};
  }
  std::string shown = cache_home == "/" ? "" : cache_home;
  for (const char* part : kParts) {
    shown += std::string("/") + part;
    if (create && ::mkdirat(dir.get(), part, 0700) == -1 && errno != EEXIST)
      throw SysError("creating " + shown, errno);
    UniqueFd next(::openat(dir.get(), part, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!next) {
      if (errno != ENOENT)
        why = "opening " + shown + ": " + std::strerror(errno) +
              (errno == ENOTDIR || errno == ELOOP ? " (a symlink or not a directory)" : "");
      return {};
    }
    struct stat st {};
    if (::fstat(next.get(), &st) == -1) {
      why = "inspecting " + shown + ": " + std::strerror(errno);
      return {};
    }
    why = distrust(st, owner, shown);
    if (!why.empty()) return {};
    dir = std::move(next);
  }
  return dir;
}

// FNV-1a, 64 bits: a checksum against damage (a torn or truncated write, a flipped bit) and the
// file name; the key itself is compared whole, so neither needs to resist a forger.
std::uint64_t fnv1a(const char* data, std::size_t size) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (std::size_t i = 0; i < size; ++i) {
    h ^= static_cast<unsigned char>(data[i]);
    h *= 0x100000001b3ULL;
  }
  return h;
}

// Keeps the directory from growing without end (a new launcher build makes every key new):
// the oldest files beyond kMaxCached go. Best effort.
void prune(int dir) {
  UniqueFd listing(::openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!listing) return;
  DIR* d = ::fdopendir(listing.get());
  if (d == nullptr) return;
  (void)listing.release();
  std::vector<std::pair<timespec, std::string>> files;
  while (dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name.size() != kNameSize || name.compare(kNameSize - 4, 4, ".bpf") != 0) continue;
    struct stat st {};
    if (::fstatat(::dirfd(d), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0)
      files.emplace_back(st.st_mtim, name);
  }
  if (files.size() > kMaxCached) {
    std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) {
      return a.first.tv_sec != b.first.tv_sec ? a.first.tv_sec < b.first.tv_sec
                                              : a.first.tv_nsec < b.first.tv_nsec;
    });
    for (std::size_t i = 0; i + kMaxCached < files.size(); ++i)
      ::unlinkat(::dirfd(d), files[i].second.c_str(), 0);
  }
  ::closedir(d);
}

}  // namespace

std::string host_abi() {
  std::string id;
  ::dl_iterate_phdr(find_build_id, &id);
  if (id.empty()) return "";
  const scmp_version* v = seccomp_version();
  return "cloister-bpf-cache 1; arch " + std::to_string(seccomp_arch_native()) + "; libseccomp " +
         std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
         std::to_string(v->micro) + "; build " + id;
}

std::string cache_key(const RuleSet& rules, const std::string& abi) {
  // Length-prefixed fields: no two different rule sets give the same text. (`why` is left out:
  // it changes nothing in the program.)
  std::string text = std::to_string(abi.size()) + ":" + abi + "\n";
  for (const auto& arch : rules.extra_arches)
    text += "arch " + std::to_string(arch.size()) + ":" + arch + "\n";
  for (const auto& r : rules.rules) {
    text += "rule " + std::to_string(r.syscall.size()) + ":" + r.syscall + " " +
            std::to_string(r.errno_value);
    for (const auto& c : r.conds)
      text += " " + std::to_string(c.arg) + "," + std::to_string(static_cast<int>(c.op)) + "," +
              std::to_string(c.value) + "," + std::to_string(c.mask);
    text += "\n";
  }
  return text;
}

std::string cache_file_name(const std::string& key) {
  static const char kHex[] = "0123456789abcdef";
  const std::uint64_t h = fnv1a(key.data(), key.size());
  std::string name;
  for (int i = 60; i >= 0; i -= 4) name += kHex[(h >> i) & 0xf];
  return name + ".bpf";
}

bool well_formed(const std::vector<sock_filter>& program) {
  const std::size_t n = program.size();
  if (n == 0 || n > BPF_MAXINSNS) return false;
  for (std::size_t i = 0; i < n; ++i) {
    const sock_filter& insn = program[i];
    if (BPF_CLASS(insn.code) != BPF_JMP) continue;
    // Jumps are forward only and must land inside the program.
    if (BPF_OP(insn.code) == BPF_JA) {
      if (insn.k >= n - i - 1) return false;
    } else if (insn.jt >= n - i - 1 || insn.jf >= n - i - 1) {
      return false;
    }
  }
  return BPF_CLASS(program[n - 1].code) == BPF_RET;
}

CacheLookup load_cached(const std::string& cache_home, const std::string& key, uid_t owner) {
  CacheLookup out;
  UniqueFd dir = open_dir(cache_home, owner, false, out.why);
  if (!dir) return out;
  const std::string name = cache_file_name(key);
  const std::string shown = where(cache_home) + "/" + name;
  UniqueFd fd(::openat(dir.get(), name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!fd) {
    if (errno != ENOENT) out.why = "opening " + shown + ": " + std::strerror(errno);
    return out;
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) == -1) {
    out.why = "inspecting " + shown + ": " + std::strerror(errno);
    return out;
  }
  if (!S_ISREG(st.st_mode)) {
    out.why = shown + " is not a regular file";
    return out;
  }
  out.why = distrust(st, owner, shown);
  if (!out.why.empty()) return out;
  const auto size = static_cast<std::size_t>(st.st_size);
  if (size < kHeaderSize || size > kMaxFileSize) {
    out.why = shown + " is damaged: " + std::to_string(size) + " bytes";
    return out;
  }
  std::string bytes(size, '\0');
  std::size_t got = 0;
  while (got < size) {
    ssize_t n = ::read(fd.get(), bytes.data() + got, size - got);
    if (n == -1 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  if (got != size) {
    out.why = shown + " is damaged: it changed while it was read";
    return out;
  }
  const char* p = bytes.data();
  if (std::memcmp(p, kMagic, sizeof kMagic) != 0) {
    out.why = shown + " is not a cache file of this format";
    return out;
  }
  std::uint32_t key_size = 0;
  std::uint32_t count = 0;
  std::uint64_t checksum = 0;
  std::memcpy(&key_size, p + 8, 4);
  std::memcpy(&count, p + 12, 4);
  std::memcpy(&checksum, p + 16, 8);
  if (std::size_t{key_size} > kMaxKey || std::size_t{count} > BPF_MAXINSNS ||
      kHeaderSize + key_size + std::size_t{count} * sizeof(sock_filter) != size) {
    out.why = shown + " is damaged: its size does not match its header";
    return out;
  }
  p += kHeaderSize;
  if (fnv1a(p, size - kHeaderSize) != checksum) {
    out.why = shown + " is damaged: its content does not match its checksum";
    return out;
  }
  if (key_size != key.size() || std::memcmp(p, key.data(), key.size()) != 0) {
    out.why = shown + " was written for another rule set, ABI or launcher build";
    return out;
  }
  p += key_size;
  std::vector<sock_filter> program(count);
  std::memcpy(program.data(), p, count * sizeof(sock_filter));
  if (!well_formed(program)) {
    out.why = shown + " does not hold a well-formed BPF program";
    return out;
  }
  out.program = std::move(program);
  return out;
}

void store_cached(const std::string& cache_home, const std::string& key,
                  const std::vector<sock_filter>& program, uid_t owner) {
  if (key.empty() || key.size() > kMaxKey) throw Error("seccomp cache: bad key");
  if (!well_formed(program)) throw Error("seccomp cache: refusing to store a malformed program");
  std::string why;
  UniqueFd dir = open_dir(cache_home, owner, true, why);
  if (!dir) throw Error(why.empty() ? "seccomp cache: " + where(cache_home) + " is missing" : why);

  std::string body = key;
  body.append(reinterpret_cast<const char*>(program.data()), program.size() * sizeof(sock_filter));
  std::string bytes(kMagic, sizeof kMagic);
  put_u32(bytes, static_cast<std::uint32_t>(key.size()));
  put_u32(bytes, static_cast<std::uint32_t>(program.size()));
  const std::uint64_t checksum = fnv1a(body.data(), body.size());
  bytes.append(reinterpret_cast<const char*>(&checksum), 8);
  bytes += body;

  // A name of our own for the new file: concurrent launches each write theirs, and the
  // rename makes one of them the cached file, whole.
  const std::string name = cache_file_name(key);
  const std::string temp = "." + name + "." + std::to_string(::getpid()) + ".new";
  const std::string shown = where(cache_home) + "/" + name;
  ::unlinkat(dir.get(), temp.c_str(), 0);  // left by a launcher of our pid that was killed
  UniqueFd fd(::openat(dir.get(), temp.c_str(),
                       O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd) throw SysError("writing " + shown, errno);
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n == -1 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n == -1 ? errno : EIO;
      ::unlinkat(dir.get(), temp.c_str(), 0);
      throw SysError("writing " + shown, err);
    }
    done += static_cast<std::size_t>(n);
  }
  fd.reset();
  if (::renameat(dir.get(), temp.c_str(), dir.get(), name.c_str()) == -1) {
    const int err = errno;
    ::unlinkat(dir.get(), temp.c_str(), 0);
    throw SysError("replacing " + shown, err);
  }
  prune(dir.get());
}

std::vector<sock_filter> compile_bpf_cached(const RuleSet& rules, const std::string& cache_home,
                                            std::string& how) {
  const std::string abi = cache_home.empty() ? "" : host_abi();
  if (abi.empty()) {
    how = cache_home.empty() ? "compiled (no cache directory)"
                             : "compiled (not cached: the launcher has no build id)";
    return compile_bpf(rules);
  }
  const std::string key = cache_key(rules, abi);
  CacheLookup cached = load_cached(cache_home, key, ::geteuid());
  if (cached.program) {
    how = "loaded from the cache, " + where(cache_home) + "/" + cache_file_name(key);
    return std::move(*cached.program);
  }
  std::vector<sock_filter> program = compile_bpf(rules);
  const std::string refused = cached.why.empty() ? "" : " (not used: " + cached.why + ")";
  try {
    store_cached(cache_home, key, program, ::geteuid());
    how = "compiled and cached in " + where(cache_home) + "/" + cache_file_name(key) + refused;
  } catch (const std::exception& e) {
    how = "compiled, not cached: " + std::string(e.what()) + refused;
  }
  return program;
}

}  // namespace cloister::seccomp
