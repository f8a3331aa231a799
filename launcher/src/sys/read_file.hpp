// Reading whole files and pipes into a string, with a size cap: the one read loop the host
// facts, the profile loader, the instance records and the seccomp exporter share.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

namespace cloister::sys {

// Appends everything `fd` reads until end of file to `out` (retrying EINTR). Returns 0, the
// read's errno, or EFBIG when more than `max` bytes came (`out` then holds the first ones).
int read_to_end(int fd, std::size_t max, std::string& out);

// The whole of `path` when it is a regular file (symlinks followed) of at most `max` bytes;
// nothing when it is missing, unreadable, not a regular file (a FIFO cannot stall the launcher:
// it is opened non-blocking and refused) or larger, since a cut-off copy would be wrong data.
std::optional<std::string> read_regular_file(const std::string& path, std::size_t max);

}  // namespace cloister::sys
