#pragma once
#include <string_view>

namespace fifogate {

// One line to stderr, written with a single write(2) so lines from threads
// never interleave: "2026-11-21T23:59:01.123Z web: <message>".
void log_line(std::string_view program, std::string_view message);

} // namespace fifogate
