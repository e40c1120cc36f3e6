#include "fifogate/config.hpp"
#include <algorithm>
#include <fstream>
#include <gtest/gtest.h>
#include <map>

using namespace fifogate;

static EnvLookup env_of(std::map<std::string, std::string> m) {
  return [m](const std::string &k) -> std::optional<std::string> {
    auto it = m.find(k);
    if (it == m.end())
      return std::nullopt;
    return it->second;
  };
}

TEST(Config, DefaultsMatchTheReadme) {
  auto c = config_from(env_of({}));
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->proc_dir, "/run/fifogate");
  EXPECT_EQ(c->name, "default");
  EXPECT_EQ(c->default_processor, "default");
  EXPECT_EQ(c->content_type, "");
  EXPECT_EQ(c->channel(0).input_path, "/run/fifogate/default/in");
  EXPECT_EQ(c->channel(0).output_path, "/run/fifogate/default/out");
  EXPECT_EQ(c->channel(0).status_path, "/run/fifogate/default/status");
  EXPECT_EQ(c->channel(3).lock_path, "/run/fifogate/default/lock.3");
  EXPECT_EQ(c->command, (std::vector<std::string>{"aspell", "-a"}));
  EXPECT_EQ(c->protocol, Protocol::ispell);
  EXPECT_EQ(c->timeout_ms, 30000);
  EXPECT_EQ(c->wait_ms, 5000);
  EXPECT_EQ(c->port, 4567);
  EXPECT_EQ(c->host, "0.0.0.0");
  EXPECT_EQ(c->max_body_bytes, 16 * 1024 * 1024);
  EXPECT_EQ(c->keepalive_ms, 5000);
  EXPECT_EQ(c->send_timeout_ms, 120000);
  EXPECT_EQ(c->owner_lock_path(), "/run/fifogate/default/lock.worker");
}

TEST(Config, ReadsEveryVariable) {
  auto c = config_from(env_of({{"PROC_DIR", "/x/"},
                               {"PROC_NAME", "md-2_x"},
                               {"WEB_DEFAULT_PROCESSOR", "spell"},
                               {"PROC_CONTENT_TYPE", "text/html"},
                               {"PROC_COMMAND", "cat -u"},
                               {"PROC_TIMEOUT_MS", "1500"},
                               {"PROC_WAIT_MS", "250"},
                               {"PORT", "8080"},
                               {"HOST", "127.0.0.1"},
                               {"MAX_BODY_BYTES", "1024"},
                               {"MAX_OUTPUT_BYTES", "2048"},
                               {"WEB_THREADS", "3"},
                               {"WEB_MAX_CONNECTIONS", "7"},
                               {"WEB_HEAD_TIMEOUT_MS", "800"},
                               {"WEB_BODY_TIMEOUT_MS", "8000"},
                               {"WEB_BODY_MIN_RATE", "0"},
                               {"WEB_TOKEN", "s3cret"},
                               {"WEB_CORS_ORIGINS", "https://a.example"},
                               {"WEB_KEEPALIVE_MS", "0"},
                               {"WEB_SEND_TIMEOUT_MS", "900"}}));
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->kind_dir(), "/x/md-2_x");
  EXPECT_EQ(c->channel(1).input_path, "/x/md-2_x/in.1");
  EXPECT_EQ(c->for_kind("spell").channel(0).lock_path, "/x/spell/lock");
  EXPECT_EQ(c->default_processor, "spell");
  EXPECT_EQ(c->content_type, "text/html");
  EXPECT_EQ(c->command, (std::vector<std::string>{"cat", "-u"}));
  EXPECT_EQ(c->protocol, Protocol::raw);
  EXPECT_EQ(c->timeout_ms, 1500);
  EXPECT_EQ(c->wait_ms, 250);
  EXPECT_EQ(c->port, 8080);
  EXPECT_EQ(c->host, "127.0.0.1");
  EXPECT_EQ(c->max_body_bytes, 1024);
  EXPECT_EQ(c->max_output_bytes, 2048);
  EXPECT_EQ(c->web_threads, 3);
  EXPECT_EQ(c->max_connections, 7);
  EXPECT_EQ(c->head_timeout_ms, 800);
  EXPECT_EQ(c->body_timeout_ms, 8000);
  EXPECT_EQ(c->body_min_rate, 0);
  EXPECT_EQ(c->web_token, "s3cret");
  EXPECT_EQ(c->cors_origins, "https://a.example");
  EXPECT_EQ(c->keepalive_ms, 0);
  EXPECT_EQ(c->send_timeout_ms, 900);
  EXPECT_EQ(c->web_exchange_ms(), 1500 + Config::kWebGraceMs);
}

TEST(Config, TheRemovedWebQueueIsRefusedWithWhatReplacedIt) {
  auto c = config_from(env_of({{"WEB_QUEUE", "64"}}));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message().find("PROC_WAIT_MS"), std::string::npos) << c.error().message();
  EXPECT_NE(c.error().message().find("WEB_MAX_CONNECTIONS"), std::string::npos);
}

