#pragma once
#include "fifogate/error.hpp"
#include <map>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

namespace fifogate {

// A parameter a processor declares in PROC_PARAMS: a name, and the rule a
// whole value must match (an ECMAScript regular expression).
//   PROC_PARAMS='to=^(html|latex|man)$ width=^[0-9]{1,3}$'
// Entries are separated by whitespace (a rule says \s or \x20 for a space).
struct ParamRule {
  std::string name; // 1 to 32 of a-z 0-9 _, starting with a letter
  std::string pattern;
  std::regex re;
};
using ParamRules = std::vector<ParamRule>;
// A request's values, by name.
using ParamValues = std::map<std::string, std::string>;

constexpr size_t kMaxParams = 32;
constexpr size_t kMaxParamBytes = 1024; // one value
// A rule is refused before std::regex sees it when it is longer than this,
// nests parentheses deeper, or repeats (* + {n,}) a group holding a
// quantifier or alternatives: see parse_param_rules.
constexpr size_t kMaxRuleBytes = 256;
constexpr size_t kMaxRuleDepth = 16;

Result<ParamRules> parse_param_rules(std::string_view spec);
bool valid_param_name(std::string_view name);

// Why `values` cannot be used with `rules`, naming the parameter and its
// rule, or nothing when every value is declared and matches. A value is
// also refused for a NUL byte, for not being UTF-8, or for its size.
std::optional<std::string> params_problem(const ParamRules &rules, const ParamValues &values);

// The variable a value reaches the command in: FIFOGATE_PARAM_<NAME>.
std::string param_variable(std::string_view name);

// argv with each "{name}" of a declared parameter replaced by its value,
// inside the one argument it is in (never split, never interpreted). An
// argument naming a parameter the request did not give is left out; braces
// that name no declared parameter stay as they are.
std::vector<std::string> substitute_params(const std::vector<std::string> &argv,
                                           const ParamRules &rules, const ParamValues &values);

} // namespace fifogate
