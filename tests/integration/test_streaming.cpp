// Streamed answers: the output reaches the client as the command writes it,
// the outcome comes at the end (HTTP trailers, or the last server-sent
// event), memory stays bounded, and a client that reads slowly or leaves
// slows or ends the command.
#include "../support/stack.hpp"
#include "../support/stream_client.hpp"
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <thread>

using namespace fgtest;
using namespace std::chrono;

namespace {

std::string stream_request(const std::string &path, const std::string &body,
                           const std::string &extra_headers = "") {
  return "POST " + path + " HTTP/1.1\r\nHost: t\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n" + extra_headers + "\r\n" + body;
}

// A kind whose command writes what it is given, then sleeps `nap` seconds
// and exits with `code`: how long, what status, and when, set per request.
Env napper() {
  return Env{{"PROC_COMMAND", "sh -c 'cat; sleep \"${FIFOGATE_PARAM_NAP:-0}\"; "
                              "echo \"said on stderr\" >&2; exit \"${FIFOGATE_PARAM_CODE:-0}\"'"},
             {"PROC_PARAMS", "nap=^[0-9.]{1,6}$ code=^[0-9]{1,3}$"}};
}

struct Sse {
  std::string text;   // the message events' data, joined
  std::string base64; // the base64 events' data, joined
  nlohmann::json status;
  int status_events = 0;
};

// Reads text/event-stream as EventSource does: "data:" lines joined with
// newlines, an event dispatched at each empty line.
Sse parse_sse(const std::string &body) {
  Sse out;
  std::string event, data;
  bool has_data = false;
  size_t at = 0;
  while (at < body.size()) {
    size_t eol = body.find('\n', at);
    if (eol == std::string::npos)
      break;
    std::string line = body.substr(at, eol - at);
    at = eol + 1;
    if (line.empty()) {
      if (has_data) {
        if (event.empty())
          out.text += data;
        else if (event == "base64")
          out.base64 += run_capture({"base64", "-d"}, data);
        else if (event == "status") {
          out.status = nlohmann::json::parse(data);
          ++out.status_events;
        }
      }
      event.clear();
      data.clear();
      has_data = false;
      continue;
    }
    if (line.rfind("event: ", 0) == 0) {
      event = line.substr(7);
    } else if (line.rfind("data: ", 0) == 0) {
      data += (has_data ? "\n" : "") + line.substr(6);
      has_data = true;
    }
  }
  return out;
}

bool sanitized() {
  return std::string(FIFOGATE_SANITIZERS).size() > 0;
}

} // namespace

TEST(Streaming, TheFirstLinesArriveWhileTheCommandStillRuns) {
  Stack s(Env{{"PROC_COMMAND", "sh -c 'for i in 1 2 3 4 5; do echo line $i; sleep 1; done'"}});
  s.start_processor();
  s.start_web();
  StreamClient c(s.port(), stream_request("/process?stream=1", "x"));
  ASSERT_TRUE(c.read_head());
  EXPECT_EQ(c.status, 200);
  EXPECT_TRUE(c.chunked());
  EXPECT_EQ(c.header("Trailer"), "X-Outcome, X-Exit-Code, X-Signal, X-Stderr-Truncated, X-Status");
  EXPECT_EQ(c.header("Content-Type"), "text/plain; charset=utf-8");
  auto first = c.next();
  ASSERT_TRUE(first.has_value());
  auto first_at = StreamClient::Clock::now();
  EXPECT_EQ(first->substr(0, 7), "line 1\n");
  std::string all = *first + c.rest();
  auto end_at = StreamClient::Clock::now();
  EXPECT_EQ(all, "line 1\nline 2\nline 3\nline 4\nline 5\n");
  // The command takes five seconds; its first line came long before its end.
  EXPECT_LT(first_at - c.sent_at, seconds(3));
  EXPECT_GT(end_at - first_at, seconds(2));
  EXPECT_EQ(c.trailers["x-outcome"], "ok");
  EXPECT_EQ(c.trailers["x-exit-code"], "0");
  EXPECT_EQ(c.trailers["x-status"], "200");
  EXPECT_EQ(c.trailers["x-stderr-truncated"], "0");
  // The access line is written once the answer is out, with its outcome.
  EXPECT_TRUE(eventually(
      [&] { return s.web_log().find("stream=plain outcome=ok exit=0") != std::string::npos; },
      seconds(5)))
      << s.web_log();
}

