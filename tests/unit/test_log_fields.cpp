// The one escaping rule of both binaries' log lines.
#include "fifogate/log_fields.hpp"
#include <gtest/gtest.h>

using namespace fifogate;

TEST(LogFields, AValueCannotForgeALineOrEndItsQuotes) {
  EXPECT_EQ(log_text("a\nreq=1 outcome=ok\r\x7f"), "a?req=1 outcome=ok??");
  EXPECT_EQ(log_text("say \"hi\""), "say 'hi'");
  EXPECT_EQ(log_text(std::string("a\0b", 3)), "a?b");
  EXPECT_EQ(log_text("ünïcode"), "ünïcode");
  std::string long_value(300, 'x');
  EXPECT_EQ(log_text(long_value), std::string(200, 'x') + "...");
}

TEST(LogFields, TokensAreBareAndFreeTextIsQuoted) {
  LogFields f;
  f.add("outcome", "ok").add("exit", int64_t{3}).add("lang", "");
  f.add("worker", "host one:7").quoted("reason", "none").quoted("msg", "it said \"no\"\nagain");
  EXPECT_EQ(f.str(), " outcome=ok exit=3 lang=\"\" worker=\"host one:7\" reason=\"none\" "
                     "msg=\"it said 'no'?again\"");
  EXPECT_TRUE(LogFields().empty());
  EXPECT_FALSE(f.empty());
}
