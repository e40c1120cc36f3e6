#pragma once
#include "fifogate/ready_signal.hpp"
#include <string_view>

namespace fifogate {

// The command line both binaries share: --help, --version, --healthcheck,
// --ready-fd N.
enum class CliAction { run, healthcheck, exit };
struct Cli {
  CliAction action = CliAction::run;
  int exit_code = 0; // for CliAction::exit: 0 after --help/--version, 100 on bad usage
  ReadySignal ready; // --ready-fd: told once the server serves
};

// Prints usage (plus the environment table) or the version when asked.
Cli parse_cli(int argc, char **argv, std::string_view program, std::string_view usage);

} // namespace fifogate
