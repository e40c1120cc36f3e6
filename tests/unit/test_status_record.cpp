#include "fifogate/status_record.hpp"
#include <gtest/gtest.h>

using namespace fifogate;

TEST(StatusRecord, RoundTripsEveryField) {
  StatusRecord s;
  s.id = RequestId::random();
  s.outcome = Outcome::failed;
  s.exit_code = 3;
  s.signal = 0;
  s.duration_ms = 1234;
  s.stderr_truncated = true;
  s.stderr_text = std::string("line one\nline two\n\0binary\xff", 26);
  s.message = "command exited\nwith status 3"; // newlines are folded
  s.worker = "host:42";
  auto d = decode_status(encode_status(s));
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(d->id, s.id);
  EXPECT_EQ(d->outcome, Outcome::failed);
  EXPECT_EQ(d->exit_code, 3);
  EXPECT_EQ(d->duration_ms, 1234);
  EXPECT_TRUE(d->stderr_truncated);
  EXPECT_EQ(d->stderr_text, s.stderr_text);
  EXPECT_EQ(d->message, "command exited with status 3");
  EXPECT_EQ(d->worker, "host:42");
}

TEST(StatusRecord, EveryOutcomeHasAName) {
  for (auto o :
       {Outcome::ok, Outcome::failed, Outcome::timeout, Outcome::spawn_failed, Outcome::bad_input,
        Outcome::truncated, Outcome::output_limit, Outcome::abandoned, Outcome::internal}) {
    auto back = outcome_from_name(outcome_name(o));
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, o);
  }
}

TEST(StatusRecord, RejectsDamagedRecords) {
  StatusRecord s;
  s.id = RequestId::random();
  s.outcome = Outcome::ok;
  s.stderr_text = "abc";
  std::string good = encode_status(s);
  EXPECT_FALSE(decode_status(good.substr(0, good.size() - 1)).ok()); // stderr shorter than said
  EXPECT_FALSE(decode_status(good + "x").ok());                      // longer
  EXPECT_FALSE(decode_status("outcome=ok\nstderr_len=0\n\n").ok());  // no id
  EXPECT_FALSE(decode_status("id=zz\noutcome=ok\nstderr_len=0\n\n").ok());
  EXPECT_FALSE(decode_status("id=0011223344556677\noutcome=great\nstderr_len=0\n\n").ok());
  EXPECT_FALSE(decode_status("id=0011223344556677\noutcome=ok\nstderr_len=99999999\n\n").ok());
  EXPECT_FALSE(decode_status("").ok());
  EXPECT_TRUE(
      decode_status("id=0011223344556677\noutcome=ok\nfuture_field=1\nstderr_len=0\n\n").ok());
}