TEST(Config, BadNumbersNameTheVariable) {
  for (auto [k, v] :
       std::vector<std::pair<std::string, std::string>>{{"PORT", "70000"},
                                                        {"PORT", "http"},
                                                        {"PROC_TIMEOUT_MS", "0"},
                                                        {"MAX_BODY_BYTES", "-1"},
                                                        {"WEB_THREADS", "1.5"},
                                                        {"WEB_SEND_TIMEOUT_MS", "0"}}) {
    auto c = config_from(env_of({{k, v}}));
    ASSERT_FALSE(c.ok()) << k << "=" << v;
    EXPECT_NE(c.error().message().find(k), std::string::npos) << c.error().message();
  }
}

TEST(Config, RelativePathsAreRefused) {
  EXPECT_FALSE(config_from(env_of({{"PROC_DIR", "run/fifogate"}})).ok());
}

TEST(Config, KindNamesAreCheckedAndThePerFileVariablesAreGone) {
  for (const char *bad : {"a/b", "..", "a b", "x.y", "", "\xc3\xa9"})
    EXPECT_FALSE(valid_kind_name(bad)) << bad;
  EXPECT_TRUE(valid_kind_name("Spell_2-x"));
  EXPECT_FALSE(valid_kind_name(std::string(65, 'a')));
  auto c = config_from(env_of({{"PROC_NAME", "../etc"}}));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message().find("PROC_NAME"), std::string::npos);
  EXPECT_FALSE(config_from(env_of({{"WEB_DEFAULT_PROCESSOR", "a.b"}})).ok());
  EXPECT_FALSE(config_from(env_of({{"PROC_CONTENT_TYPE", "text/html\r\nX: y"}})).ok());
  for (const char *old : {"PROC_INPUT", "PROC_OUTPUT", "PROC_STATUS", "PROC_LOCK"}) {
    auto r = config_from(env_of({{old, "/run/fifogate/in"}}));
    ASSERT_FALSE(r.ok()) << old;
    EXPECT_NE(r.error().message().find("PROC_DIR"), std::string::npos) << r.error().message();
  }
}

TEST(Config, ProtocolAutoAndOverride) {
  EXPECT_EQ(config_from(env_of({{"PROC_COMMAND", "/usr/bin/hunspell -a -d en_US"}}))->protocol,
            Protocol::ispell);
  EXPECT_EQ(config_from(env_of({{"PROC_COMMAND", "aspell list"}}))->protocol, Protocol::raw);
  EXPECT_EQ(config_from(env_of({{"PROC_PROTOCOL", "raw"}}))->protocol, Protocol::raw);
  EXPECT_EQ(config_from(env_of({{"PROC_COMMAND", "cat"}, {"PROC_PROTOCOL", "ispell"}}))->protocol,
            Protocol::ispell);
  EXPECT_FALSE(config_from(env_of({{"PROC_PROTOCOL", "fancy"}})).ok());
}

TEST(SplitCommand, QuotesAndEscapesWithoutAShell) {
  auto a = split_command(R"(sh -c 'echo "hi there"; exit 3' a\ b "x\"y" '')");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a,
            (std::vector<std::string>{"sh", "-c", "echo \"hi there\"; exit 3", "a b", "x\"y", ""}));
  EXPECT_FALSE(split_command("echo 'open").ok());
  EXPECT_FALSE(split_command("   ").ok());
  EXPECT_FALSE(split_command("trailing\\").ok());
  // Shell syntax stays literal: no expansion, no pipes.
  EXPECT_EQ(*split_command("echo $HOME | cat"),
            (std::vector<std::string>{"echo", "$HOME", "|", "cat"}));
}

// Variables read only to refuse them, with what to set instead.
static bool refused_only(const std::string &name) {
  for (const char *old : {"WEB_QUEUE", "PROC_INPUT", "PROC_OUTPUT", "PROC_STATUS", "PROC_LOCK"})
    if (name == old)
      return true;
  return false;
}

// Every variable the configuration reads is in --help: the names are those
// config_from asks the environment for, not a list kept by hand.
TEST(Config, HelpNamesEveryVariableItReads) {
  std::vector<std::string> asked;
  auto c = config_from([&](const std::string &k) -> std::optional<std::string> {
    asked.push_back(k);
    return std::nullopt;
  });
  ASSERT_TRUE(c.ok()) << c.error().message();
  ASSERT_GE(asked.size(), 20u);
  std::string help = config_help();
  for (const auto &name : asked) {
    if (refused_only(name))
      continue;
    EXPECT_NE(help.find("  " + name + " "), std::string::npos) << "--help lacks " << name;
  }
  // And the table behind it names each once, and nothing else.
  std::map<std::string, int> documented;
  for (const auto &doc : setting_docs())
    ++documented[doc.name];
  size_t read = 0;
  for (const auto &name : asked) {
    if (refused_only(name))
      continue;
    ++read;
    EXPECT_EQ(documented[name], 1) << name;
  }
  EXPECT_EQ(documented.size(), read);
}

