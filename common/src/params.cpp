#include "fifogate/params.hpp"
#include "fifogate/utf8.hpp"
#include <cctype>

namespace fifogate {

namespace {

// A quantifier that repeats what it follows more than once: * + {n,} {n,m}
// with m > 1. `at` is on the quantifier's first character.
bool repeats(std::string_view re, size_t at) {
  if (at >= re.size())
    return false;
  if (re[at] == '*' || re[at] == '+')
    return true;
  if (re[at] != '{')
    return false;
  size_t close = re.find('}', at);
  std::string_view inside = re.substr(at + 1, close == std::string_view::npos ? 0 : close - at - 1);
  size_t comma = inside.find(',');
  if (comma == std::string_view::npos)
    return inside != "0" && inside != "1";
  std::string_view max = inside.substr(comma + 1);
  return max.empty() || (max != "0" && max != "1");
}

// Why std::regex should not be given `re`, or nothing. It is a backtracking
// engine that recurses as it compiles and as it matches, and the web
// compiles the rules a kind's info file declares (anyone in the kind's
// group can write it): deep nesting overflows the stack, and a repeated
// group that can match one string in many ways (a quantifier inside it, or
// alternatives) takes exponential time on a short value that almost matches.
std::optional<std::string> rule_problem(std::string_view re) {
  if (re.size() > kMaxRuleBytes)
    return "is over " + std::to_string(kMaxRuleBytes) + " bytes";
  struct Group {
    bool quantified = false, alternatives = false;
  };
  std::vector<Group> open;
  for (size_t i = 0; i < re.size(); ++i) {
    char c = re[i];
    if (c == '\\') {
      ++i; // an escaped character is itself
    } else if (c == '[') {
      // A class is one character, whatever is in it. In ECMAScript (and in
      // libstdc++'s scanner) the first unescaped "]" ends it, even right
      // after "[": "[]" is the empty class.
      size_t j = i + 1;
      for (; j < re.size() && re[j] != ']'; ++j)
        if (re[j] == '\\')
          ++j;
      i = j;
    } else if (c == '(') {
      if (open.size() == kMaxRuleDepth)
        return "nests parentheses deeper than " + std::to_string(kMaxRuleDepth);
      open.emplace_back();
      if (i + 1 < re.size() && re[i + 1] == '?')
        i += 2; // (?: (?= (?!: the "?" is no quantifier
    } else if (c == ')') {
      if (open.empty())
        continue; // std::regex says what is wrong with it
      Group g = open.back();
      open.pop_back();
      if (repeats(re, i + 1) && (g.quantified || g.alternatives))
        return std::string("repeats a group that holds ") +
               (g.quantified ? "a quantifier" : "alternatives") +
               " (like (a+)* or (a|aa)+): such a rule can take exponential time to match a "
               "value that almost matches; write it without repeating the group, e.g. "
               "[a-z,]* instead of ([a-z]+,?)*";
    } else if (c == '*' || c == '+' || c == '?' || c == '{') {
      for (auto &g : open)
        g.quantified = true;
    } else if (c == '|') {
      for (auto &g : open)
        g.alternatives = true;
    }
  }
  return std::nullopt;
}

} // namespace

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
    if (name == "stream")
      return Error::logic("PROC_PARAMS: stream is the web's own (?stream=1 asks for a streamed "
                          "answer); name the parameter otherwise");
    for (const auto &r : rules)
      if (r.name == name)
        return Error::logic("PROC_PARAMS: parameter " + name + " is declared twice");
    if (rules.size() == kMaxParams)
      return Error::logic("PROC_PARAMS: over " + std::to_string(kMaxParams) + " parameters");
    ParamRule rule{name, std::string(entry.substr(eq + 1)), {}};
    if (auto problem = rule_problem(rule.pattern))
      return Error::logic("PROC_PARAMS: the rule of " + name + " (" + rule.pattern.substr(0, 80) +
                          (rule.pattern.size() > 80 ? "..." : "") + ") " + *problem);
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
