#include "fifogate/cli.hpp"
#include "fifogate/config.hpp"
#include <iostream>
#include <string>

namespace fifogate {

Cli parse_cli(int argc, char **argv, std::string_view program, std::string_view usage) {
  Cli cli;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--healthcheck") {
      cli.action = CliAction::healthcheck;
    } else if (arg == "--help" || arg == "-h") {
      std::cout << usage << config_help();
      return {CliAction::exit, 0};
    } else if (arg == "--version") {
      std::cout << program << " " FIFOGATE_VERSION "\n";
      return {CliAction::exit, 0};
    } else {
      std::cerr << program << ": unknown argument " << arg << "\n" << usage;
      return {CliAction::exit, 100};
    }
  }
  return cli;
}

} // namespace fifogate
