// The JSON API over the real binaries: POST /check, GET /languages, /version,
// /limits, /metrics, /healthz, and the access logs on both sides.
#include "../support/ispell_text.hpp"
#include "../support/stack.hpp"
#include "exchange.hpp"
#include "fifogate/config.hpp"
#include <csignal>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <regex>

using namespace fgtest;
using namespace std::chrono;
using nlohmann::json;

namespace {

HttpAnswer check_json(Stack &s, const json &body) {
  return http_post(s.port(), "/check", body.dump(), {{"Content-Type", "application/json"}});
}

json parse(const HttpAnswer &a) {
  auto j = json::parse(a.body, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << a.status << " " << a.body;
  return j;
}

std::vector<std::string> words_of(const json &j) {
  std::vector<std::string> out;
  for (const auto &m : j["matches"])
    out.push_back(m["word"]);
  return out;
}

fifogate::Config config_of(const Stack &s) {
  Env env = s.env();
  auto cfg = fifogate::config_from([env](const std::string &k) -> std::optional<std::string> {
    auto it = env.find(k);
    return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
  });
  EXPECT_TRUE(cfg.ok());
  return *cfg;
}

size_t count(const std::string &hay, const std::string &needle) {
  size_t n = 0;
  for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1))
    ++n;
  return n;
}

} // namespace

TEST(Api, CheckFindsWordsAtCharacterOffsetsOfTheWholeText) {
  Stack s;
  s.start_processor();
  s.start_web();
  std::string text = "Helo wörld, naïve tezt.\n\n日本語 the speling\n  indented lne";
  auto a = check_json(s, {{"text", text}});
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.header("content-type"), "application/json");
  auto j = parse(a);
  EXPECT_EQ(j["request_id"], a.header("x-request-id"));
  EXPECT_TRUE(j["lang"].is_null());
  EXPECT_TRUE(j["duration_ms"].is_number());
  EXPECT_EQ(words_of(j),
            (std::vector<std::string>{"Helo", "wörld", "naïve", "tezt", "speling", "lne"}));
  for (const auto &m : j["matches"]) {
    std::string word = m["word"];
    EXPECT_EQ(cut_code_points(text, m["offset"], m["length"]), word);
    EXPECT_FALSE(m["suggestions"].empty()) << word;
  }
  const auto &speling = j["matches"][4];
  EXPECT_EQ(speling["offset"], 33);
  EXPECT_EQ(speling["line"], 3);
  EXPECT_EQ(speling["column"], 9);
  EXPECT_EQ(speling["suggestions"][0], "spelling");
  // Plain text in: the same answer.
  auto p = http_post(s.port(), "/check", text, {{"Content-Type", "text/plain; charset=utf-8"}});
  ASSERT_EQ(p.status, 200) << p.body;
  EXPECT_EQ(parse(p)["matches"], j["matches"]);
  // Nothing to check, nothing found.
  auto e = check_json(s, {{"text", "\n\n"}});
  ASSERT_EQ(e.status, 200) << e.body;
  EXPECT_TRUE(parse(e)["matches"].empty());
}

TEST(Api, LangPicksTheDictionaryInJsonOrQuery) {
  Stack s;
  s.start_processor();
  s.start_web();
  std::string text = "colour color realise realize";
  auto gb = check_json(s, {{"text", text}, {"lang", "en_GB-ize"}});
  ASSERT_EQ(gb.status, 200) << gb.body;
  EXPECT_EQ(parse(gb)["lang"], "en_GB-ize");
  EXPECT_EQ(words_of(parse(gb)), (std::vector<std::string>{"color", "realise"}));
  auto us = http_post(s.port(), "/check?lang=en_US", text);
  ASSERT_EQ(us.status, 200) << us.body;
  EXPECT_EQ(words_of(parse(us)), (std::vector<std::string>{"colour", "realise"}));
  // POST /process takes ?lang= too, for the page's raw view.
  auto raw = http_post(s.port(), "/process?lang=en_GB-ize", "color\n");
  ASSERT_EQ(raw.status, 200) << raw.body;
  EXPECT_NE(raw.body.find("& color "), std::string::npos) << raw.body;
  EXPECT_TRUE(eventually(
      [&] { return s.processor_log().find(" lang=en_GB-ize ") != std::string::npos; }, seconds(5)))
      << s.processor_log();
}

