// The web's pure pieces behind the API: /check requests, languages, worker
// info, the begin-record options, metrics.
#include "../support/ispell_text.hpp"
#include "check_request.hpp"
#include "exchange.hpp"
#include "languages.hpp"
#include "metrics.hpp"
#include "request_runner.hpp"
#include "worker_info.hpp"
#include <algorithm>
#include <gtest/gtest.h>

using namespace fifogate;

TEST(CheckRequest, JsonBodyWithTextAndLang) {
  auto r =
      parse_check_request("application/json", R"({"text": "helo\nwörld", "lang": "en_GB"})", "");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->text, "helo\nwörld");
  EXPECT_EQ(r->lang, "en_GB");
  auto q = parse_check_request("Application/JSON; charset=utf-8", R"({"text": "x", "lang": null})",
                               "en_US");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->lang, "en_US") << "no lang in the JSON: ?lang= fills in";
}

TEST(CheckRequest, AnyOtherTypeIsTheTextItself) {
  for (const char *type : {"text/plain; charset=utf-8", "", "application/x-www-form-urlencoded"}) {
    auto r = parse_check_request(type, R"({"text": "not parsed"})", "en_US");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->text, R"({"text": "not parsed"})") << type;
    EXPECT_EQ(r->lang, "en_US");
  }
}

TEST(CheckRequest, BadJsonIsRefusedWithAReason) {
  for (const char *body :
       {"{", "[]", R"({"txt": "x"})", R"({"text": 3})", R"({"text": "x", "lang": 5})"}) {
    auto r = parse_check_request("application/json", body, "");
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_FALSE(r.error().message().empty());
  }
}

TEST(Languages, NamesAreAShortSafeAlphabet) {
  for (const char *ok : {"en", "en_US", "en_GB-ize-w_accents", "de-1901"})
    EXPECT_TRUE(valid_dictionary_name(ok)) << ok;
  for (const char *bad : {"", "../x", "en;rm", "en US", "en/US", "-d", "$(id)", "en\n",
                          "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"})
    EXPECT_FALSE(valid_dictionary_name(bad)) << bad;
  EXPECT_FALSE(valid_dictionary_name("../x"));
  EXPECT_TRUE(valid_dictionary_name("en_GB-ize"));
}

TEST(Languages, UnionOfTheLiveWorkersAndTheCheckAgainstIt) {
  std::vector<WorkerInfo> workers = {
      parse_worker_info(0, "worker=a:1\nversion=1\nlangs=en_US,en\n"),
      parse_worker_info(1, "worker=b:2\nlangs=en_GB,en,../bad\n")};
  EXPECT_EQ(installed_languages(workers), (std::vector<std::string>{"en", "en_GB", "en_US"}));
  EXPECT_FALSE(lang_problem("en_GB", workers));
  ASSERT_TRUE(lang_problem("de", workers));
  EXPECT_NE(lang_problem("de", workers)->find("GET /languages"), std::string::npos);
  EXPECT_TRUE(lang_problem("../bad", workers)) << "a bad name never passes, even when listed";
  // Nothing published (no worker, or one just starting): the worker decides.
  EXPECT_FALSE(lang_problem("de", {}));
  EXPECT_TRUE(lang_problem("en;rm", {}));
}

TEST(WorkerInfo, ParsesKeyValueLines) {
  auto w = parse_worker_info(3, "worker=host:42\nversion=0.1.0\nlangs=en,,en_US\nfuture=x\n");
  EXPECT_EQ(w.slot, 3);
  EXPECT_EQ(w.worker, "host:42");
  EXPECT_EQ(w.version, "0.1.0");
  EXPECT_EQ(w.langs, (std::vector<std::string>{"en", "en_US"}));
  auto old = parse_worker_info(0, "worker=host:1\nversion=0.0.9\n");
  EXPECT_TRUE(old.langs.empty());
  EXPECT_TRUE(parse_worker_info(0, "").worker.empty());
}

