#pragma once
#include "fifogate/error.hpp"
#include "fifogate/unique_fd.hpp"
#include <string>
#include <sys/types.h>

namespace fifogate {

// Opening a lock or info file in a kind's directory (PROC_DIR/<kind>/).
// Anyone in the kind's group can put something else under that name: a
// symlink would send the open elsewhere (O_NOFOLLOW: ELOOP), and a FIFO
// would block an O_RDONLY open until some writer came, holding whatever
// mutex the caller holds (O_NONBLOCK, then fstat: a regular file only, else
// EINVAL "not a regular file"). O_CLOEXEC always.
Result<UniqueFd> open_kind_file(const std::string &path, int flags, mode_t mode = 0);

// True for the errors open_kind_file gives for a name that is not a plain
// file: a symlink or a FIFO put there by someone else.
bool not_a_kind_file(const Error &e);

// Up to `max_bytes` of such a file; a missing file reads as empty.
Result<std::string> read_kind_file(const std::string &path, size_t max_bytes);

} // namespace fifogate
