// A per-user cache of compiled seccomp programs: compiling the default rule set with libseccomp
// costs more than everything else the launcher does before the clone, and the same few rule sets
// are compiled at every launch. A cached program is used only when every check holds: the file
// and its directories are the user's own and writable by nobody else, and it was written for
// exactly this rule set, this ABI, this libseccomp and this launcher build (the key); its
// content is intact (checksum) and a well-formed BPF program. Anything else is compiled afresh.
// No sandbox ever sees the cache directory (plan: MountBuilder::protect_records), so an app
// cannot plant a weaker filter for the next launch.
#pragma once

#include <linux/filter.h>
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "seccomp/rules.hpp"

namespace cloister::seccomp {

// What a compiled program depends on besides the rules: the native architecture, the
// libseccomp version, the launcher's build (its ELF build id) and the cache format. "" when
// the build cannot be identified: nothing is cached then.
std::string host_abi();

// The key of `rules` compiled for `abi`: both in a canonical text form, stored in the file and
// compared whole when it is read.
std::string cache_key(const RuleSet& rules, const std::string& abi);

// The file a key is cached in (a hash of the key, ".bpf"); keys sharing one only evict each
// other.
std::string cache_file_name(const std::string& key);

struct CacheLookup {
  std::optional<std::vector<sock_filter>> program;
  std::string why;  // when there is no program: why the file was not used ("" = none cached)
};

// The program cached under `key` in `dir`, read only if `dir` (and the file in it) belong to
// `owner` and are writable by no one else.
CacheLookup load_cached(const std::string& dir, const std::string& key, uid_t owner);

// Writes the program under `key` in `dir` (made owner-only when missing), atomically: a reader
// sees the old file, the new one, or none. Removes the oldest files beyond kMaxCached. Throws
// SysError or Error on failure.
void store_cached(const std::string& dir, const std::string& key,
                  const std::vector<sock_filter>& program, uid_t owner);

constexpr std::size_t kMaxCached = 64;

// compile_bpf(rules) through the cache in `dir` (empty: no cache). `how` says what happened,
// for `run -v`: loaded from the cache, or compiled (and why the cache was not used).
std::vector<sock_filter> compile_bpf_cached(const RuleSet& rules, const std::string& dir,
                                            std::string& how);

// True when `program` is a well-formed classic BPF program: 1..BPF_MAXINSNS instructions,
// every jump inside it, a return last. (The kernel checks more when it loads it.)
bool well_formed(const std::vector<sock_filter>& program);

}  // namespace cloister::seccomp
