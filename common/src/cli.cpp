#include "fifogate/cli.hpp"
#include "fifogate/config.hpp"
#include <cstdlib>
#include <iostream>
#include <string>

namespace fifogate {

namespace {
Cli exit_with(int code) {
  Cli cli;
  cli.action = CliAction::exit;
  cli.exit_code = code;
  return cli;
}
} // namespace

Cli parse_cli(int argc, char **argv, std::string_view program, std::string_view usage) {
  Cli cli;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--healthcheck") {
      cli.action = CliAction::healthcheck;
    } else if (arg == "--ready-fd" || arg.rfind("--ready-fd=", 0) == 0) {
      std::string value =
          arg == "--ready-fd" ? (i + 1 < argc ? argv[++i] : "") : std::string(arg.substr(11));
      char *end = nullptr;
      long fd = value.empty() ? -1 : std::strtol(value.c_str(), &end, 10);
      if (fd < 3 || fd > 65535 || *end != '\0' || !cli.ready.adopt(static_cast<int>(fd))) {
        std::cerr << program << ": --ready-fd " << value
                  << ": not an open file descriptor above 2\n";
        return exit_with(100);
      }
    } else if (arg == "--help" || arg == "-h") {
      std::cout << usage << config_help();
      return exit_with(0);
    } else if (arg == "--version") {
      std::cout << program << " " FIFOGATE_VERSION "\n";
      return exit_with(0);
    } else {
      std::cerr << program << ": unknown argument " << arg << "\n" << usage;
      return exit_with(100);
    }
  }
  return cli;
}

} // namespace fifogate
