#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace fifogate {

// For the log: a path or message cannot forge a second line or a quote.
std::string printable(std::string_view s);
// 512B, 12KB, 40MB: sizes in the access-log line.
std::string human_size(int64_t n);

} // namespace fifogate
