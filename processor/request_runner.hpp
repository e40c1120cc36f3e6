#pragma once
#include "fifogate/begin_options.hpp"
#include "fifogate/config.hpp"
#include "fifogate/dictionary_name.hpp"
#include "fifogate/fifo.hpp"
#include "fifogate/frame.hpp"
#include "fifogate/ispell.hpp"
#include "fifogate/status_record.hpp"
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fifogate {

// The worker's side of one request. It owns the FIFO ends and relays:
//   input FIFO records -> (ispell: '^' per line) -> the command's stdin pipe
//   the command's stdout pipe -> (ispell: offsets back) -> output FIFO records
// then reports a StatusRecord on the status FIFO. The command never touches a
// FIFO, so a command that exits slowly cannot swallow the next request's body.
struct RequestInput {
  FifoReader &reader;    // the input FIFO, already open
  frame::Parser &parser; // records already read from it
};

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

struct RunResult {
  StatusRecord status;
  std::string lang;       // the dictionary asked for, if any (for the log)
  bool streamed = false;  // the web streams this answer to its client
  int64_t out_bytes = 0;  // stdout bytes relayed
  int64_t in_bytes = 0;   // body bytes received
  bool delivered = false; // the output's end and the status reached the reader
  // A begin record of another request that arrived while this one was still
  // receiving its body: the sender gave up and a new request started.
  std::optional<frame::Record> next_begin;
};

class WarmCommand;

// `warm` is null in per-request mode: then a fresh command runs per request.
// A request that asks for a dictionary (lang) always gets a fresh command with
// it, in warm mode too: the warm one keeps the configured dictionary. A lang
// that is not in `facts.dictionaries` is refused (bad_input) before anything runs.
RunResult run_request(const Config &cfg, const Channel &ch, const frame::Record &begin,
                      RequestInput in, const std::string &worker_name, WarmCommand *warm,
                      const CommandFacts &facts);

} // namespace fifogate