TEST(Streaming, TrailersCarryAFailureTimeoutAndSignal) {
  Stack s(napper());
  s.set("PROC_TIMEOUT_MS", "1500");
  s.start_processor();
  s.start_web();
  struct Case {
    std::string query, outcome, exit_code, signal, status;
  } cases[] = {
      {"nap=0.5&code=3", "failed", "3", "", "502"},
      {"nap=10", "timeout", "", "9", "504"},
  };
  for (const auto &k : cases) {
    StreamClient c(s.port(), stream_request("/process?stream=1&" + k.query, "partial\n"));
    ASSERT_TRUE(c.read_head()) << k.query;
    EXPECT_EQ(c.status, 200) << k.query;
    EXPECT_EQ(c.rest(), "partial\n") << k.query;
    ASSERT_TRUE(c.ended()) << k.query;
    EXPECT_EQ(c.trailers["x-outcome"], k.outcome) << k.query;
    EXPECT_EQ(c.trailers["x-exit-code"], k.exit_code) << k.query;
    EXPECT_EQ(c.trailers["x-signal"], k.signal) << k.query;
    EXPECT_EQ(c.trailers["x-status"], k.status) << k.query;
    // The same, as events: the last one says it.
    StreamClient e(s.port(), stream_request("/process?" + k.query, "partial\n",
                                            "Accept: text/event-stream\r\n"));
    ASSERT_TRUE(e.read_head()) << k.query;
    auto events = parse_sse(e.rest());
    EXPECT_EQ(events.text, "partial\n") << k.query;
    ASSERT_EQ(events.status_events, 1) << k.query;
    EXPECT_EQ(events.status["outcome"], k.outcome) << k.query;
    EXPECT_EQ(events.status["exit_code"].dump(), k.exit_code.empty() ? "null" : k.exit_code);
    EXPECT_EQ(events.status["signal"].dump(), k.signal.empty() ? "null" : k.signal);
    EXPECT_EQ(events.status["status"].dump(), k.status) << k.query;
    EXPECT_EQ(events.status["stderr"], k.outcome == "failed" ? "said on stderr\n" : "") << k.query;
  }
  // A command killed by a signal while it streams.
  Stack k(Env{{"PROC_COMMAND", "sh -c 'echo started; sleep 0.5; kill -9 $$'"}});
  k.start_processor();
  k.start_web();
  StreamClient c(k.port(), stream_request("/process?stream=1", ""));
  ASSERT_TRUE(c.read_head());
  EXPECT_EQ(c.rest(), "started\n");
  EXPECT_EQ(c.trailers["x-outcome"], "failed");
  EXPECT_EQ(c.trailers["x-signal"], "9");
  EXPECT_EQ(c.trailers["x-status"], "502");
}

TEST(Streaming, AFailureWithinTheGraceKeepsItsStatusCode) {
  Stack s(napper());
  s.start_processor();
  s.start_web({{"WEB_STREAM_GRACE_MS", "3000"}}); // a slow machine still starts sh in time
  auto a = http_post(s.port(), "/process?stream=1&code=3", "partial\n");
  EXPECT_EQ(a.status, 502) << a.body;
  EXPECT_EQ(a.header("x-exit-code"), "3");
  EXPECT_NE(a.body.find("said on stderr"), std::string::npos) << a.body;
  // And a quick success is answered whole, as without streaming.
  auto b = http_post(s.port(), "/process?stream=1", "quick\n");
  EXPECT_EQ(b.status, 200);
  EXPECT_EQ(b.body, "quick\n");
  EXPECT_EQ(b.header("content-length"), "6");
}

TEST(Streaming, AWorkerKilledMidStreamEndsItWithWorkerLost) {
  Stack s(napper());
  s.start_processor();
  s.start_web();
  StreamClient c(s.port(), stream_request("/process?stream=1&nap=20", "before the end\n"));
  ASSERT_TRUE(c.read_head());
  auto first = c.next();
  ASSERT_TRUE(first.has_value());
  s.processor().signal(SIGKILL);
  std::string rest = c.rest(seconds(10));
  ASSERT_TRUE(c.ended()) << "the stream must end, not hang";
  EXPECT_EQ(*first + rest, "before the end\n");
  EXPECT_EQ(c.trailers["x-outcome"], "worker_lost");
  EXPECT_EQ(c.trailers["x-status"], "502");
  // As events too.
  s.start_processor();
  StreamClient e(s.port(), stream_request("/process?nap=20", "before the end\n",
                                          "Accept: text/event-stream\r\n"));
  ASSERT_TRUE(e.read_head());
  ASSERT_TRUE(e.next().has_value());
  s.processor().signal(SIGKILL);
  auto events = parse_sse(e.rest(seconds(10)));
  ASSERT_EQ(events.status_events, 1);
  EXPECT_EQ(events.status["outcome"], "worker_lost");
  EXPECT_EQ(events.status["status"], 502);
}

