#pragma once
#include "command_probes.hpp"
#include "fifogate/config.hpp"
#include <string>

namespace fifogate {

// What decides an ispell command's answer to a line, as one short string the
// web may key a line cache by: this worker's version, the command line, its banner (the checker and
// its version), the dictionaries installed and the files in the system's
// dictionary directories (name, size, time). Empty, so nothing is cached,
// when the answers may change while the command runs or depend on more than
// that: a personal dictionary (in $HOME or named by an option), ASPELL_CONF,
// or any command that is not an ispell one.
std::string dictionary_identity(const Config &cfg, const CommandFacts &facts);

} // namespace fifogate
