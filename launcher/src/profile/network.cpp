// The [network] values. They end up as arguments of pasta, so they are checked strictly here:
// pasta reads an empty port spec as "auto" (every port the host listens on) and a range or a
// "~" exclusion as a whole set of ports; none of that may slip through a typo.
#include <string>
#include <string_view>

#include "profile/internal.hpp"

namespace cloister::profile::detail {
namespace {

constexpr std::size_t kMaxInterfaceName = 15;  // IFNAMSIZ - 1

constexpr const char* kPortForm =
    "; write \"tcp/PORT\" or \"udp/PORT\" with PORT from 1 to 65535, e.g. \"tcp/631\" for CUPS";

bool digits_only(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

}  // namespace

std::string host_port_problem(const std::string& value) {
  const auto slash = value.find('/');
  if (slash == std::string::npos)
    return "host port \"" + value + "\" names no protocol" + kPortForm;
  const std::string proto = value.substr(0, slash);
  const std::string port = value.substr(slash + 1);
  if (proto != "tcp" && proto != "udp")
    return "unknown protocol \"" + proto + "\" in \"" + value + "\"" + kPortForm;
  // Leading zeros, signs, spaces and ranges are refused: one entry is one port, written one way.
  if (!digits_only(port) || port.size() > 5 || port[0] == '0')
    return "bad port \"" + port + "\" in \"" + value + "\"" + kPortForm;
  const long n = std::stol(port);
  if (n < 1 || n > 65535) return "port " + port + " is out of range" + kPortForm;
  return "";
}

std::string interface_problem(const std::string& value) {
  if (value.empty() || value.size() > kMaxInterfaceName || value == "." || value == "..")
    return "bad interface name \"" + value +
           "\"; give a host network interface such as \"eth0\" or \"wg0\" (1 to 15 characters)";
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    if (c == '/' || c == ':' || u <= 0x20 || u >= 0x7f)
      return "bad interface name \"" + value +
             "\": interface names have no '/', ':', spaces or control characters";
  }
  return "";
}

}  // namespace cloister::profile::detail
