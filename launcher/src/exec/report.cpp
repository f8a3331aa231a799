#include "exec/report.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace cloister::exec {
namespace {

// Copies `s` into a fixed field, NUL-terminated. A step too long for its field keeps its head
// and tail ("mounting /home/u/.loc...cations read-only"): the message repeats the full path.
template <size_t N>
void copy_field(char (&field)[N], std::string_view s) {
  if (s.size() < N) {
    std::memcpy(field, s.data(), s.size());
    field[s.size()] = '\0';
    return;
  }
  constexpr size_t kHead = (N - 4) / 2;
  constexpr size_t kTail = N - 4 - kHead;
  std::memcpy(field, s.data(), kHead);
  std::memcpy(field + kHead, "...", 3);
  std::memcpy(field + kHead + 3, s.data() + s.size() - kTail, kTail);
  field[N - 1] = '\0';
}

void write_record(int fd, std::string_view step, int err, std::string_view message,
                  int exit_code) noexcept {
  FailureRecord r{};
  copy_field(r.step, step);
  copy_field(r.message, message);
  r.err = err;
  r.exit_code = exit_code;
  ssize_t n;
  do {
    n = ::write(fd, &r, sizeof r);
  } while (n == -1 && errno == EINTR);
}

}  // namespace

void report_done(int fd, std::string_view step) noexcept {
  write_record(fd, step, 0, "", kStepDone);
}

void fail(int fd, std::string_view step, int err, std::string_view message,
          int exit_code) noexcept {
  write_record(fd, step, err, message, exit_code);
  // _exit, not exit: this process is a copy of the launcher, and running its atexit handlers
  // and static destructors here would flush and tear down the launcher's state twice.
  ::_exit(exit_code);
}

ReadResult read_record(int fd, FailureRecord& out) {
  ssize_t n;
  do {
    n = ::read(fd, &out, sizeof out);
  } while (n == -1 && errno == EINTR);
  if (n == -1 && errno == EAGAIN) return ReadResult::Nothing;
  if (n != static_cast<ssize_t>(sizeof out)) return ReadResult::Closed;
  out.step[sizeof out.step - 1] = '\0';
  out.message[sizeof out.message - 1] = '\0';
  return ReadResult::Record;
}

ReadResult read_failure(int fd, FailureRecord& out) {
  ReadResult got;
  do {
    got = read_record(fd, out);
  } while (got == ReadResult::Record && out.exit_code == kStepDone);
  return got;
}

}  // namespace cloister::exec
