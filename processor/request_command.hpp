#pragma once
#include "fifogate/begin_options.hpp"
#include "fifogate/config.hpp"
#include "fifogate/request_id.hpp"
#include <map>
#include <string>
#include <variant>
#include <vector>

namespace fifogate {

// What one request runs: the command's argv and the variables it gets on
// top of the worker's own environment.
struct RequestCommand {
  std::vector<std::string> argv;
  std::map<std::string, std::string> env;
  bool custom = false; // differs from PROC_COMMAND as configured (a warm command cannot serve it)
};

// The command for a request's options, from the wire and so checked here
// again whatever the web checked: parameters against PROC_PARAMS, lang
// against the dictionaries installed here (`dictionaries`). A string when
// the request must be refused, saying why.
std::variant<RequestCommand, std::string>
request_command(const Config &cfg, const BeginOptions &options, const RequestId &id,
                const std::vector<std::string> &dictionaries);

// The variable a passed header reaches the command in: FIFOGATE_HEADER_<NAME>.
std::string header_variable(std::string_view lower_case_name);

} // namespace fifogate
