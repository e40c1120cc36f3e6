#pragma once
#include "fifogate/error.hpp"
#include <cstdint>
#include <string>
#include <string_view>

namespace fifogate {

// `bytes` in `charset` (as a request declared it) converted to UTF-8 with
// glibc's iconv. UTF-8 (or no charset) and US-ASCII come back unchanged.
// Errors: EINVAL for a charset iconv does not know, EILSEQ for bytes that
// are not valid in it (the context says at which byte), E2BIG when the text
// would pass `max_bytes` once converted.
Result<std::string> to_utf8(std::string bytes, std::string_view charset,
                            size_t max_bytes = SIZE_MAX);

} // namespace fifogate
