#include "fifogate/fifo.hpp"
#include "fifogate/request_id.hpp"
#include <algorithm>
#include <cstdio>
#include <fcntl.h>
#include <sys/stat.h>
#include <thread>

namespace fifogate {

Result<void> ensure_fifo(const std::string &path, mode_t mode) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (S_ISFIFO(st.st_mode))
      return {};
    return Error::sys("check " + path, EEXIST,
                      "exists and is not a FIFO; remove it or pick another path");
  }
  if (errno != ENOENT)
    return Error::sys("stat " + path);
  std::string tmp = path + ".tmp-" + RequestId::random().hex();
  if (::mkfifo(tmp.c_str(), mode) != 0)
    return Error::sys("mkfifo " + tmp);
  // mkfifo applies the umask; the mode is what lets the other container in.
  if (::chmod(tmp.c_str(), mode) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return Error::sys("chmod " + tmp, e);
  }
  // rename() would replace a FIFO another processor just made; link() does not.
  if (::link(tmp.c_str(), path.c_str()) != 0 && errno != EEXIST) {
    int e = errno;
    ::unlink(tmp.c_str());
    return Error::sys("link " + tmp + " to " + path, e);
  }
  ::unlink(tmp.c_str());
  if (::lstat(path.c_str(), &st) != 0)
    return Error::sys("stat " + path);
  if (!S_ISFIFO(st.st_mode))
    return Error::sys("check " + path, EEXIST, "exists and is not a FIFO");
  return {};
}

static Result<void> check_is_fifo(int fd, const std::string &path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0)
    return Error::sys("fstat " + path);
  if (!S_ISFIFO(st.st_mode))
    return Error::sys("check " + path, EINVAL, "not a FIFO");
  return {};
}

Result<UniqueFd> open_fifo_reader(const std::string &path) {
  // O_NOFOLLOW: a symlink in a kind's directory would hand us another
  // kind's answers (or send ours there).
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC));
  if (!fd)
    return Error::sys("open " + path + " for read");
  if (auto r = check_is_fifo(fd.get(), path); !r)
    return r.error();
  return fd;
}

Result<UniqueFd> try_open_fifo_writer(const std::string &path) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) {
    int e = errno;
    return Error::sys("open " + path + " for write", e, e == ENXIO ? "no reader" : "");
  }
  if (auto r = check_is_fifo(fd.get(), path); !r)
    return r.error();
  return fd;
}

Result<UniqueFd> open_fifo_writer(const std::string &path, const Deadline &deadline,
                                  const std::function<bool()> &reader_gone) {
  auto pause = std::chrono::microseconds(200);
  for (;;) {
    auto r = try_open_fifo_writer(path);
    if (r.ok() || r.error().code != ENXIO || deadline.expired())
      return r;
    if (reader_gone && reader_gone())
      return Error::sys("open " + path + " for write", ENXIO, "no reader, and none will come");
    auto left = deadline.left();
    std::this_thread::sleep_for(std::min<std::chrono::microseconds>(pause, left));
    pause = std::min(pause * 2, std::chrono::microseconds(20000));
  }
}

Result<FifoReader> FifoReader::open(const std::string &path) {
  auto fd = open_fifo_reader(path);
  if (!fd)
    return fd.error();
  return FifoReader(path, std::move(*fd));
}

Result<void> FifoReader::renew() {
  auto fresh = open_fifo_reader(path_);
  if (!fresh)
    return fresh.error();
  fd_ = std::move(*fresh); // the old fd closes only after the new one exists
  return {};
}

} // namespace fifogate