TEST(WorkerInfo, WhatTheWorkerWritesIsWhatTheWebReads) {
  WorkerInfo w;
  w.worker = "host:7";
  w.version = "1.2.3";
  w.langs = {"de", "en_US"};
  EXPECT_EQ(encode_worker_info(w), "worker=host:7\nversion=1.2.3\nlangs=de,en_US\n");
  w.name = "md";
  w.command = "cmark-gfm -t html";
  w.protocol = "raw";
  w.mode = "per-request";
  w.content_type = "text/html; charset=utf-8";
  w.timeout_ms = 1500;
  w.max_body_bytes = 10;
  w.max_output_bytes = 20;
  w.stream = "never";
  auto back = parse_worker_info(5, encode_worker_info(w));
  EXPECT_EQ(back.stream, "never");
  EXPECT_EQ(back.slot, 5);
  EXPECT_EQ(back.worker, "host:7");
  EXPECT_EQ(back.version, "1.2.3");
  EXPECT_EQ(back.langs, w.langs);
  EXPECT_EQ(back.name, "md");
  EXPECT_EQ(back.command, w.command);
  EXPECT_EQ(back.protocol, "raw");
  EXPECT_EQ(back.mode, "per-request");
  EXPECT_EQ(back.content_type, w.content_type);
  EXPECT_EQ(back.timeout_ms, 1500);
  EXPECT_EQ(back.max_body_bytes, 10);
  EXPECT_EQ(back.max_output_bytes, 20);
  EXPECT_EQ(parse_worker_info(0, "timeout_ms=-5\nmax_body_bytes=x\n").timeout_ms, 0);
  // A value cannot add a key of its own.
  WorkerInfo evil;
  evil.worker = "h:1\nversion=evil";
  evil.version = "1";
  evil.command = "x\ntimeout_ms=1";
  auto odd = parse_worker_info(0, encode_worker_info(evil));
  EXPECT_EQ(odd.version, "1");
  EXPECT_EQ(odd.timeout_ms, 0);
}

TEST(BeginOptions, WhatTheWebSendsIsWhatTheWorkerReads) {
  auto opts = [](std::string lang, std::string type, uint64_t len) {
    BeginOptions o;
    o.lang = std::move(lang);
    o.content_type = std::move(type);
    o.body_len = len;
    return o;
  };
  EXPECT_EQ(encode_begin_options(opts({}, {}, 12)), "len=12");
  BeginOptions o = opts("en_GB", "text/plain; charset=utf-8", 12);
  EXPECT_EQ(encode_begin_options(o), "len=12\nlang=en_GB\ncontent_type=text/plain; charset=utf-8");
  auto back = decode_begin_options(encode_begin_options(o));
  EXPECT_EQ(back.lang, "en_GB");
  EXPECT_EQ(back.content_type, "text/plain; charset=utf-8");
  EXPECT_EQ(back.body_len, 12u);
  EXPECT_FALSE(back.stream);
  o.stream = true;
  EXPECT_EQ(encode_begin_options(o),
            "len=12\nlang=en_GB\ncontent_type=text/plain; charset=utf-8\nstream=1");
  EXPECT_TRUE(decode_begin_options(encode_begin_options(o)).stream);
  EXPECT_EQ(decode_begin_options("len=3").lang, "");
  EXPECT_EQ(decode_begin_options("len=3\nfuture=1\nlang=de\n").lang, "de")
      << "unknown keys are skipped";
  // A Content-Type that cannot travel in one printable line stays behind, on
  // either side: it can never add an option of its own.
  EXPECT_EQ(encode_begin_options(opts({}, "a\nlang=xx", 1)), "len=1");
  EXPECT_EQ(encode_begin_options(opts({}, std::string(300, 'a'), 1)), "len=1");
  EXPECT_EQ(decode_begin_options("len=1\ncontent_type=\x01x").content_type, "");
  // Parameters, the request and headers: any bytes, percent-encoded, each on
  // its own line whatever it holds.
  BeginOptions p = opts({}, {}, 5);
  p.params = {{"to", "a b\nlang=xx%\t$(x);"}, {"n", "-1"}};
  p.method = "POST";
  p.path = "/process/md";
  p.query = "to=a%20b&x=1";
  p.headers = {{"x-user", "alice\r\nX: y"}};
  auto wire = encode_begin_options(p);
  EXPECT_EQ(std::count(wire.begin(), wire.end(), '\n'), 6) << wire;
  auto q = decode_begin_options(wire);
  EXPECT_EQ(q.params, p.params);
  EXPECT_EQ(q.lang, "");
  EXPECT_EQ(q.method, "POST");
  EXPECT_EQ(q.path, "/process/md");
  EXPECT_EQ(q.query, p.query);
  EXPECT_EQ(q.headers, p.headers);
}