TEST(Api, BadLangsAreRefusedBeforeAnythingRuns) {
  Stack s;
  s.start_processor();
  s.start_web();
  for (std::string lang : {"../x", "en;rm", "en US", "$(id)", "-d", "xx", "zz_ZZ"}) {
    auto a = check_json(s, {{"text", "helo"}, {"lang", lang}});
    EXPECT_EQ(a.status, 400) << lang << ": " << a.body;
    auto j = parse(a);
    EXPECT_EQ(j["status"], 400);
    EXPECT_NE(j["error"].get<std::string>().find("GET /languages"), std::string::npos) << j;
    auto p = http_post(s.port(), "/process?lang=" + std::string(lang == "en US" ? "en%20US" : lang),
                       "helo");
    EXPECT_EQ(p.status, 400) << lang << ": " << p.body;
  }
  EXPECT_EQ(check_json(s, {{"text", "helo"}, {"lang", 5}}).status, 400);
  EXPECT_EQ(
      http_post(s.port(), "/check", "{\"text\":", {{"Content-Type", "application/json"}}).status,
      400);
  EXPECT_EQ(http_post(s.port(), "/check", "{\"txt\":\"a\"}", {{"Content-Type", "application/json"}})
                .status,
            400);
  EXPECT_EQ(s.processor_log().find("outcome="), std::string::npos) << "nothing reached the worker";
}

TEST(Api, TheWorkerChecksTheLangItselfAndNeverTrustsTheWire) {
  Stack s;
  s.start_processor();
  auto cfg = config_of(s);
  fifogate::ReaderThreads readers;
  auto ask = [&](const std::string &lang) {
    return fifogate::exchange(cfg, readers, cfg.channel(0),
                              fifogate::Deadline::in(fifogate::Millis(3000)),
                              fifogate::RequestId::random(), "color\n", [&] {
                                fifogate::RequestOptions o;
                                o.lang = lang;
                                return o;
                              }());
  };
  for (const std::string &lang : std::vector<std::string>{"../x", "en;rm", "-d", "xx",
                                                          std::string(40, 'a'), "en_US\nlang=de"}) {
    auto r = ask(lang);
    ASSERT_EQ(r.error, fifogate::ExchangeError::none) << r.detail;
    ASSERT_TRUE(r.status);
    EXPECT_EQ(r.status->outcome, fifogate::Outcome::bad_input) << lang;
    EXPECT_NE(r.status->message.find("lang"), std::string::npos) << r.status->message;
  }
  auto ok = ask("en_GB");
  ASSERT_TRUE(ok.status);
  EXPECT_EQ(ok.status->outcome, fifogate::Outcome::ok) << ok.status->message;
  EXPECT_NE(ok.output.find("& color "), std::string::npos) << ok.output;
}

TEST(Api, WarmModeRunsAFreshCommandForAnotherLang) {
  Stack s(Env{{"PROC_MODE", "warm"}});
  s.start_processor();
  s.start_web();
  for (int i = 0; i < 2; ++i) {
    auto d = check_json(s, {{"text", "colour color"}});
    ASSERT_EQ(d.status, 200) << d.body;
    auto gb = check_json(s, {{"text", "colour color"}, {"lang", "en_GB"}});
    ASSERT_EQ(gb.status, 200) << gb.body;
    EXPECT_EQ(words_of(parse(gb)), std::vector<std::string>{"color"});
    EXPECT_EQ(check_json(s, {{"text", "x"}, {"lang", "xx"}}).status, 400);
  }
  EXPECT_EQ(s.processor_log().find("retired"), std::string::npos)
      << "the warm command is kept through requests for other dictionaries:\n"
      << s.processor_log();
}

