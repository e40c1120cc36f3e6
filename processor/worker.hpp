#pragma once
#include "fifogate/config.hpp"

namespace fifogate {

// Serves one set of FIFOs until a signal arrives on `stop_fd` (a signalfd):
// creates the FIFOs and lock file if missing, claims the worker's life lock
// (so two processors never serve the same FIFOs), then runs one request at a
// time. Returns the process exit code.
int serve(const Config &cfg, int stop_fd);

} // namespace fifogate