TEST(BeginOptions, TheDictionaryGoesLastIntoArgv) {
  using V = std::vector<std::string>;
  EXPECT_EQ(*command_with_lang({"aspell", "-a"}, "en_GB"), (V{"aspell", "-a", "--master=en_GB"}));
  EXPECT_EQ(*command_with_lang({"/usr/bin/aspell", "--lang=de", "-a"}, "en_US"),
            (V{"/usr/bin/aspell", "--lang=de", "-a", "--master=en_US"}));
  EXPECT_EQ(*command_with_lang({"hunspell", "-a"}, "de_DE"), (V{"hunspell", "-a", "-d", "de_DE"}));
  EXPECT_FALSE(command_with_lang({"cat"}, "en"));
}

TEST(BeginOptions, WhatAWorkerLearnsOfItsCommand) {
  Config cfg;
  auto facts = learn_command(cfg);
  EXPECT_NE(std::find(facts.dictionaries.begin(), facts.dictionaries.end(), "en_US"),
            facts.dictionaries.end());
  EXPECT_TRUE(std::is_sorted(facts.dictionaries.begin(), facts.dictionaries.end()));
  EXPECT_EQ(facts.checker, ispell::Checker::aspell);
  // From its banner, whatever its name; by its name when it prints none.
  cfg.command = {"sh", "-c", "echo '" + fgtest::kHunspellBanner + "'"};
  EXPECT_EQ(learn_command(cfg).checker, ispell::Checker::hunspell);
  cfg.command = {"sh", "-c", "echo '" + fgtest::kAspellBanner + "'"};
  EXPECT_EQ(learn_command(cfg).checker, ispell::Checker::aspell);
  cfg.command = {"/nonexistent/aspell", "-a"};
  EXPECT_EQ(learn_command(cfg).checker, ispell::Checker::aspell);
  cfg.command = {"/nonexistent/spell", "-a"};
  EXPECT_EQ(learn_command(cfg).checker, ispell::Checker::hunspell);
  cfg.protocol = Protocol::raw;
  EXPECT_TRUE(learn_command(cfg).dictionaries.empty());
}

