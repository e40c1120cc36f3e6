#include "fifogate/kind_file.hpp"
#include <algorithm>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace fifogate {

Result<UniqueFd> open_kind_file(const std::string &path, int flags, mode_t mode) {
  UniqueFd fd(::open(path.c_str(), flags | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC, mode));
  if (!fd) {
    int e = errno;
    return Error::sys("open " + path, e, e == ELOOP ? "a symlink, not a file" : "");
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0)
    return Error::sys("fstat " + path);
  if (!S_ISREG(st.st_mode))
    return Error::sys("open " + path, EINVAL,
                      S_ISFIFO(st.st_mode) ? "a FIFO, not a regular file" : "not a regular file");
  return fd;
}

bool not_a_kind_file(const Error &e) {
  return e.code == ELOOP || e.code == EINVAL;
}

Result<std::string> read_kind_file(const std::string &path, size_t max_bytes) {
  auto fd = open_kind_file(path, O_RDONLY);
  if (!fd) {
    if (fd.error().code == ENOENT)
      return std::string();
    return fd.error();
  }
  std::string out;
  char buf[4096];
  while (out.size() < max_bytes) {
    ssize_t n = ::read(fd->get(), buf, std::min(sizeof buf, max_bytes - out.size()));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return Error::sys("read " + path);
    if (n == 0)
      break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

} // namespace fifogate
