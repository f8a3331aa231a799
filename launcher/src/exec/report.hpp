// The failure record: how the sandbox tells the launcher which step failed before exec.
//
// The child writes at most one fixed-size failure record to a close-on-exec pipe and _exits;
// the pipe reaching EOF without one means the app was exec'd. The launcher prints the record
// (errors are logged once, in the parent) and returns its exit code. Before any failure, pid 1
// may write one record of the same size that is no failure (kStepDone), which only
// read_record() returns.
#pragma once

#include <exception>
#include <string>
#include <string_view>

#include "exec/run.hpp"
#include "sys/error.hpp"

namespace cloister::exec {

struct FailureRecord {
  char step[48];      // "mounting /opt read-only", NUL-terminated
  int err;            // errno, 0 when not from a system call
  int exit_code;      // kExitSetupFailed, kExitCannotExec, kExitNotFound; kStepDone
  char message[400];  // "binding /opt: No such file or directory", NUL-terminated
};
// One write(2) of at most PIPE_BUF bytes is atomic, so a reader never sees half a record.
static_assert(sizeof(FailureRecord) <= 512);

// Writes the record to `fd` and ends the process with `exit_code`. Async-signal-safe apart
// from the string formatting already done by the caller; never returns, never throws.
[[noreturn]] void fail(int fd, std::string_view step, int err, std::string_view message,
                       int exit_code = kExitSetupFailed) noexcept;

// A record with exit code kStepDone is no failure: pid 1 says a step is done that the launcher
// waits for (plan.ipv6_no_dad: the network namespace is ready for pasta). Returns.
constexpr int kStepDone = 0;
void report_done(int fd, std::string_view step) noexcept;

// Runs one setup step in the child. Any exception becomes a failure record naming `step`:
// an exception must never unwind past the child's entry into the launcher's stack frames.
template <typename F>
void run_step(int report_fd, std::string_view step, F&& f) noexcept {
  try {
    f();
  } catch (const SysError& e) {
    fail(report_fd, step, e.err(), e.what());
  } catch (const std::exception& e) {
    fail(report_fd, step, 0, e.what());
  } catch (...) {
    fail(report_fd, step, 0, "unknown error");
  }
}

enum class ReadResult { Record, Nothing, Closed };

// One read of a non-blocking report pipe: a whole record, nothing yet (EAGAIN), or Closed when
// every writer is gone (EOF; a short read or an error counts as closed too).
ReadResult read_record(int fd, FailureRecord& out);
// The same, passing over kStepDone records: what every reader of failures calls.
ReadResult read_failure(int fd, FailureRecord& out);

}  // namespace cloister::exec
