// One request's bytes never reach another request's client. Each test builds
// one of the ways a fixed FIFO trio leaks between requests, for real.
#include "../support/stack.hpp"
#include "fifogate/fd_io.hpp"
#include "fifogate/fifo.hpp"
#include "fifogate/file_lock.hpp"
#include "fifogate/frame.hpp"
#include "fifogate/status_record.hpp"
#include <csignal>
#include <cstdio>
#include <future>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

using namespace fgtest;
using namespace fifogate;
using namespace std::chrono;

// A sender that took the lock, opened its ends like the web does, began a
// request and vanished mid-body.
struct Ghost {
  UniqueFd out, status, in;
  void reset() {
    in.reset();
    out.reset();
    status.reset();
  }
};
static Ghost half_sent_request(const Stack &s, const std::string &body_part) {
  std::signal(SIGPIPE, SIG_IGN);
  auto lock = lock_within(s.path("lock"), seconds(2));
  Ghost g;
  g.out = std::move(*open_fifo_reader(s.path("out")));
  g.status = std::move(*open_fifo_reader(s.path("status")));
  auto in = open_fifo_writer(s.path("in"), Deadline::in(seconds(2)));
  EXPECT_TRUE(in.ok());
  auto id = RequestId::random();
  std::string recs = frame::encode(frame::Kind::begin, id, "len=1000") +
                     frame::encode(frame::Kind::data, id, body_part);
  EXPECT_TRUE(write_all(in->get(), recs, Deadline::in(seconds(2)), "raw").ok());
  g.in = std::move(*in);
  return g; // the lock is released here; the ends stay open
}

TEST(CrossTalk, InputOfASenderThatVanishedIsNeverMerged) {
  Stack s;
  s.start_processor();
  s.start_web();
  // Worst case: the dead sender's input end is still open when the next
  // request writes, so the worker sees no end of file between the two.
  Ghost ghost = half_sent_request(s, "helo ghostwordzz\n");
  auto a = s.post("wrld\n");
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.body, aspell_direct("wrld\n"));
  EXPECT_EQ(a.body.find("ghostwordzz"), std::string::npos);
  ghost.reset();
  // And when it has closed (end of file without an end record).
  Ghost closed = half_sent_request(s, "another ghostwordzz\n");
  closed.in.reset(); // end of file on the input, no end record
  EXPECT_TRUE(eventually(
      [&] {
        return s.processor_log().find("the sender closed the input FIFO") != std::string::npos;
      },
      seconds(5)))
      << s.processor_log();
  closed.reset();
  auto b = s.post("helo\n");
  EXPECT_EQ(b.body, aspell_direct("helo\n"));
  std::string log = s.processor_log();
  EXPECT_NE(log.find("outcome=truncated"), std::string::npos) << log;
  EXPECT_NE(log.find("the sender went away"), std::string::npos) << log;
}

// A sender that opened the input, wrote half a request and left before the
// worker's read end was opened (it can happen while the worker renews that
// end): Linux then never reports the end with POLLHUP, only read() returns
// it. The worker must see it at once, not at the command's deadline.
TEST(CrossTalk, ASenderThatLeftBeforeTheWorkerOpenedTheInputIsSeenToHaveLeft) {
  std::signal(SIGPIPE, SIG_IGN);
  Stack s;
  ASSERT_EQ(::mkdir(s.path("").c_str(), 0770), 0);
  for (const char *f : {"in", "out", "status"})
    ASSERT_EQ(::mkfifo(s.path(f).c_str(), 0660), 0) << f;
  // Read ends held by the test keep the bytes in the FIFO and take the answer.
  auto holder = open_fifo_reader(s.path("in"));
  auto out = open_fifo_reader(s.path("out"));
  auto status = open_fifo_reader(s.path("status"));
  ASSERT_TRUE(holder.ok() && out.ok() && status.ok());
  {
    auto in = open_fifo_writer(s.path("in"), Deadline::in(seconds(2)));
    ASSERT_TRUE(in.ok()) << in.error().message();
    auto id = RequestId::random();
    std::string recs = frame::encode(frame::Kind::begin, id, "len=1000") +
                       frame::encode(frame::Kind::data, id, "left early\n");
    ASSERT_TRUE(write_all(in->get(), recs, Deadline::in(seconds(2)), "raw").ok());
  } // the sender is gone before the worker opens its end
  s.start_processor({{"PROC_TIMEOUT_MS", "20000"}});
  holder->reset();
  EXPECT_TRUE(eventually(
      [&] {
        return s.processor_log().find("the sender closed the input FIFO") != std::string::npos;
      },
      seconds(5)))
      << s.processor_log();
  out->reset();
  status->reset();
  s.start_web();
  auto a = s.post("helo\n");
  EXPECT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.body, aspell_direct("helo\n"));
}

