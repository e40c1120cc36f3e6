#pragma once
#include "fifogate/unique_fd.hpp"
#include <string_view>

namespace fifogate {

// Tells whoever started this process that it is ready, once: one line written
// to the descriptor given with --ready-fd, which is then closed, so a reader
// also sees end of file when the process exits before it is ready. The
// descriptor is close-on-exec from the start (no command inherits it) and
// non-blocking (a reader that never reads cannot stop the server).
class ReadySignal {
public:
  ReadySignal() = default;
  // Takes `fd`; false when it is not an open descriptor.
  bool adopt(int fd);
  // Writes `line` and a newline, and closes the descriptor; later calls do
  // nothing.
  void send(std::string_view line);

private:
  UniqueFd fd_;
};

} // namespace fifogate