TEST(Streaming, ServerSentEventsCarryTextBytesAndTheStatus) {
  Stack s(Env{{"PROC_COMMAND", "sh -c 'printf \"h\\303\\251llo\\nworld\\n\"; sleep 0.4; printf "
                               "\"\\377\\376\"; sleep 0.4; printf \"end\"; exit 3'"}});
  s.start_processor();
  s.start_web();
  StreamClient c(s.port(), stream_request("/process", "", "Accept: text/event-stream\r\n"));
  ASSERT_TRUE(c.read_head());
  EXPECT_EQ(c.status, 200);
  EXPECT_EQ(c.header("Content-Type"), "text/event-stream");
  auto first = c.next();
  ASSERT_TRUE(first.has_value());
  std::string body = *first + c.rest();
  auto e = parse_sse(body);
  EXPECT_EQ(e.text, "h\xc3\xa9llo\nworld\nend");
  EXPECT_EQ(e.base64, "\xff\xfe");
  ASSERT_EQ(e.status_events, 1) << body;
  EXPECT_EQ(e.status["outcome"], "failed");
  EXPECT_EQ(e.status["exit_code"], 3);
  EXPECT_EQ(e.status["status"], 502);
  EXPECT_FALSE(e.status.contains("stdout"));
  EXPECT_EQ(body.substr(body.size() - 2), "\n\n");
  // Done within the grace: still events, in one piece.
  Stack q(Env{{"PROC_COMMAND", "echo quick"}});
  q.start_processor();
  q.start_web({{"WEB_STREAM_GRACE_MS", "3000"}});
  auto a = http_post(q.port(), "/process", "", {{"Accept", "text/event-stream"}});
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.header("content-type"), "text/event-stream");
  auto qe = parse_sse(a.body);
  EXPECT_EQ(qe.text, "quick\n");
  EXPECT_EQ(qe.status["outcome"], "ok");
}

TEST(Streaming, AClientThatLeavesEndsTheCommandAndTheWorkerServesOn) {
  Stack s(napper());
  s.start_processor();
  s.start_web();
  // Once it has streamed, and while it has said nothing yet.
  for (std::string body : {"some output\n", ""}) {
    StreamClient c(s.port(), stream_request("/process?stream=1&nap=37.25", body));
    if (!body.empty()) {
      ASSERT_TRUE(c.read_head());
      ASSERT_TRUE(c.next().has_value());
    }
    ASSERT_TRUE(
        eventually([] { return pids_with_cmdline("sleep 37.25").size() == 1; }, seconds(10)));
    c.close();
    EXPECT_TRUE(eventually([] { return pids_with_cmdline("sleep 37.25").empty(); }, seconds(1)))
        << "the command runs on after its client left";
    EXPECT_TRUE(
        eventually([&] { return s.processor_log().find("outcome=abandoned") != std::string::npos; },
                   seconds(5)));
    auto a = http_post(s.port(), "/process", "next request\n");
    EXPECT_EQ(a.status, 200) << a.body;
    EXPECT_EQ(a.body, "next request\n");
  }
  EXPECT_TRUE(eventually(
      [&] { return s.web_log().find("outcome=client_gone") != std::string::npos; }, seconds(5)))
      << s.web_log();
}