TEST(CrossTalk, TailOfATimedOutAnswerIsNotReadByTheNextRequest) {
  // The worker allows the command 20 s; the web gives up after 1 s + 2 s grace,
  // while the command is still printing. The web goes by the deadline the
  // worker publishes, so the file is made to say 1 s (as an older worker's
  // might, or one whose file was rewritten).
  Stack s(Env{{"PROC_COMMAND",
               "sh -c 'read l; case \"$l\" in slow*) i=0; while [ $i -lt 40 ]; do echo stale-$i; "
               "sleep 0.1; i=$((i+1)); done;; *) echo \"answer:$l\";; esac'"}});
  s.start_processor({{"PROC_TIMEOUT_MS", "20000"}});
  std::string info = read_file(s.path("lock.worker"));
  auto at = info.find("timeout_ms=20000\n");
  ASSERT_NE(at, std::string::npos) << info;
  write_file(s.path("lock.worker"), info.replace(at, 17, "timeout_ms=1000\n"));
  s.start_web({{"PROC_WAIT_MS", "5000"}});
  auto first = s.post("slow\n");
  EXPECT_EQ(first.status, 504) << first.body;
  // Next in line while the worker still writes the old answer and its status.
  auto second = s.post("two\n");
  EXPECT_EQ(second.status, 200) << second.body;
  EXPECT_EQ(second.body, "answer:two\n");
  EXPECT_EQ(second.header("x-outcome"), "ok");
  auto third = s.post("three\n");
  EXPECT_EQ(third.body, "answer:three\n");
}

TEST(CrossTalk, StaleStatusRecordsAreDropped) {
  Stack s;
  s.start_processor();
  s.start_web();
  // Someone writes a status record for a request nobody waits for, and junk.
  auto st_reader = open_fifo_reader(s.path("status")); // so the write can happen
  auto w = try_open_fifo_writer(s.path("status"));
  ASSERT_TRUE(w.ok());
  StatusRecord fake;
  fake.id = RequestId::random();
  fake.outcome = Outcome::failed;
  fake.exit_code = 99;
  for (const auto &rec : frame::encode_message(frame::Kind::status, fake.id, encode_status(fake)))
    ASSERT_TRUE(write_all(w->get(), rec, Deadline::in(seconds(1)), "fake").ok());
  w->reset();
  auto a = s.post("helo\n");
  EXPECT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.header("x-exit-code"), "0");
  EXPECT_EQ(a.body, aspell_direct("helo\n"));
}

// Anyone with access to the directory can write into the answer FIFOs while
// a request is in flight. Bytes that are not records are dropped; the
// request gets its worker's own answer.
TEST(CrossTalk, JunkInTheAnswerFifosIsDroppedAndTheRequestServed) {
  std::signal(SIGPIPE, SIG_IGN);
  Stack s(Env{{"PROC_COMMAND", "sh -c 'sleep 1; cat'"}, {"PROC_PROTOCOL", "raw"}});
  s.start_processor();
  s.start_web();
  HttpAnswer a;
  std::thread client([&] { a = s.post("the real answer\n"); });
  // The web holds both read ends only while the request is in flight.
  std::optional<UniqueFd> out, status;
  ASSERT_TRUE(eventually(
      [&] {
        if (!out)
          if (auto w = try_open_fifo_writer(s.path("out")); w.ok())
            out = std::move(*w);
        if (!status)
          if (auto w = try_open_fifo_writer(s.path("status")); w.ok())
            status = std::move(*w);
        return out && status;
      },
      seconds(5)));
  for (auto *fd : {&*out, &*status})
    ASSERT_TRUE(write_all(fd->get(), "this is not a record, FG1 nor this\n",
                          Deadline::in(seconds(1)), "junk")
                    .ok());
  out.reset();
  status.reset();
  client.join();
  EXPECT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.body, "the real answer\n");
  EXPECT_NE(s.web_log().find("dropping bytes that are not records"), std::string::npos)
      << s.web_log();
}

