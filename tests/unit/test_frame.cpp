#include "../support/stack.hpp"
#include "fifogate/frame.hpp"
#include "fifogate/record_batcher.hpp"
#include <algorithm>
#include <csignal>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <vector>

using namespace fifogate;
using namespace fifogate::frame;

TEST(Frame, RecordsAreAtMostPipeBuf) {
  auto id = RequestId::random();
  std::string big(kMaxPayload, 'x');
  EXPECT_EQ(encode(Kind::data, id, big).size(), kMaxRecord);
  EXPECT_EQ(kMaxRecord, 4096u);
}

TEST(Frame, ParserReassemblesAcrossArbitrarySplits) {
  auto id = RequestId::random();
  std::string stream = encode(Kind::begin, id, "len=5") + encode(Kind::data, id, "hello") +
                       encode(Kind::end, id, "5");
  for (size_t step = 1; step <= stream.size(); ++step) {
    Parser p;
    std::vector<Record> got;
    for (size_t i = 0; i < stream.size(); i += step) {
      p.feed(stream.data() + i, std::min(step, stream.size() - i));
      while (auto r = p.next())
        got.push_back(*r);
    }
    ASSERT_EQ(got.size(), 3u) << "step " << step;
    EXPECT_EQ(got[0].kind, Kind::begin);
    EXPECT_EQ(got[1].payload, "hello");
    EXPECT_EQ(got[2].kind, Kind::end);
    EXPECT_EQ(got[1].id, id);
    EXPECT_FALSE(p.corrupt());
  }
}

TEST(Frame, MessagesSplitAndFlagTheLastRecord) {
  auto id = RequestId::random();
  std::string msg(kMaxPayload * 2 + 10, 'm');
  Parser p;
  std::string s;
  for (const auto &rec : encode_message(Kind::status, id, msg))
    s += rec;
  p.feed(s.data(), s.size());
  std::string joined;
  int n = 0;
  bool last = false;
  while (auto r = p.next()) {
    ++n;
    joined += r->payload;
    last = r->last;
  }
  EXPECT_EQ(n, 3);
  EXPECT_TRUE(last);
  EXPECT_EQ(joined, msg);
}

TEST(Frame, GarbageMakesTheParserCorrupt) {
  Parser p;
  std::string junk = "this is not a record at all";
  p.feed(junk.data(), junk.size());
  EXPECT_FALSE(p.next().has_value());
  EXPECT_TRUE(p.corrupt());
  p.reset();
  auto rec = encode(Kind::data, RequestId::random(), "ok");
  p.feed(rec.data(), rec.size());
  EXPECT_TRUE(p.next().has_value());
}

// The web's readers: junk between whole records is skipped, the records on
// either side of it are read, and a header split over two reads survives.
TEST(Frame, ResyncSkipsJunkBetweenRecords) {
  auto id = RequestId::random();
  std::string a = encode(Kind::data, id, "one"), b = encode(Kind::end, id, "3");
  std::string stream = "junk FG no header here, " + a + "more junk FG1?? " + b;
  Parser p;
  std::vector<std::string> got;
  size_t dropped = 0;
  // Fed a byte at a time: no split point may lose a record.
  for (char c : stream) {
    p.feed(&c, 1);
    for (;;) {
      if (auto r = p.next()) {
        got.push_back(r->payload);
      } else if (p.corrupt()) {
        dropped += p.resync();
      } else {
        break;
      }
    }
  }
  EXPECT_EQ(got, (std::vector<std::string>{"one", "3"}));
  EXPECT_EQ(dropped, stream.size() - a.size() - b.size());
}

// `yes XXXX > out`: anyone in the group can write into an answer FIFO, and
// a stream of nothing but junk must not be kept whole while the web waits.
TEST(Frame, JunkAloneIsNotKeptInMemory) {
  Parser p;
  std::string junk;
  for (size_t i = 0; junk.size() < 64 * 1024; ++i)
    junk += i % 7 == 6 ? "FG\n" : "XXXX\n"; // "FG" as a header's start, again and again
  size_t fed = 0, most = 0, dropped = 0;
  while (fed < 100u * 1024 * 1024) {
    p.feed(junk.data(), junk.size());
    fed += junk.size();
    while (!p.next() && p.corrupt())
      dropped += p.resync();
    most = std::max(most, p.held());
  }
  EXPECT_LE(most, Parser::kCompactAfter + 2 * junk.size()) << "held " << most << " bytes";
  EXPECT_GT(dropped, fed - junk.size());
  // And a record after it all still parses.
  auto id = RequestId::random();
  std::string rec = encode(Kind::data, id, "after");
  p.feed(rec.data(), rec.size());
  std::optional<Record> got;
  while (!(got = p.next()) && p.corrupt())
    p.resync();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->payload, "after");
  EXPECT_EQ(got->id, id);
}

