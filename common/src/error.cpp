#include "fifogate/error.hpp"
#include <cstring>

namespace fifogate {

std::string errno_name(int err) {
  switch (err) {
#define FG_ERRNO(e)                                                                                \
  case e:                                                                                          \
    return #e;
    FG_ERRNO(ENXIO)
    FG_ERRNO(ENOENT)
    FG_ERRNO(EPIPE)
    FG_ERRNO(EAGAIN)
    FG_ERRNO(ETIMEDOUT)
    FG_ERRNO(EACCES)
    FG_ERRNO(EPERM)
    FG_ERRNO(EEXIST)
    FG_ERRNO(EINTR)
    FG_ERRNO(EBADF)
    FG_ERRNO(EINVAL)
    FG_ERRNO(ENOTDIR)
    FG_ERRNO(EISDIR)
    FG_ERRNO(ENOSPC)
    FG_ERRNO(EMFILE)
    FG_ERRNO(ENFILE)
    FG_ERRNO(ENOSYS)
    FG_ERRNO(ECHILD)
    FG_ERRNO(ESRCH)
    FG_ERRNO(EIO)
    FG_ERRNO(EPROTO)
    FG_ERRNO(EMSGSIZE)
    FG_ERRNO(ECONNRESET)
#undef FG_ERRNO
  default:
    return "errno " + std::to_string(err);
  }
}

std::string Error::message() const {
  std::string m = context;
  if (code != 0)
    m += ": " + errno_name(code) + " (" + (detail.empty() ? std::strerror(code) : detail) + ")";
  else if (!detail.empty())
    m += ": " + detail;
  return m;
}

} // namespace fifogate
