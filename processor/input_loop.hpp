#pragma once
#include "command_probes.hpp"
#include "fifogate/config.hpp"
#include "fifogate/deadline.hpp"
#include "fifogate/error.hpp"
#include "fifogate/fifo.hpp"
#include "fifogate/file_lock.hpp"
#include "fifogate/frame.hpp"
#include "warm_command.hpp"
#include <cstdint>
#include <optional>
#include <string>

namespace fifogate {

// What start-up hands to the input loop: the slot this worker claimed and
// what it serves it with. Members are released in reverse order: the warm
// command ends and the input FIFO closes before the life lock is let go, so
// a worker that claims the slot next never shares the FIFO with this one.
struct ServedSlot {
  Channel channel;
  FileLock owner;     // the slot's life lock; its file holds the worker info
  FifoReader reader;  // the input FIFO's read end
  std::string worker; // host:pid: names this worker in its info, the log and each status
  CommandFacts facts;
  std::optional<WarmCommand> warm; // warm mode only
};

// Serves the requests that come on the slot's input FIFO, one at a time,
// until a stop signal arrives on `stop_fd`. Then the FIFO's name goes, and
// the senders that opened it already are served until the last has left.
// Each step that can end the worker returns the exit code then, and nothing
// while the worker goes on.
class InputLoop {
public:
  InputLoop(const Config &cfg, int stop_fd, ServedSlot &slot)
      : cfg_(cfg), stop_fd_(stop_fd), slot_(slot) {}

  // Returns the process exit code.
  int run();

private:
  enum class Wake { idle, input, stop_signal };

  void serve_waiting_requests();
  std::optional<frame::Record> next_begin();
  void restart_warm_command();
  void discard_until_writer_leaves();
  void report_stray_records();
  Result<Wake> wait_for_input();
  std::optional<int> on_stop_signal();
  std::optional<int> read_input();
  std::optional<int> exit_when_grace_is_over();
  std::optional<int> on_writer_left();
  int on_last_sender_left();
  void drop_incomplete_record();

  const Config &cfg_;
  int stop_fd_;
  ServedSlot &slot_;
  frame::Parser parser_;
  bool discarding_ = false; // after garbage: drop bytes until that writer leaves
  uint64_t stray_ = 0;      // records of abandoned requests dropped, not yet logged
  // After a stop signal: the input FIFO's name is gone, so no new sender can
  // open it (ENOENT: the web tries another worker), and those that opened it
  // already are served until the last one has left.
  bool stopping_ = false;
  Clock::time_point last_input_ = Clock::now(); // a stopping worker's grace runs from here
};

} // namespace fifogate