TEST(Api, CheckFailuresCarryStatusExitCodeAndStderr) {
  Stack s(Env{{"PROC_COMMAND", "aspell --lang=zz -a"}});
  s.start_processor();
  s.start_web();
  auto a = check_json(s, {{"text", "helo"}});
  ASSERT_EQ(a.status, 502) << a.body;
  auto j = parse(a);
  EXPECT_EQ(j["status"], 502);
  EXPECT_EQ(j["outcome"], "failed");
  EXPECT_EQ(j["exit_code"], 1);
  EXPECT_NE(j["stderr"].get<std::string>().find("zz"), std::string::npos) << j;
  EXPECT_NE(j["error"].get<std::string>().find("the command failed"), std::string::npos) << j;
  EXPECT_EQ(a.header("x-exit-code"), "1");
}

TEST(Api, CheckNeedsAnIspellCommand) {
  Stack s(Env{{"PROC_COMMAND", "cat"}});
  s.start_processor();
  s.start_web();
  auto a = check_json(s, {{"text", "helo"}});
  EXPECT_EQ(a.status, 501) << a.body;
  EXPECT_NE(parse(a)["error"].get<std::string>().find("POST /process"), std::string::npos);
  EXPECT_EQ(s.post("helo").body, "helo") << "POST /process still works";
}

TEST(Api, CheckLimitsAndMethods) {
  Stack s(Env{{"MAX_BODY_BYTES", "1000"}});
  s.start_processor();
  s.start_web();
  auto big = check_json(s, {{"text", std::string(2000, 'a')}});
  EXPECT_EQ(big.status, 413);
  EXPECT_NE(parse(big)["error"].get<std::string>().find("MAX_BODY_BYTES=1000"), std::string::npos);
  EXPECT_NE(s.post(std::string(2000, 'a')).body.find("MAX_BODY_BYTES=1000"), std::string::npos);
  auto get = http_get(s.port(), "/check");
  EXPECT_EQ(get.status, 405);
  EXPECT_EQ(get.header("allow"), "POST");
  for (const char *path : {"/languages", "/version", "/limits", "/metrics", "/healthz"}) {
    auto p = http_post(s.port(), path, "");
    EXPECT_EQ(p.status, 405) << path;
    EXPECT_EQ(p.header("allow"), "GET") << path;
  }
}

TEST(Api, LanguagesAreTheWorkersDictionaries) {
  Stack s;
  s.start_web();
  auto none = http_get(s.port(), "/languages");
  EXPECT_EQ(none.status, 503) << none.body;
  s.start_processor();
  HttpAnswer a;
  EXPECT_TRUE(
      eventually([&] { return (a = http_get(s.port(), "/languages")).status == 200; }, seconds(5)));
  ASSERT_EQ(a.status, 200) << a.body;
  auto langs = parse(a)["languages"].get<std::vector<std::string>>();
  std::string dumped = run_capture({"aspell", "dump", "dicts"}, "");
  std::vector<std::string> want;
  for (size_t p = 0, e; (e = dumped.find('\n', p)) != std::string::npos; p = e + 1)
    want.push_back(dumped.substr(p, e - p));
  std::sort(want.begin(), want.end());
  EXPECT_EQ(langs, want);
  EXPECT_NE(std::find(langs.begin(), langs.end(), "en_US"), langs.end());
}

TEST(Api, VersionOfTheWebAndEachWorker) {
  Stack s(Env{{"PROC_SLOTS", "3"}});
  s.start_processor();
  s.start_web();
  auto a = http_get(s.port(), "/version");
  ASSERT_EQ(a.status, 200) << a.body;
  auto j = parse(a);
  EXPECT_EQ(j["web"], FIFOGATE_VERSION);
  ASSERT_EQ(j["workers"].size(), 1u) << j;
  EXPECT_EQ(j["workers"][0]["slot"], 0);
  EXPECT_EQ(j["workers"][0]["version"], FIFOGATE_VERSION);
  std::string worker = j["workers"][0]["worker"];
  EXPECT_EQ(worker.substr(worker.rfind(':') + 1), std::to_string(s.processor().pid()));
}

