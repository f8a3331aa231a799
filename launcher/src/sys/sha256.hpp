// SHA-256 (FIPS 180-4): the digest of a host desktop entry that a rewritten one records, so
// `desktop list` can tell when the source changed, and the keys and checksums of the seccomp
// cache. Pure; no dependency for 60 lines.
#pragma once

#include <string>

namespace cloister {

// Lowercase hex digest of `data`.
std::string sha256_hex(const std::string& data);

}  // namespace cloister
