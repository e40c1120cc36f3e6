#pragma once
#include "fifogate/config.hpp"
#include "fifogate/ispell.hpp"
#include <optional>
#include <string>
#include <vector>

namespace fifogate {

// What a worker learns about its command once, at start-up.
struct CommandFacts {
  // The dictionaries the configured checker can use: `aspell dump dicts` (run
  // without a shell, with the configured options), or the .dic files in
  // hunspell's directories. Empty for any other command.
  std::vector<std::string> dictionaries;
  // How it cuts input into answer blocks, from the banner it prints when run
  // with no input (by its name if it prints none; not "aspell": hunspell, the
  // safer guess). A per-request command is fed before its banner comes.
  ispell::Checker checker = ispell::Checker::aspell;
  std::string banner; // that first line; empty if it printed none
};
// Each probe waits up to 10 s for a command that hangs; a stop signal pending
// on `stop_fd` (the processor's signalfd; -1: none) cuts that short, and the
// facts are then incomplete: the caller is to exit.
CommandFacts learn_command(const Config &cfg, int stop_fd = -1);

// The command with a dictionary chosen: aspell gets --master=<lang> (the names
// `aspell dump dicts` lists are master dictionaries; --lang would drop a
// variant such as en_GB-ize), hunspell and ispell get -d <lang>. Appended last
// so it wins over one in PROC_COMMAND. Nothing for other commands.
std::optional<std::vector<std::string>> command_with_lang(const std::vector<std::string> &argv,
                                                          const std::string &lang);

} // namespace fifogate
