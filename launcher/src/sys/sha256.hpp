// SHA-256 (FIPS 180-4), for the digest of a host desktop entry that a rewritten one records,
// so `desktop list` can tell when the source changed. Pure; no dependency for 60 lines.
#pragma once

#include <string>

namespace cloister::desktop {

// Lowercase hex digest of `data`.
std::string sha256_hex(const std::string& data);

}  // namespace cloister::desktop
