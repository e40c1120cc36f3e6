#include "command_probes.hpp"
#include "child_process.hpp"
#include "fifogate/dictionary_name.hpp"
#include "fifogate/fd_io.hpp"
#include <algorithm>
#include <dirent.h>
#include <poll.h>
#include <string_view>

namespace fifogate {

static std::string program_name(const std::vector<std::string> &argv) {
  if (argv.empty())
    return {};
  auto slash = argv[0].rfind('/');
  return slash == std::string::npos ? argv[0] : argv[0].substr(slash + 1);
}

std::optional<std::vector<std::string>> command_with_lang(const std::vector<std::string> &argv,
                                                          const std::string &lang) {
  std::string prog = program_name(argv);
  std::vector<std::string> out = argv;
  if (prog == "aspell") {
    out.push_back("--master=" + lang);
  } else if (prog == "hunspell" || prog == "ispell") {
    out.push_back("-d");
    out.push_back(lang);
  } else {
    return std::nullopt;
  }
  return out;
}

// stdout of a short command, or nothing when it fails, takes too long or a
// stop signal comes (stop_fd, as in learn_command).
static std::optional<std::string> capture(const std::vector<std::string> &argv, Deadline deadline,
                                          int stop_fd) {
  auto c = ChildProcess::spawn(argv);
  if (!c)
    return std::nullopt;
  c->stdin_fd().reset();
  std::string out;
  char buf[4096];
  while (out.size() < (1 << 20)) {
    if (poll_one(c->stdout_fd().get(), POLLIN, deadline, stop_fd) <= 0)
      return std::nullopt;
    auto r = read_some(c->stdout_fd().get(), buf, sizeof buf);
    if (r.kind == ReadKind::data)
      out.append(buf, r.bytes);
    else if (r.kind != ReadKind::would_block)
      break;
  }
  while (!c->try_exit()) {
    // Without a pidfd (fd -1, which poll skips) this is a 5 ms nap.
    if (deadline.expired() ||
        poll_one(c->exit_fd(), POLLIN, Deadline::in(Millis(5)).earlier(deadline), stop_fd) ==
            kStopRequested)
      return std::nullopt; // the destructor kills it
  }
  auto e = c->try_exit();
  if (e->exit_code != 0)
    return std::nullopt;
  return out;
}

static std::vector<std::string> hunspell_dictionaries() {
  std::vector<std::string> out;
  for (const char *dir :
       {"/usr/share/hunspell", "/usr/share/myspell", "/usr/share/myspell/dicts"}) {
    DIR *d = ::opendir(dir);
    if (!d)
      continue;
    while (const dirent *e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name.size() > 4 && name.compare(name.size() - 4, 4, ".dic") == 0)
        out.push_back(name.substr(0, name.size() - 4));
    }
    ::closedir(d);
  }
  return out;
}

static std::vector<std::string> installed_dictionaries(const Config &cfg, int stop_fd) {
  std::string prog = program_name(cfg.command);
  std::vector<std::string> names;
  if (cfg.protocol != Protocol::ispell) {
    return names;
  } else if (prog == "aspell") {
    // The configured options may move the dictionary directory: keep them, drop the -a.
    std::vector<std::string> argv;
    for (const auto &a : cfg.command)
      if (a != "-a" && a != "pipe")
        argv.push_back(a);
    argv.insert(argv.end(), {"dump", "dicts"});
    auto out = capture(argv, Deadline::in(Millis(10000)), stop_fd);
    std::string_view rest = out ? std::string_view(*out) : std::string_view();
    while (!rest.empty()) {
      size_t nl = rest.find('\n');
      names.emplace_back(rest.substr(0, nl));
      rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
    }
  } else if (prog == "hunspell") {
    names = hunspell_dictionaries();
  }
  names.erase(std::remove_if(names.begin(), names.end(),
                             [](const std::string &n) { return !valid_dictionary_name(n); }),
              names.end());
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

// The first line a command prints with no input (its banner), or nothing.
// It need not exit: it is killed once that line is in.
static std::optional<std::string> first_line(const std::vector<std::string> &argv,
                                             Deadline deadline, int stop_fd) {
  auto c = ChildProcess::spawn(argv);
  if (!c)
    return std::nullopt;
  c->stdin_fd().reset();
  auto out = read_line(c->stdout_fd().get(), deadline, stop_fd);
  if (!out)
    return std::nullopt;
  return out->substr(0, out->find('\n'));
}

static ispell::Checker checker_of(const Config &cfg, int stop_fd, std::string &banner_out) {
  auto banner = first_line(cfg.command, Deadline::in(Millis(10000)), stop_fd);
  if (banner && banner->rfind("@(#)", 0) == 0) {
    banner_out = *banner;
    return ispell::checker_from_banner(*banner);
  }
  return program_name(cfg.command) == "aspell" ? ispell::Checker::aspell
                                               : ispell::Checker::hunspell;
}

CommandFacts learn_command(const Config &cfg, int stop_fd) {
  CommandFacts f;
  if (cfg.protocol != Protocol::ispell)
    return f;
  f.dictionaries = installed_dictionaries(cfg, stop_fd);
  if (stop_fd >= 0 && poll_one(stop_fd, POLLIN, Deadline::in(Millis(0))) > 0)
    return f; // stopping: no point starting the command again
  f.checker = checker_of(cfg, stop_fd, f.banner);
  return f;
}

} // namespace fifogate
