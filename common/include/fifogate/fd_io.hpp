#pragma once
#include "fifogate/deadline.hpp"
#include "fifogate/error.hpp"
#include "fifogate/unique_fd.hpp"
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace fifogate {

// What one non-blocking read produced. A read that returns 0 is only "eof":
// whether that means the peer finished is the caller's call (on a FIFO it can
// also mean "no writer has connected yet").
enum class ReadKind { data, would_block, eof, error };
struct ReadResult {
  ReadKind kind;
  size_t bytes = 0;
  int err = 0;
};
ReadResult read_some(int fd, char *buf, size_t len);

// poll(2) one fd for `events`, retrying EINTR, until the deadline.
// Returns revents (0 on timeout) or -1 with errno set.
int poll_one(int fd, short events, const Deadline &deadline);
// The same, and gives up early when `stop_fd` (a signalfd) becomes readable:
// a stop signal is pending. Returns kStopRequested then; a stop_fd < 0 is
// never watched. It does not consume the signal, so every later look sees it.
inline constexpr int kStopRequested = -2;
int poll_one(int fd, short events, const Deadline &deadline, int stop_fd);

// Reads a non-blocking fd until a newline has come (or `max` bytes, or end of
// file after some): everything read, which may go past the newline. Nothing
// on an error, at the deadline, when a stop is pending on `stop_fd` (as in
// poll_one), or at end of file with nothing read.
std::optional<std::string> read_line(int fd, const Deadline &deadline, int stop_fd = -1,
                                     size_t max = 4096);

Result<void> set_nonblocking(int fd, bool on);

// Writes every byte to a non-blocking fd, waiting for POLLOUT with the deadline.
Result<void> write_all(int fd, std::string_view data, const Deadline &deadline,
                       const std::string &what);

// Writes one record of at most PIPE_BUF bytes with a single write(2), so the
// pipe holds all of it or none of it: a reader never sees half a record.
Result<void> write_atomic(int fd, std::string_view record, const Deadline &deadline,
                          const std::string &what);

} // namespace fifogate
