#pragma once
#include "fifogate/deadline.hpp"
#include "fifogate/error.hpp"
#include "fifogate/unique_fd.hpp"
#include <functional>
#include <string>
#include <sys/types.h>

namespace fifogate {

// Creates a FIFO at `path` if nothing is there (made under a temporary name
// and renamed into place, so nobody ever opens a half-made node). An existing
// FIFO is kept; anything else at that path is an error, never replaced.
Result<void> ensure_fifo(const std::string &path, mode_t mode);

// Opens the read end without blocking (O_NONBLOCK), whether or not a writer exists.
Result<UniqueFd> open_fifo_reader(const std::string &path);

// Opens the write end without ever blocking: O_NONBLOCK fails with ENXIO while
// nobody has the read end, so retry until the deadline, or until
// `reader_gone` (if given) says no reader will come. The fd stays
// non-blocking. ENXIO means "no reader".
Result<UniqueFd> open_fifo_writer(const std::string &path, const Deadline &deadline,
                                  const std::function<bool()> &reader_gone = nullptr);

// One attempt: ENXIO at once when there is no reader.
Result<UniqueFd> try_open_fifo_writer(const std::string &path);

// The read end of a FIFO, kept open across writers.
//
// Hazards this handles: after the last writer closes, POLLHUP is
// level-triggered, so a poll loop on the old fd spins; and closing the last
// reader drops every buffered byte and makes writers fail with ENXIO. renew()
// opens a fresh fd *before* closing the old one: the FIFO never loses its
// reader, and the new fd reports no hang-up until a new writer has come and gone.
class FifoReader {
public:
  static Result<FifoReader> open(const std::string &path);
  int fd() const { return fd_.get(); }
  Result<void> renew();

private:
  FifoReader(std::string path, UniqueFd fd) : path_(std::move(path)), fd_(std::move(fd)) {}
  std::string path_;
  UniqueFd fd_;
};

} // namespace fifogate
