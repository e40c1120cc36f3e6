#pragma once
#include "fifogate/log_fields.hpp"
#include <cstdint>
#include <string>
#include <string_view>

namespace fifogate {

// 512B, 12KB, 40MB: sizes in the access-log line.
std::string human_size(int64_t n);

} // namespace fifogate
