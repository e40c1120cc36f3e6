#pragma once
#include <string_view>

namespace fifogate {

// The command line both binaries share: --help, --version, --healthcheck.
enum class CliAction { run, healthcheck, exit };
struct Cli {
  CliAction action = CliAction::run;
  int exit_code = 0; // for CliAction::exit: 0 after --help/--version, 100 on bad usage
};

// Prints usage (plus the environment table) or the version when asked.
Cli parse_cli(int argc, char **argv, std::string_view program, std::string_view usage);

} // namespace fifogate
