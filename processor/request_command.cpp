#include "request_command.hpp"
#include "command_probes.hpp"
#include "fifogate/dictionary_name.hpp"
#include <algorithm>
#include <cctype>

namespace fifogate {

std::string header_variable(std::string_view lower_case_name) {
  std::string v = "FIFOGATE_HEADER_";
  for (char c : lower_case_name)
    v += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return v;
}

namespace {

bool declared(const ParamRules &rules, const std::string &name) {
  return std::any_of(rules.begin(), rules.end(),
                     [&](const ParamRule &r) { return r.name == name; });
}

// A value that can be an environment variable's: no NUL, bounded.
std::string env_safe(std::string v) {
  if (v.find('\0') != std::string::npos || v.size() > 8192)
    return {};
  return v;
}

} // namespace

std::variant<RequestCommand, std::string>
request_command(const Config &cfg, const BeginOptions &options, const RequestId &id,
                const std::vector<std::string> &dictionaries) {
  RequestCommand cmd{cfg.command, {{"FIFOGATE_CONTENT_TYPE", options.content_type}}, false};
  ParamValues values = options.params;
  const std::string &lang = options.lang;
  bool lang_is_param = declared(cfg.params, "lang");
  if (!lang.empty() && lang_is_param) {
    if (values.count("lang") && values["lang"] != lang)
      return std::string("two values for lang");
    values["lang"] = lang;
  }
  if (auto problem = params_problem(cfg.params, values))
    return *problem;
  if (!lang.empty() && cfg.protocol == Protocol::ispell) {
    auto argv = command_with_lang(cfg.command, lang);
    if (!valid_dictionary_name(lang))
      return std::string("lang is not a dictionary name (1 to 32 of A-Z a-z 0-9 _ -)");
    if (!argv)
      return "lang needs an aspell, hunspell or ispell -a command, not \"" + cfg.command_line +
             "\"";
    if (std::find(dictionaries.begin(), dictionaries.end(), lang) == dictionaries.end())
      return "lang " + lang + ": no such dictionary is installed on this worker";
    cmd.argv = std::move(*argv);
    cmd.custom = true;
  } else if (!lang.empty() && !lang_is_param) {
    return "lang needs an aspell, hunspell or ispell -a command, or a lang parameter in "
           "PROC_PARAMS; this processor runs \"" +
           cfg.command_line + "\"";
  }
  // Also with no values at all: then every "{name}" argument is left out,
  // never passed as it is written.
  auto argv = substitute_params(cmd.argv, cfg.params, values);
  if (argv.empty())
    return std::string("the command is empty once the parameters not given are left out");
  if (argv != cmd.argv) {
    cmd.argv = std::move(argv);
    cmd.custom = true;
  }
  for (const auto &[name, value] : values)
    cmd.env[param_variable(name)] = value;
  // Only what this processor asked for, whatever the web sent.
  for (const auto &h : cfg.pass_headers)
    if (auto it = options.headers.find(h); it != options.headers.end())
      cmd.env[header_variable(h)] = env_safe(it->second);
  if (cfg.pass_request) {
    cmd.env["FIFOGATE_METHOD"] = env_safe(options.method);
    cmd.env["FIFOGATE_PATH"] = env_safe(options.path);
    cmd.env["FIFOGATE_QUERY"] = env_safe(options.query);
    cmd.env["FIFOGATE_REQUEST_ID"] = id.hex();
  }
  return cmd;
}

} // namespace fifogate