TEST(Streaming, ASlowReaderSlowsTheCommandInsteadOfGrowingMemory) {
  Stack s(Env{{"PROC_COMMAND", "head -c 50000001 /dev/zero"}, {"PROC_TIMEOUT_MS", "60000"}});
  s.start_processor();
  s.start_web();
  long before = rss_kib(s.web().pid());
  StreamClient c(s.port(), stream_request("/process?stream=1", ""));
  ASSERT_TRUE(c.read_head());
  ASSERT_TRUE(c.next().has_value());
  // The client takes nothing for a while: the command must wait, not finish
  // into a buffer.
  std::this_thread::sleep_for(seconds(2));
  EXPECT_EQ(pids_with_cmdline("head -c 50000001").size(), 1u) << "it ran ahead of its client";
  long during = rss_kib(s.web().pid());
  if (!sanitized()) {
    EXPECT_LT(during - before, 16 * 1024) << "the web holds what the client did not take";
  }
  std::string rest = c.rest(seconds(60));
  EXPECT_TRUE(c.ended());
  EXPECT_EQ(c.trailers["x-outcome"], "ok");
  EXPECT_TRUE(pids_with_cmdline("head -c 50000001").empty());
}

TEST(Streaming, TwoHundredMegabytesStreamInBoundedMemory) {
  if (sanitized())
    GTEST_SKIP() << "memory and time under a sanitizer say nothing of the product's";
  Stack s(Env{{"PROC_COMMAND", "head -c 200000000 /dev/urandom"}, {"PROC_TIMEOUT_MS", "120000"}});
  s.start_processor();
  s.start_web();
  long before = peak_rss_kib(s.web().pid());
  StreamClient c(s.port(), stream_request("/process?stream=1", ""));
  ASSERT_TRUE(c.read_head());
  EXPECT_EQ(c.header("Content-Type"), "application/octet-stream");
  size_t total = 0;
  while (auto piece = c.next(seconds(30)))
    total += piece->size();
  EXPECT_TRUE(c.ended());
  EXPECT_EQ(total, 200000000u);
  EXPECT_EQ(c.trailers["x-outcome"], "ok");
  long peak = peak_rss_kib(s.web().pid());
  EXPECT_LT(peak - before, 32 * 1024)
      << "peak RSS grew from " << before << " to " << peak << " KiB";
}

TEST(Streaming, WhoMayStreamAndHow) {
  Stack s(Env{{"PROC_NAME", "never"}, {"PROC_COMMAND", "cat"}, {"PROC_STREAM", "never"}});
  s.start_processor();
  Env e = s.env();
  e["PROC_NAME"] = "always";
  e["PROC_COMMAND"] = "sh -c 'echo one; sleep 0.5; echo two'";
  e["PROC_STREAM"] = "always";
  std::string log = s.dir() + "/always.log";
  Proc always(FIFOGATE_PROCESSOR_BIN, {}, e, log, true);
  ASSERT_TRUE(always.wait_ready(seconds(10))) << read_file(log);
  s.start_web({{"WEB_DEFAULT_PROCESSOR", "never"}});
  auto refused = http_post(s.port(), "/process/never?stream=1", "x");
  EXPECT_EQ(refused.status, 400);
  EXPECT_NE(refused.body.find("PROC_STREAM=never"), std::string::npos) << refused.body;
  EXPECT_EQ(http_post(s.port(), "/process/never", "x").body, "x");
  EXPECT_EQ(http_post(s.port(), "/process/never?stream=2", "x").status, 400);
  EXPECT_EQ(http_post(s.port(), "/process/never?stream=0", "x").status, 200);
  // A kind that always streams does so unasked.
  StreamClient c(s.port(), stream_request("/process/always", ""));
  ASSERT_TRUE(c.read_head());
  EXPECT_TRUE(c.chunked());
  EXPECT_EQ(c.rest(), "one\ntwo\n");
  EXPECT_EQ(c.trailers["x-outcome"], "ok");
  // JSON and a stream at once cannot be had; HTTP/1.0 gets the answer whole.
  EXPECT_EQ(http_post(s.port(), "/process/always", "", {{"Accept", "application/json"}}).status,
            400);
  auto old = http_raw(s.port(), "POST /process/always HTTP/1.0\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(old.status, 200);
  EXPECT_EQ(old.body, "one\ntwo\n");
  // /check never streams.
  EXPECT_EQ(http_post(s.port(), "/check/never?stream=1", "{\"text\": \"x\"}").status, 400);
  // /processors says which.
  auto kinds = nlohmann::json::parse(http_get(s.port(), "/processors").body);
  std::map<std::string, std::string> stream;
  for (const auto &k : kinds["processors"])
    stream[k["name"]] = k["stream"];
  EXPECT_EQ(stream["always"], "always") << kinds.dump();
  EXPECT_EQ(stream["never"], "never") << kinds.dump();
}
