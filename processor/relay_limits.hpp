#pragma once
#include <cstddef>

namespace fifogate {

// How much one read of a pipe or FIFO takes at most.
constexpr size_t kReadChunk = 65536;
// Stop reading a side when this much waits for the other: bounded memory,
// and the pipes push back on whoever is too fast.
constexpr size_t kMaxPending = 1 << 20;

} // namespace fifogate
