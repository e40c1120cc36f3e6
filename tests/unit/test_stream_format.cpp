// How a streamed answer is written (web/stream_format.*) and held
// (web/output_pipe.*), as plain functions and objects.
#include "output_pipe.hpp"
#include "stream_format.hpp"
#include <gtest/gtest.h>
#include <thread>

using namespace fifogate;

namespace {

// What a client that joins the message events' data gets back.
std::string joined_text(const std::string &events) {
  std::string out, data;
  bool has = false;
  size_t at = 0;
  while (at < events.size()) {
    size_t eol = events.find('\n', at);
    std::string line = events.substr(at, eol - at);
    at = eol + 1;
    if (line.empty()) {
      out += data;
      data.clear();
      has = false;
    } else if (line.rfind("data: ", 0) == 0) {
      data += (has ? "\n" : "") + line.substr(6);
      has = true;
    }
  }
  return out;
}

} // namespace

TEST(StreamFormat, TextEventsGiveTheBytesBackWhereverThePiecesAreCut) {
  std::string text = "first line\n\nthird: h\xc3\xa9llo w\xc3\xb6rld \xe2\x82\xac\n last";
  for (size_t cut = 0; cut <= text.size(); ++cut) {
    SseEncoder e;
    std::string events = e.feed(text.substr(0, cut));
    events += e.feed(text.substr(cut));
    events += e.finish();
    EXPECT_EQ(joined_text(events), text) << "cut at " << cut;
    EXPECT_EQ(events.find("base64"), std::string::npos) << "cut at " << cut;
  }
}

TEST(StreamFormat, BytesThatAreNotTextComeAsBase64Events) {
  SseEncoder e;
  EXPECT_EQ(e.feed(std::string("a\xff\x00", 3)), "event: base64\ndata: Yf8A\n\n");
  EXPECT_EQ(e.feed("x\ry"), "event: base64\ndata: eA15\n\n") << "CR would end an event's line";
  // A character never completed is sent as what it is at the end.
  EXPECT_EQ(e.feed("\xe2\x82"), "");
  EXPECT_EQ(e.finish(), "event: base64\ndata: 4oI=\n\n");
  EXPECT_EQ(sse_event("status", "{}"), "event: status\ndata: {}\n\n");
}

TEST(StreamFormat, AnIncompleteCharacterAtTheEndIsFound) {
  EXPECT_EQ(incomplete_utf8_tail(""), 0u);
  EXPECT_EQ(incomplete_utf8_tail("abc"), 0u);
  EXPECT_EQ(incomplete_utf8_tail("a\xc3"), 1u);
  EXPECT_EQ(incomplete_utf8_tail("a\xc3\xa9"), 0u);
  EXPECT_EQ(incomplete_utf8_tail("\xe2\x82"), 2u);
  EXPECT_EQ(incomplete_utf8_tail("\xf0\x9f\x98"), 3u);
  EXPECT_EQ(incomplete_utf8_tail("\xf0\x9f\x98\x80"), 0u);
  EXPECT_EQ(incomplete_utf8_tail("\x80\x80\x80\x80"), 0u) << "no lead byte: not ours to hold";
}

TEST(StreamFormat, WhoStreamsAndHow) {
  std::string one = "1", zero = "0", two = "2";
  auto c = choose_stream(&one, "*/*", "allow", "HTTP/1.1", "k");
  EXPECT_TRUE(c.stream);
  EXPECT_FALSE(c.sse);
  c = choose_stream(nullptr, "text/event-stream", "", "HTTP/1.1", "k");
  EXPECT_TRUE(c.stream && c.sse);
  EXPECT_FALSE(choose_stream(nullptr, "*/*", "allow", "HTTP/1.1", "k").stream);
  EXPECT_FALSE(choose_stream(&zero, "*/*", "allow", "HTTP/1.1", "k").stream);
  EXPECT_TRUE(choose_stream(nullptr, "*/*", "always", "HTTP/1.1", "k").stream);
  EXPECT_FALSE(choose_stream(&one, "*/*", "allow", "HTTP/1.0", "k").stream) << "no chunks in 1.0";
  EXPECT_NE(choose_stream(&two, "*/*", "allow", "HTTP/1.1", "k").refusal, "");
  EXPECT_NE(choose_stream(&one, "*/*", "never", "HTTP/1.1", "k").refusal.find("PROC_STREAM=never"),
            std::string::npos);
  EXPECT_EQ(choose_stream(&zero, "*/*", "never", "HTTP/1.1", "k").refusal, "");
  EXPECT_NE(choose_stream(&one, "application/json", "allow", "HTTP/1.1", "k").refusal, "");
}

TEST(StreamFormat, TrailersSayTheOutcomeAndTheStatusItWouldHaveHad) {
  ExchangeResult r;
  r.error = ExchangeError::none;
  r.status = StatusRecord{};
  r.status->outcome = Outcome::failed;
  r.status->exit_code = 3;
  auto t = stream_trailers(r, HttpVerdict{502, "the command failed"});
  std::vector<std::pair<std::string, std::string>> want = {{"X-Outcome", "failed"},
                                                           {"X-Exit-Code", "3"},
                                                           {"X-Stderr-Truncated", "0"},
                                                           {"X-Status", "502"}};
  EXPECT_EQ(t, want);
  ExchangeResult lost;
  lost.error = ExchangeError::worker_lost;
  t = stream_trailers(lost, HttpVerdict{502, "x"});
  EXPECT_EQ(t.front().second, "worker_lost");
}

TEST(OutputPipe, AProducerAheadOfItsConsumerWaitsAndAConsumerThatLeavesFreesIt) {
  OutputPipe pipe(8);
  bool gone = false;
  EXPECT_TRUE(pipe.put("12345678", Deadline::in(Millis(1000)), gone));
  // Full: the next put waits, here until its deadline.
  EXPECT_FALSE(pipe.put("9", Deadline::in(Millis(50)), gone));
  EXPECT_FALSE(gone);
  std::string got;
  EXPECT_EQ(pipe.take(got, Deadline::in(Millis(0))), OutputPipe::Take::bytes);
  EXPECT_EQ(got, "12345678");
  EXPECT_EQ(pipe.take(got, Deadline::in(Millis(10))), OutputPipe::Take::nothing);
  EXPECT_TRUE(pipe.put("abcdefgh", Deadline::in(Millis(1000)), gone));
  std::thread consumer([&] {
    std::this_thread::sleep_for(Millis(50));
    pipe.close();
  });
  EXPECT_FALSE(pipe.put("more", Deadline::in(Millis(5000)), gone));
  EXPECT_TRUE(gone) << "a consumer that left frees the producer at once";
  consumer.join();
  ExchangeResult r;
  r.error = ExchangeError::client_gone;
  pipe.finish(r);
  got.clear();
  EXPECT_EQ(pipe.take(got, Deadline::in(Millis(0))), OutputPipe::Take::bytes);
  EXPECT_EQ(pipe.take(got, Deadline::in(Millis(0))), OutputPipe::Take::end);
  EXPECT_EQ(pipe.result().error, ExchangeError::client_gone);
}