TEST(Metrics, PrometheusTextWithEveryFamily) {
  Metrics m;
  m.request("/check", 200, 0.004, 100, 500, "default");
  m.request("/check", 200, 2.0, 10, 50, "default");
  m.request("/process/md", 504, 31.0, 1, 2, "md");
  m.request("/nope/../x", 404, 0.0, 0, 30);
  m.queue_wait(0.002);
  std::string t = m.exposition({{"default", 2, 3}, {"md", 1, 0}}, "9.9.9");
  for (const char *want : {
           "# TYPE fifogate_http_requests_total counter\n",
           "fifogate_http_requests_total{route=\"/check\",processor=\"default\",status=\"200\"} "
           "2\n",
           "fifogate_http_requests_total{route=\"/process\",processor=\"md\",status=\"504\"} 1\n",
           "fifogate_http_requests_total{route=\"other\",status=\"404\"} 1\n",
           "# TYPE fifogate_request_duration_seconds histogram\n",
           "fifogate_request_duration_seconds_bucket{route=\"/check\",processor=\"default\","
           "le=\"0.005\"} 1\n",
           "fifogate_request_duration_seconds_bucket{route=\"/check\",processor=\"default\","
           "le=\"2.5\"} 2\n",
           "fifogate_request_duration_seconds_count{route=\"/check\",processor=\"default\"} 2\n",
           "fifogate_request_duration_seconds_bucket{route=\"/process\",processor=\"md\","
           "le=\"30\"} 0\n",
           "fifogate_request_duration_seconds_bucket{route=\"/process\",processor=\"md\","
           "le=\"+Inf\"} 1\n",
           "fifogate_request_duration_seconds_count{route=\"/check\",processor=\"md\"} 0\n",
           "fifogate_requests_in_flight 0\n",
           "# TYPE fifogate_requests_waiting gauge\n",
           "fifogate_requests_waiting{processor=\"default\"} 3\n",
           "fifogate_queue_wait_seconds_count 1\n",
           "fifogate_timeouts_total{processor=\"md\"} 1\n",
           "fifogate_timeouts_total{processor=\"default\"} 0\n",
           "fifogate_worker_restarts_total{processor=\"default\"} 0\n",
           "fifogate_workers_live{processor=\"default\"} 2\n",
           "fifogate_workers_live{processor=\"md\"} 1\n",
           "fifogate_http_request_bytes_total{route=\"/check\"} 110\n",
           "fifogate_http_response_bytes_total{route=\"/check\"} 550\n",
           "fifogate_build_info{version=\"9.9.9\"} 1\n",
       })
    EXPECT_NE(t.find(want), std::string::npos) << want << "\nin:\n" << t;
  // Every sample line belongs to a family announced with HELP and TYPE.
  std::string_view rest = t;
  while (!rest.empty()) {
    auto line = rest.substr(0, rest.find('\n'));
    rest.remove_prefix(std::min(rest.size(), line.size() + 1));
    if (line.empty() || line[0] == '#')
      continue;
    std::string family(line.substr(0, line.find_first_of("{ ")));
    for (const char *suffix : {"_bucket", "_sum", "_count"})
      if (family.size() > strlen(suffix) &&
          family.compare(family.size() - strlen(suffix), std::string::npos, suffix) == 0 &&
          t.find("# TYPE " + family + " ") == std::string::npos)
        family.resize(family.size() - strlen(suffix));
    EXPECT_NE(t.find("# HELP " + family + " "), std::string::npos) << family;
    EXPECT_NE(t.find("# TYPE " + family + " "), std::string::npos) << family;
  }
}

TEST(Metrics, InFlightAndRestarts) {
  Metrics m;
  {
    Metrics::InFlight a(m), b(m);
    EXPECT_NE(m.exposition({}, "v").find("fifogate_requests_in_flight 2\n"), std::string::npos);
  }
  EXPECT_NE(m.exposition({}, "v").find("fifogate_requests_in_flight 0\n"), std::string::npos);
  std::vector<Metrics::KindGauges> kinds = {{"a", 0, 0}, {"b", 0, 0}};
  m.worker_seen("a", 0, "h:1");
  m.worker_seen("a", 0, "h:1");
  m.worker_seen("a", 1, "h:2");
  m.worker_seen("b", 0, "h:9"); // another kind's slot 0 is another slot
  m.worker_seen("a", 0, "");
  EXPECT_NE(m.exposition(kinds, "v").find("fifogate_worker_restarts_total{processor=\"a\"} 0\n"),
            std::string::npos);
  m.worker_seen("a", 0, "h:3"); // slot 0 of kind a has a new processor
  auto t = m.exposition(kinds, "v");
  EXPECT_NE(t.find("fifogate_worker_restarts_total{processor=\"a\"} 1\n"), std::string::npos);
  EXPECT_NE(t.find("fifogate_worker_restarts_total{processor=\"b\"} 0\n"), std::string::npos);
}
