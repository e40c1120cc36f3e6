#pragma once
#include "fifogate/deadline.hpp"
#include "fifogate/error.hpp"
#include "fifogate/unique_fd.hpp"
#include <optional>
#include <string>

namespace fifogate {

// An exclusive flock(2) on a file, held for this object's life.
//
// The file is opened as open_kind_file does (no symlink, regular files only).
// Each acquisition opens its own fd (O_CLOEXEC): flock does not exclude two
// threads sharing one fd, and a child that inherited the fd would keep the
// lock after we "released" it. Only ever tried (LOCK_NB): whoever waits for
// a lock polls with a deadline of its own, because a blocking flock can only
// be interrupted by a process-wide signal.
class FileLock {
public:
  // One attempt; an empty optional means someone else holds it.
  static Result<std::optional<FileLock>> try_acquire(const std::string &path);

  const std::string &path() const { return path_; }
  int fd() const { return fd_.get(); }

private:
  FileLock(std::string path, UniqueFd fd) : path_(std::move(path)), fd_(std::move(fd)) {}
  std::string path_;
  UniqueFd fd_; // closing the only fd releases the lock
};

// True when some process holds an flock on `path` (probed with a shared
// LOCK_NB attempt that is released at once). Missing file: false. A FIFO or
// a symlink under that name (see open_kind_file) is false too, never waited
// on; `not_a_file`, when given, then gets why, for the caller to log.
Result<bool> is_locked(const std::string &path, std::string *not_a_file = nullptr);

} // namespace fifogate
