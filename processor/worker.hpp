#pragma once
#include "fifogate/config.hpp"
#include "fifogate/ready_signal.hpp"

namespace fifogate {

// Serves one set of FIFOs until a signal arrives on `stop_fd` (a signalfd):
// creates the FIFOs and lock file if missing, claims the worker's life lock
// (so two processors never serve the same FIFOs), then runs one request at a
// time; `ready` is told once the slot is served. Returns the process exit
// code.
int serve(const Config &cfg, int stop_fd, ReadySignal &ready);

} // namespace fifogate