TEST(Frame, OversizedLengthIsCorrupt) {
  auto rec = encode(Kind::data, RequestId::random(), "x");
  rec[6] = '\xff';
  rec[7] = '\xff';
  Parser p;
  p.feed(rec.data(), rec.size());
  EXPECT_FALSE(p.next().has_value());
  EXPECT_TRUE(p.corrupt());
}

TEST(RequestId, HexRoundTripAndUniqueness) {
  auto a = RequestId::random(), b = RequestId::random();
  EXPECT_NE(a, b);
  EXPECT_EQ(a.hex().size(), 16u);
  EXPECT_EQ(*RequestId::from_hex(a.hex()), a);
  EXPECT_FALSE(RequestId::from_hex("xyz").has_value());
  EXPECT_FALSE(RequestId::from_hex("00112233445566GG").has_value());
}

TEST(RecordBatcher, PacksWholeRecordsIntoFewWrites) {
  fgtest::TempDir dir;
  int p[2];
  ASSERT_EQ(::pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
  auto id = RequestId::random();
  RecordBatcher b;
  b.add(encode(Kind::begin, id, "len=5"));
  b.add(encode(Kind::data, id, "hello"));
  b.add(encode(Kind::end, id, "5"));
  b.add(encode(Kind::data, id, std::string(kMaxPayload, 'x'))); // a full record: its own write
  auto r = b.flush_some(p[1]);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(*r);
  EXPECT_TRUE(b.empty());
  char buf[8192];
  ssize_t first = ::read(p[0], buf, sizeof buf);
  EXPECT_EQ(first, static_cast<ssize_t>(3 * kHeaderSize + 5 + 5 + 1 + kMaxRecord));
  Parser parser;
  parser.feed(buf, static_cast<size_t>(first));
  int n = 0;
  while (parser.next())
    ++n;
  EXPECT_EQ(n, 4);
  ::close(p[0]);
  ::close(p[1]);
}

TEST(RecordBatcher, AFullPipeTakesWholeRecordsOnly) {
  std::signal(SIGPIPE, SIG_IGN);
  int p[2];
  ASSERT_EQ(::pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
  auto id = RequestId::random();
  RecordBatcher b;
  for (int i = 0; i < 40; ++i) // 160 KiB: more than the pipe holds
    b.add(encode(Kind::data, id, std::string(kMaxPayload, 'y')));
  auto r = b.flush_some(p[1]);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(*r); // stopped at the full pipe
  EXPECT_EQ(b.bytes() % kMaxRecord, 0u);
  ::close(p[0]);
  auto gone = b.flush_some(p[1]);
  EXPECT_FALSE(gone.ok()); // EPIPE once the reader left
  ::close(p[1]);
}

TEST(Frame, AnIncompleteRecordIsNotWholeAndIsDroppedWithoutTheWholeOnesBeforeIt) {
  auto id = RequestId::random();
  std::string whole = encode(Kind::begin, id, "len=3") + encode(Kind::data, id, "abc");
  std::string cut = encode(Kind::data, id, std::string(100, 'x')).substr(0, 50);
  Parser p;
  p.feed(whole.data(), whole.size());
  p.feed(cut.data(), cut.size());
  EXPECT_TRUE(p.has_whole_record());
  EXPECT_EQ(p.drop_incomplete_tail(), 50u);
  ASSERT_TRUE(p.next().has_value());
  EXPECT_TRUE(p.has_whole_record());
  ASSERT_TRUE(p.next().has_value());
  EXPECT_FALSE(p.has_whole_record());
  EXPECT_EQ(p.buffered(), 0u);
  // A header's worth of a record, and less than that, are not whole either.
  p.feed(cut.data(), cut.size());
  EXPECT_FALSE(p.has_whole_record());
  EXPECT_FALSE(p.next().has_value());
  EXPECT_FALSE(p.corrupt());
  EXPECT_EQ(p.drop_incomplete_tail(), 50u);
  p.feed(cut.data(), 5);
  EXPECT_FALSE(p.has_whole_record());
  EXPECT_EQ(p.drop_incomplete_tail(), 5u);
  // What comes next is read from its own start.
  auto next = encode(Kind::end, id, "3");
  p.feed(next.data(), next.size());
  auto rec = p.next();
  ASSERT_TRUE(rec.has_value());
  EXPECT_EQ(rec->kind, Kind::end);
  EXPECT_EQ(rec->payload, "3");
}
