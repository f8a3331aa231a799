// What a helper (xdg-dbus-proxy) prints. It does not go to the user's terminal directly: a
// launch interrupted while the helper starts would otherwise leave the helper's complaints
// about being abandoned there, even after the launcher itself was killed. Instead its stdout
// and stderr are a memfd of fixed size, sealed against growing, so whatever the app makes it
// print costs at most kHelperOutputMax bytes; the launcher shows the text in the error when
// the helper fails to start, after the sandbox when it ran, and never when the launch was
// interrupted.
#pragma once

#include <cstddef>
#include <string>

#include "sys/unique_fd.hpp"

namespace cloister::exec {

inline constexpr std::size_t kHelperOutputMax = 64 * 1024;

// A new capture file for helper `name`; throws SysError.
UniqueFd make_output_capture(const std::string& name);

// What was written to it so far (the helper's writes move the offset both fds share), with
// trailing blank lines trimmed; "" on error.
std::string captured_output(int fd);

}  // namespace cloister::exec
