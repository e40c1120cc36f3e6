#pragma once
#include <string_view>

namespace fifogate {

// A dictionary name that may reach a command's argv: 1 to 32 of A-Z a-z 0-9
// _ -, not starting with '-' (so it is never taken for an option). Both the
// web and the worker check it; the worker never trusts the wire.
bool valid_dictionary_name(std::string_view name);

} // namespace fifogate