// Every setting of a Config, as text to compare.
static std::string fingerprint(const Config &c) {
  std::string out;
  for (const auto &s :
       {c.proc_dir, c.name, c.default_processor, c.content_type, c.param_spec, c.command_line,
        c.host, c.web_token, c.cors_origins, c.form_field, c.web_socket, c.web_socket_group})
    out += s + "|";
  for (int64_t n : {c.timeout_ms,        c.wait_ms,
                    int64_t(c.port),     c.max_body_bytes,
                    c.max_output_bytes,  int64_t(c.web_threads),
                    c.max_connections,   c.head_timeout_ms,
                    c.body_timeout_ms,   c.body_min_rate,
                    c.send_timeout_ms,   c.web_socket_mode,
                    c.cache_bytes,       c.v2_max_text_length,
                    c.keepalive_ms,      int64_t(c.slots),
                    c.warm_max_requests, c.stream_grace_ms,
                    int64_t(c.protocol), int64_t(c.mode),
                    int64_t(c.stream),   int64_t(c.pass_request)})
    out += std::to_string(n) + "|";
  for (const auto &h : c.pass_headers)
    out += h + ",";
  for (const auto &a : c.command)
    out += a + " ";
  return out;
}

// The defaults --help shows are those parsing starts from.
TEST(Config, TheDocumentedDefaultsAreTheOnesUsed) {
  auto c = config_from(env_of({}));
  ASSERT_TRUE(c.ok());
  for (const auto &doc : setting_docs()) {
    if (doc.default_text == "unset")
      continue;
    // Set to its documented default, a variable changes nothing.
    auto same = config_from(env_of({{doc.name, doc.default_text}}));
    ASSERT_TRUE(same.ok()) << doc.name << "=" << doc.default_text << ": " << same.error().message();
    EXPECT_EQ(fingerprint(*same), fingerprint(*c)) << doc.name;
  }
}

TEST(Config, FormFieldSetButEmptyMeansFormsPassUndecoded) {
  EXPECT_EQ(config_from(env_of({}))->form_field, "text");
  EXPECT_EQ(config_from(env_of({{"PROC_FORM_FIELD", "body"}}))->form_field, "body");
  EXPECT_EQ(config_from(env_of({{"PROC_FORM_FIELD", ""}}))->form_field, "");
  auto bad = config_from(env_of({{"PROC_FORM_FIELD", "my text"}}));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("PROC_FORM_FIELD"), std::string::npos);
}

// The README's configuration table names every variable the configuration
// reads, each once, with the default parsing starts from: checked here, not
// by hand.
TEST(Config, TheReadmeTableNamesEveryVariable) {
  std::ifstream f(std::string(FIFOGATE_SOURCE_DIR) + "/README.md");
  ASSERT_TRUE(f) << "README.md not found";
  std::map<std::string, int> in_table;
  std::map<std::string, std::string> default_in_table;
  for (std::string line; std::getline(f, line);) {
    if (line.rfind("| `", 0) != 0)
      continue;
    auto end = line.find('`', 3);
    std::string name = line.substr(3, end - 3);
    if (!name.empty() &&
        name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == std::string::npos) {
      ++in_table[name];
      // "| `NAME` | `default` | meaning |": the second cell, without its backticks.
      size_t from = line.find('|', end) + 1, to = line.find('|', from);
      std::string cell = line.substr(from, to - from);
      std::string plain;
      for (char ch : cell)
        if (ch != '`')
          plain += ch;
      default_in_table[name] =
          plain.substr(plain.find_first_not_of(' '),
                       plain.find_last_not_of(' ') - plain.find_first_not_of(' ') + 1);
    }
  }
  for (const auto &doc : setting_docs())
    EXPECT_EQ(default_in_table[doc.name], doc.default_text) << "README's default of " << doc.name;
  std::vector<std::string> asked;
  auto c = config_from([&](const std::string &k) -> std::optional<std::string> {
    asked.push_back(k);
    return std::nullopt;
  });
  ASSERT_TRUE(c.ok());
  for (const auto &name : asked) {
    if (refused_only(name))
      continue;
    EXPECT_EQ(in_table[name], 1) << "README's configuration table and " << name;
  }
}

// The web passes a header whose name is letters, digits and '-' only: a
// processor asking for another is told so at start-up, not left without it.
TEST(Config, PassHeadersAreNamesTheWebPasses) {
  auto ok = config_from(env_of({{"PROC_PASS_HEADERS", "X-User, Accept-Language"}}));
  ASSERT_TRUE(ok.ok()) << ok.error().message();
  EXPECT_EQ(ok->pass_headers, (std::vector<std::string>{"x-user", "accept-language"}));
  for (const char *bad : {"X_User", "X User", "Cookie", "authorization"})
    EXPECT_FALSE(config_from(env_of({{"PROC_PASS_HEADERS", bad}})).ok()) << bad;
}
