// Small text helpers on paths and modes, shared by the planner, the executor and the reports
// (each once had its own copy, and the copies disagreed about "/").
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace cloister::sys {

// The PATH an app gets unless its profile sets one, and the one command links search: Debian's
// default for a login shell, root's directories included, as env(1) and sudo use.
inline constexpr const char* kDefaultPath =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// Whether `path` is `dir` or inside it, by whole names ("/a/bc" is not inside "/a/b"). Every
// absolute path is inside "/"; a relative one is not.
bool is_under(std::string_view path, std::string_view dir);

// The names of `path`, empty ones dropped: "/a//b/" -> {"a", "b"}; "a/b" -> {"a", "b"}.
std::vector<std::string> split_path(std::string_view path);

// A mode as four octal digits ("0755"), as chmod(1) and mount options write it.
std::string octal(unsigned mode);

}  // namespace cloister::sys
