#include "fifogate/ready_signal.hpp"
#include <fcntl.h>
#include <string>

namespace fifogate {

bool ReadySignal::adopt(int fd) {
  int fd_flags = ::fcntl(fd, F_GETFD);
  int fl_flags = ::fcntl(fd, F_GETFL);
  if (fd < 0 || fd_flags < 0 || fl_flags < 0)
    return false;
  ::fcntl(fd, F_SETFD, fd_flags | FD_CLOEXEC);
  ::fcntl(fd, F_SETFL, fl_flags | O_NONBLOCK);
  fd_.reset(fd);
  return true;
}

void ReadySignal::send(std::string_view line) {
  if (!fd_)
    return;
  // One short write to a pipe: whole or not at all (PIPE_BUF), never blocking.
  std::string text(line);
  text += '\n';
  ssize_t ignored = ::write(fd_.get(), text.data(), text.size());
  (void)ignored;
  fd_.reset();
}

} // namespace fifogate
