// Xauthority filtering. The file is a sequence of records, each: family (u16 big-endian), then
// four counted strings (u16 big-endian length + bytes): address, display number, auth name,
// auth data. We keep only what the sandbox's one display needs.
#include <cstdint>

#include "plan/plan.hpp"

namespace cloister::plan {
namespace {

constexpr std::uint16_t kFamilyLocal = 256;
constexpr std::uint16_t kFamilyWild = 65535;

struct Record {
  std::uint16_t family = 0;
  std::string address, number, name, data;
};

bool read_u16(const std::string& in, size_t& pos, std::uint16_t& out) {
  if (pos + 2 > in.size()) return false;
  out = static_cast<std::uint16_t>((static_cast<unsigned char>(in[pos]) << 8) |
                                   static_cast<unsigned char>(in[pos + 1]));
  pos += 2;
  return true;
}

bool read_counted(const std::string& in, size_t& pos, std::string& out) {
  std::uint16_t len = 0;
  if (!read_u16(in, pos, len) || pos + len > in.size()) return false;
  out = in.substr(pos, len);
  pos += len;
  return true;
}

void write_u16(std::string& out, size_t v) {
  out += static_cast<char>((v >> 8) & 0xff);
  out += static_cast<char>(v & 0xff);
}

void write_counted(std::string& out, const std::string& s) {
  write_u16(out, s.size());
  out += s;
}

}  // namespace

std::string local_display_number(const std::string& display) {
  std::string rest;
  if (display.rfind(":", 0) == 0)
    rest = display.substr(1);
  else if (display.rfind("unix:", 0) == 0)
    rest = display.substr(5);
  else
    return {};
  rest = rest.substr(0, rest.find('.'));  // drop the screen number
  if (rest.empty() || rest.size() > 6 || rest.find_first_not_of("0123456789") != std::string::npos)
    return {};
  return rest;
}

std::string filter_xauthority(const std::string& data, const std::string& display,
                              const std::string& host_nodename,
                              const std::string& sandbox_hostname) {
  std::string out;
  size_t pos = 0;
  while (pos < data.size()) {
    Record r;
    if (!read_u16(data, pos, r.family) || !read_counted(data, pos, r.address) ||
        !read_counted(data, pos, r.number) || !read_counted(data, pos, r.name) ||
        !read_counted(data, pos, r.data))
      break;  // a truncated tail: keep what parsed, as libXau would
    // Remote entries (TCP families) are useless without the network and would leak cookies
    // for other machines; local entries for other hosts likewise.
    const bool ours =
        r.family == kFamilyWild || (r.family == kFamilyLocal && r.address == host_nodename);
    if (!ours || r.number != display) continue;
    std::string rec;
    write_u16(rec, kFamilyLocal);
    write_counted(rec, sandbox_hostname);
    write_counted(rec, r.number);
    write_counted(rec, r.name);
    write_counted(rec, r.data);
    out += rec;
  }
  return out;
}

}  // namespace cloister::plan
