// The deployment files set fifogate's variables by hand: the compose file and
// the Kubernetes manifests. Each value they set must be one the binaries
// accept, and a value that restates a default must be that default, so that
// changing a default in the configuration table cannot leave them behind.
#include "fifogate/config.hpp"
#include <fstream>
#include <gtest/gtest.h>
#include <map>
#include <regex>
#include <set>
#include <sstream>

using namespace fifogate;

namespace {

struct Setting {
  std::string file;
  int line;
  std::string name, value;
};

std::string source(const std::string &path) {
  std::ifstream f(std::string(FIFOGATE_SOURCE_DIR) + "/" + path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string unquoted(std::string v) {
  if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front())
    return v.substr(1, v.size() - 2);
  return v;
}

// "      PROC_NAME: spell" in the compose file's environment maps. Folded
// values (">-", "|") span lines: their name is taken, their value is not.
std::vector<Setting> compose_settings(const std::string &file) {
  std::vector<Setting> out;
  std::istringstream in(source(file));
  std::regex re(R"(^\s+([A-Z][A-Z0-9_]+):\s*(.*?)\s*$)");
  int n = 0;
  for (std::string line; std::getline(in, line);) {
    ++n;
    std::smatch m;
    if (std::regex_match(line, m, re))
      out.push_back({file, n, m[1], m[2]});
  }
  return out;
}

// "- name: PROC_NAME" followed by "value: spell" in a manifest's env list.
std::vector<Setting> manifest_settings(const std::string &file) {
  std::vector<Setting> out;
  std::istringstream in(source(file));
  std::regex name_re(R"(^\s*- name:\s*([A-Z][A-Z0-9_]+)\s*$)"),
      value_re(R"(^\s*value:\s*(.*?)\s*$)");
  std::string pending;
  int n = 0;
  for (std::string line; std::getline(in, line);) {
    ++n;
    std::smatch m;
    if (std::regex_match(line, m, name_re)) {
      pending = m[1];
    } else if (!pending.empty() && std::regex_match(line, m, value_re)) {
      out.push_back({file, n, pending, m[1]});
      pending.clear();
    } else {
      pending.clear();
    }
  }
  return out;
}

} // namespace

TEST(DeploySettings, EveryValueIsValidAndARestatedDefaultIsTheDefault) {
  std::map<std::string, std::string> defaults;
  for (const auto &doc : setting_docs())
    defaults[doc.name] = doc.default_text;
  // What a deployment chooses per kind or per overlay; any other variable it
  // sets restates the default.
  const std::set<std::string> chosen = {
      "PROC_NAME",     "PROC_COMMAND",          "PROC_MODE",  "PROC_CONTENT_TYPE",
      "PROC_PROTOCOL", "WEB_DEFAULT_PROCESSOR", "PROC_PARAMS"};
  // Not fifogate's: the environment the commands run in.
  const std::set<std::string> foreign = {"HOME", "TMPDIR", "LANG", "LC_ALL", "PATH"};
  std::vector<Setting> all = compose_settings("docker-compose.yml");
  for (const char *f :
       {"deploy/kubernetes/base/deployment.yaml", "deploy/kubernetes/overlays/warm/warm.yaml",
        "deploy/kubernetes/overlays/scaled/more-workers.yaml"}) {
    auto s = manifest_settings(f);
    EXPECT_FALSE(s.empty()) << f << " sets no variable: has its layout changed?";
    all.insert(all.end(), s.begin(), s.end());
  }
  ASSERT_GT(all.size(), 20u);
  for (const auto &s : all) {
    std::string where = s.file + ":" + std::to_string(s.line) + " " + s.name;
    if (foreign.count(s.name))
      continue;
    ASSERT_TRUE(defaults.count(s.name)) << where << " is not a variable fifogate reads";
    if (s.value.empty() || s.value[0] == '>' || s.value[0] == '|')
      continue; // a folded value, on the lines below
    std::string value = unquoted(s.value);
    auto parsed = config_from([&](const std::string &k) -> std::optional<std::string> {
      return k == s.name ? std::optional<std::string>(value) : std::nullopt;
    });
    EXPECT_TRUE(parsed.ok()) << where << "=" << value << ": "
                             << (parsed.ok() ? "" : parsed.error().message());
    if (!chosen.count(s.name)) {
      EXPECT_EQ(value, defaults[s.name]) << where << " restates a default that is now different";
    }
  }
}
