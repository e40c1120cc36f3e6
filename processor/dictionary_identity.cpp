#include "dictionary_identity.hpp"
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <dirent.h>
#include <functional>
#include <sys/stat.h>
#include <vector>

namespace fifogate {

namespace {

bool starts_with(const std::string &s, const char *prefix) {
  return s.rfind(prefix, 0) == 0;
}

// Options by which aspell or hunspell reads a word list besides the installed
// dictionaries, one that a user may edit while the command runs.
bool names_a_personal_list(const std::vector<std::string> &argv) {
  for (const auto &a : argv)
    if (a == "-p" || starts_with(a, "--personal") || starts_with(a, "--home-dir") ||
        starts_with(a, "--repl") || starts_with(a, "--extra-dicts") ||
        starts_with(a, "--add-extra-dicts") || starts_with(a, "--per-conf"))
      return true;
  return false;
}

// aspell's .aspell.<lang>.pws / .prepl and hunspell's .hunspell_<lang> in $HOME.
bool home_has_personal_list() {
  const char *home = std::getenv("HOME");
  if (!home || !*home)
    return false;
  DIR *d = ::opendir(home);
  if (!d)
    return false;
  bool found = false;
  while (const dirent *e = ::readdir(d)) {
    std::string name = e->d_name;
    if (starts_with(name, ".aspell.") || starts_with(name, ".hunspell_") || name == ".aspell.conf")
      found = true;
  }
  ::closedir(d);
  return found;
}

// Each entry of the dictionary directories, with its size and time.
void describe_dictionary_files(std::string &out) {
  for (const char *dir : {"/usr/lib/aspell", "/var/lib/aspell", "/usr/share/hunspell",
                          "/usr/share/myspell", "/usr/share/myspell/dicts"}) {
    DIR *d = ::opendir(dir);
    if (!d)
      continue;
    std::vector<std::string> lines;
    while (const dirent *e = ::readdir(d)) {
      std::string path = std::string(dir) + "/" + e->d_name;
      struct stat st {};
      if (e->d_name[0] == '.' || ::stat(path.c_str(), &st) != 0)
        continue;
      lines.push_back(path + " " + std::to_string(st.st_size) + " " +
                      std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec));
    }
    ::closedir(d);
    std::sort(lines.begin(), lines.end());
    for (const auto &l : lines)
      out += l + "\n";
  }
}

} // namespace

std::string dictionary_identity(const Config &cfg, const CommandFacts &facts) {
  if (cfg.protocol != Protocol::ispell || facts.banner.empty() ||
      names_a_personal_list(cfg.command) || std::getenv("ASPELL_CONF") || home_has_personal_list())
    return {};
  // The worker's own version too: it fixes up what the command prints.
  std::string all =
      std::string(FIFOGATE_VERSION) + "\n" + cfg.command_line + "\n" + facts.banner + "\n";
  for (const auto &d : facts.dictionaries)
    all += d + ",";
  all += "\n";
  if (const char *p = std::getenv("DICPATH"))
    all += std::string("DICPATH=") + p + "\n";
  describe_dictionary_files(all);
  // libstdc++'s string hash is the same in every process of one build; the
  // web only compares these strings for equality.
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016zx", std::hash<std::string>{}(all));
  return hex;
}

} // namespace fifogate