TEST(CrossTalk, ALingeringCommandCannotSwallowTheNextBody) {
  // The command answers, then leaves a background process holding its stdin
  // (as an exiting aspell can). With a FIFO as stdin, the next body would go
  // to that process.
  Stack s(Env{{"PROC_COMMAND", "sh -c 'read l; echo \"got:$l\"; sleep 5 <&0 & exit 0'"}});
  s.start_processor();
  s.start_web();
  for (std::string w : {"one", "two", "three"}) {
    auto t0 = steady_clock::now();
    auto a = s.post(w + "\n");
    EXPECT_EQ(a.status, 200);
    EXPECT_EQ(a.body, "got:" + w + "\n");
    EXPECT_LT(steady_clock::now() - t0, seconds(3));
  }
  EXPECT_TRUE(eventually([&] { return children_of(s.processor().pid()).empty(); }, seconds(2)));
}

TEST(CrossTalk, ASecondProcessorWaitsInsteadOfSharingTheFifos) {
  Stack s(Env{{"PROC_SLOTS", "1"}});
  s.start_processor();
  s.start_web();
  Proc second(FIFOGATE_PROCESSOR_BIN, {}, s.env(), s.dir() + "/second.log", true);
  ASSERT_TRUE(eventually(
      [&] { return read_file(s.dir() + "/second.log").find("waiting") != std::string::npos; },
      seconds(5)));
  for (int i = 0; i < 5; ++i) {
    auto a = s.post("helo\n");
    EXPECT_EQ(a.body, aspell_direct("helo\n")); // one banner, one answer
  }
  s.processor().kill_and_reap();
  ASSERT_TRUE(second.wait_ready(seconds(5))) << read_file(s.dir() + "/second.log");
  auto b = s.post("wrld\n");
  EXPECT_EQ(b.body, aspell_direct("wrld\n"));
}

// A writer that left in the middle of a record (fifogate's own never do: each
// write is whole records of at most PIPE_BUF, but anyone in the group can
// write to the FIFO, and a 64 KiB read can end inside a record on a machine
// with 64 KiB pages). Nobody will finish that record. The worker must neither
// spin on it nor read the next request's records as its rest.
TEST(CrossTalk, AnIncompleteRecordOfAWriterThatLeftIsDroppedAndTheNextRequestServed) {
  Stack s(Env{{"PROC_TIMEOUT_MS", "3000"}});
  s.start_processor();
  s.start_web();
  {
    auto in = open_fifo_writer(s.path("in"), Deadline::in(seconds(2)));
    ASSERT_TRUE(in.ok());
    std::string cut =
        frame::encode(frame::Kind::data, RequestId::random(), std::string(100, 'x')).substr(0, 50);
    ASSERT_TRUE(write_all(in->get(), cut, Deadline::in(seconds(2)), "raw").ok());
  } // closed: end of file after half a record
  ASSERT_TRUE(eventually(
      [&] { return s.processor_log().find("incomplete record") != std::string::npos; }, seconds(5)))
      << s.processor_log();
  // Not spinning: a second of wall time costs the worker next to no CPU.
  auto cpu = [&] {
    long ut = 0, st = 0;
    std::string stat = read_file("/proc/" + std::to_string(s.processor().pid()) + "/stat");
    std::sscanf(stat.c_str() + stat.rfind(')') + 2,
                "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %ld %ld", &ut, &st);
    return ut + st;
  };
  long before = cpu();
  std::this_thread::sleep_for(seconds(1));
  EXPECT_LT(cpu() - before, sysconf(_SC_CLK_TCK) / 2) << "the worker is spinning";
  auto a = s.post("helo wrld\n");
  EXPECT_EQ(a.status, 200) << a.body << s.processor_log();
  EXPECT_EQ(a.body, aspell_direct("helo wrld\n"));
}
