#include "fifogate/params.hpp"
#include "fifogate/utf8.hpp"
#include <cctype>

namespace fifogate {

bool valid_param_name(std::string_view name) {
  if (name.empty() || name.size() > 32 || !std::islower(static_cast<unsigned char>(name[0])))
    return false;
  for (unsigned char c : name)
    if (!std::islower(c) && !std::isdigit(c) && c != '_')
      return false;
  return true;
}

Result<ParamRules> parse_param_rules(std::string_view spec) {
  ParamRules rules;
  size_t at = 0;
  while (at < spec.size()) {
    if (std::isspace(static_cast<unsigned char>(spec[at]))) {
      ++at;
      continue;
    }
    size_t end = at;
    while (end < spec.size() && !std::isspace(static_cast<unsigned char>(spec[end])))
      ++end;
    std::string_view entry = spec.substr(at, end - at);
    at = end;
    size_t eq = entry.find('=');
    std::string name(entry.substr(0, eq));
    if (eq == std::string_view::npos || eq + 1 == entry.size())
      return Error::logic("PROC_PARAMS: \"" + std::string(entry) +
                          "\" is not name=rule (a regular expression)");
    if (!valid_param_name(name))
      return Error::logic("PROC_PARAMS: parameter name \"" + name +
                          "\" is not 1 to 32 of a-z 0-9 _ starting with a letter");
    for (const auto &r : rules)
      if (r.name == name)
        return Error::logic("PROC_PARAMS: parameter " + name + " is declared twice");
    if (rules.size() == kMaxParams)
      return Error::logic("PROC_PARAMS: over " + std::to_string(kMaxParams) + " parameters");
    ParamRule rule{name, std::string(entry.substr(eq + 1)), {}};
    try {
      rule.re = std::regex(rule.pattern, std::regex::ECMAScript);
    } catch (const std::regex_error &e) {
      return Error::logic("PROC_PARAMS: the rule of " + name + " (" + rule.pattern +
                          ") is not a regular expression: " + e.what());
    }
    rules.push_back(std::move(rule));
  }
  return rules;
}

std::optional<std::string> params_problem(const ParamRules &rules, const ParamValues &values) {
  for (const auto &[name, value] : values) {
    const ParamRule *rule = nullptr;
    for (const auto &r : rules)
      if (r.name == name)
        rule = &r;
    if (!rule) {
      std::string declared;
      for (const auto &r : rules)
        declared += (declared.empty() ? "" : ", ") + r.name;
      return "unknown parameter " + name.substr(0, 64) + "; this processor takes " +
             (declared.empty() ? std::string("none") : declared) + " (PROC_PARAMS)";
    }
    if (value.size() > kMaxParamBytes)
      return "parameter " + name + " is over " + std::to_string(kMaxParamBytes) + " bytes";
    Utf8Validator utf8; // also refuses NUL, which no argument or variable can hold
    if (!utf8.feed(value) || !utf8.finish())
      return "parameter " + name + " is not UTF-8 text without NUL: " + utf8.error();
    if (!std::regex_match(value, rule->re))
      return "parameter " + name + " does not match its rule " + rule->pattern;
  }
  return std::nullopt;
}

std::string param_variable(std::string_view name) {
  std::string v = "FIFOGATE_PARAM_";
  for (char c : name)
    v += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return v;
}

std::vector<std::string> substitute_params(const std::vector<std::string> &argv,
                                           const ParamRules &rules, const ParamValues &values) {
  std::vector<std::string> out;
  for (const auto &arg : argv) {
    std::string result;
    bool missing = false;
    for (size_t i = 0; i < arg.size();) {
      size_t close = arg[i] == '{' ? arg.find('}', i) : std::string::npos;
      const ParamRule *rule = nullptr;
      if (close != std::string::npos)
        for (const auto &r : rules)
          if (arg.compare(i + 1, close - i - 1, r.name) == 0 && r.name.size() == close - i - 1)
            rule = &r;
      if (!rule) {
        result += arg[i++];
        continue;
      }
      auto v = values.find(rule->name);
      if (v == values.end())
        missing = true;
      else
        result += v->second;
      i = close + 1;
    }
    if (!missing)
      out.push_back(std::move(result));
  }
  return out;
}

} // namespace fifogate
