#include "fifogate/file_lock.hpp"
#include "fifogate/kind_file.hpp"
#include <algorithm>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace fifogate {

static Result<UniqueFd> open_lock_file(const std::string &path) {
  auto opened = open_kind_file(path, O_RDWR | O_CREAT, 0660);
  if (!opened)
    return opened.error();
  UniqueFd fd = std::move(*opened);
  // The umask filters O_CREAT's mode; whoever creates the file (web or
  // processor, different users sharing a group) must leave it group-writable.
  struct stat st {};
  if (::fstat(fd.get(), &st) == 0 && st.st_uid == ::geteuid() && (st.st_mode & 0777) != 0660)
    ::fchmod(fd.get(), 0660);
  return fd;
}

static Result<bool> try_flock(int fd, int op, const std::string &path) {
  for (;;) {
    if (::flock(fd, op | LOCK_NB) == 0)
      return true;
    if (errno == EINTR)
      continue;
    if (errno == EWOULDBLOCK)
      return false;
    return Error::sys("flock " + path);
  }
}

Result<std::optional<FileLock>> FileLock::try_acquire(const std::string &path) {
  auto fd = open_lock_file(path);
  if (!fd)
    return fd.error();
  auto got = try_flock(fd->get(), LOCK_EX, path);
  if (!got)
    return got.error();
  if (!*got)
    return std::optional<FileLock>();
  return std::optional<FileLock>(FileLock(path, std::move(*fd)));
}

Result<bool> is_locked(const std::string &path, std::string *not_a_file) {
  auto fd = open_kind_file(path, O_RDONLY);
  if (!fd) {
    if (fd.error().code == ENOENT)
      return false;
    if (not_a_kind_file(fd.error())) {
      // No worker holds a lock on a FIFO or through a symlink.
      if (not_a_file)
        *not_a_file = fd.error().message();
      return false;
    }
    return fd.error();
  }
  auto got = try_flock(fd->get(), LOCK_SH, path);
  if (!got)
    return got.error();
  return !*got; // we got it (released when fd closes): nobody held it
}

} // namespace fifogate