TEST(Api, LimitsShowTheSettings) {
  Stack s(Env{{"MAX_BODY_BYTES", "12345"},
              {"PROC_TIMEOUT_MS", "6000"},
              {"PROC_WAIT_MS", "700"},
              {"WEB_THREADS", "3"},
              {"WEB_MAX_CONNECTIONS", "9"},
              {"WEB_TOKEN", "never-shown"},
              {"WEB_KEEPALIVE_MS", "2500"},
              {"WEB_SEND_TIMEOUT_MS", "4321"},
              {"PROC_SLOTS", "2"},
              {"PROC_MODE", "warm"}});
  s.start_web();
  auto j = parse(http_get(s.port(), "/limits"));
  EXPECT_EQ(j["max_body_bytes"], 12345);
  EXPECT_EQ(j["max_output_bytes"], 64 * 1024 * 1024);
  EXPECT_EQ(j["timeout_ms"], 6000);
  EXPECT_EQ(j["exchange_timeout_ms"], 8000);
  EXPECT_EQ(j["wait_ms"], 700);
  EXPECT_EQ(j["web_threads"], 3);
  EXPECT_EQ(j["max_connections"], 9);
  EXPECT_EQ(j["token_required"], true);
  EXPECT_EQ(j.dump().find("never-shown"), std::string::npos);
  EXPECT_EQ(j["keepalive_ms"], 2500);
  EXPECT_EQ(j["send_timeout_ms"], 4321);
  EXPECT_EQ(j["slots"], 2);
  auto h =
      parse(http_raw(s.port(), "GET /healthz HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\n"
                               "Connection: close\r\n\r\n"));
  EXPECT_EQ(h["limits"], j) << "/healthz shows the limits too";
}

TEST(Api, HealthzIs503WithTheReasonWhenNoWorkerRuns) {
  Stack s(Env{{"PROC_SLOTS", "2"}});
  s.start_web();
  auto a = http_get(s.port(), "/healthz");
  EXPECT_EQ(a.status, 503);
  EXPECT_EQ(a.header("retry-after"), "1");
  EXPECT_NE(a.body.find("no worker is running"), std::string::npos) << a.body;
  EXPECT_NE(a.body.find(s.path("lock.worker")), std::string::npos) << a.body;
  auto jget = [&] {
    return http_raw(s.port(), "GET /healthz HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\n"
                              "Connection: close\r\n\r\n");
  };
  auto j = jget();
  EXPECT_EQ(j.status, 503);
  EXPECT_EQ(parse(j)["status"], "unavailable");
  EXPECT_NE(parse(j)["reason"].get<std::string>().find("no worker is running"), std::string::npos);
  s.start_processor();
  ASSERT_TRUE(eventually([&] { return http_get(s.port(), "/healthz").status == 200; }, seconds(5)));
  EXPECT_EQ(http_get(s.port(), "/healthz").body, "ok: 1 worker(s)\n");
  EXPECT_EQ(parse(jget())["workers"], 1);
  s.processor().signal(SIGTERM);
  ASSERT_TRUE(s.processor().wait(seconds(5)).has_value());
  EXPECT_TRUE(eventually([&] { return http_get(s.port(), "/healthz").status == 503; }, seconds(5)));
}

