// Reading small host files for facts. Internal to the host module.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

namespace cloister::host::detail {

// The whole of `path` when it is a regular file (symlinks followed) of at most `max` bytes;
// nothing when it is missing, unreadable, not a regular file (a FIFO cannot stall the launcher:
// it is opened non-blocking and refused) or larger, since a cut-off copy would be wrong data.
std::optional<std::string> read_regular_file(const std::string& path, std::size_t max);

}  // namespace cloister::host::detail