TEST(Api, MetricsCountRequestsTimeoutsAndRestarts) {
  Stack s;
  s.start_processor();
  s.start_web();
  ASSERT_EQ(check_json(s, {{"text", "helo wrld"}}).status, 200);
  ASSERT_EQ(s.post("helo\n").status, 200);
  ASSERT_EQ(http_get(s.port(), "/nowhere").status, 404);
  // A request is counted when its answer has gone out, which the client may
  // see first: look until the counts arrive.
  HttpAnswer m;
  auto has_all = [&](std::vector<const char *> wants) {
    return eventually(
        [&] {
          m = http_get(s.port(), "/metrics");
          for (const char *want : wants)
            if (m.body.find(want) == std::string::npos)
              return false;
          return true;
        },
        seconds(5));
  };
  std::vector<const char *> wants = {
      "fifogate_http_requests_total{route=\"/check\",processor=\"default\",status=\"200\"} 1\n",
      "fifogate_http_requests_total{route=\"/process\",processor=\"default\",status=\"200\"} 1\n",
      "fifogate_http_requests_total{route=\"other\",status=\"404\"} 1\n",
      "fifogate_request_duration_seconds_count{route=\"/check\",processor=\"default\"} 1\n",
      "fifogate_request_duration_seconds_bucket{route=\"/process\",processor=\"default\","
      "le=\"+Inf\"} 1\n",
      "fifogate_requests_in_flight 0\n",
      "fifogate_queue_wait_seconds_count 2\n",
      "fifogate_timeouts_total{processor=\"default\"} 0\n",
      "fifogate_worker_restarts_total{processor=\"default\"} 0\n",
      "fifogate_workers_live{processor=\"default\"} 1\n",
      "fifogate_http_request_bytes_total{route=\"/process\"} 5\n"};
  EXPECT_TRUE(has_all(wants)) << m.body;
  EXPECT_EQ(m.status, 200);
  EXPECT_EQ(m.header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  // A processor restart: a new pid holds slot 0.
  s.processor().signal(SIGTERM);
  ASSERT_TRUE(s.processor().wait(seconds(5)).has_value());
  // Its command outlives PROC_TIMEOUT_MS: the worker kills it and reports a timeout.
  s.start_processor(
      {{"PROC_COMMAND", "sleep 5"}, {"PROC_PROTOCOL", "raw"}, {"PROC_TIMEOUT_MS", "300"}});
  auto t = s.post("x");
  EXPECT_EQ(t.status, 504) << t.body;
  EXPECT_TRUE(has_all({"fifogate_worker_restarts_total{processor=\"default\"} 1\n",
                       "fifogate_timeouts_total{processor=\"default\"} 1\n"}))
      << m.body;
}

TEST(Api, OneAccessLineOnEachSideWithTheSameRequestId) {
  Stack s;
  s.start_processor();
  s.start_web();
  auto a = check_json(s, {{"text", "helo"}, {"lang", "en_US"}});
  ASSERT_EQ(a.status, 200);
  auto b = http_get(s.port(), "/version");
  std::string id = a.header("x-request-id");
  ASSERT_EQ(id.size(), 16u);
  EXPECT_EQ(b.header("x-request-id").size(), 16u) << "every answer carries a request id";
  // Each side logs once its answer is out (two connections: in either
  // order): wait for all three lines.
  ASSERT_TRUE(eventually(
      [&] {
        std::string web = s.web_log();
        return s.processor_log().find("req=" + id) != std::string::npos &&
               web.find("req=" + id) != std::string::npos &&
               web.find("req=" + b.header("x-request-id")) != std::string::npos;
      },
      seconds(5)));
  std::string web = s.web_log(), proc = s.processor_log();
  EXPECT_EQ(count(web, "req=" + id), 1u) << web;
  EXPECT_EQ(count(proc, "req=" + id), 1u) << proc;
  std::regex line("req=" + id +
                  " POST /check 200 [0-9]+ms in=[0-9]+B out=[0-9]+B processor=default "
                  "outcome=ok exit=0 "
                  "worker=[^ ]+:[0-9]+ lang=en_US matches=1\n");
  EXPECT_TRUE(std::regex_search(web, line)) << web;
  EXPECT_NE(proc.find("req=" + id + " outcome=ok exit=0 lang=en_US in=4B"), std::string::npos)
      << proc;
  EXPECT_NE(web.find("req=" + b.header("x-request-id") + " GET /version 200 "), std::string::npos)
      << web;
}
