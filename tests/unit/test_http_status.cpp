#include "http_status.hpp"
#include <gtest/gtest.h>

using namespace fifogate;

static ExchangeResult with_outcome(Outcome o) {
  ExchangeResult r;
  r.error = ExchangeError::none;
  r.status = StatusRecord{};
  r.status->outcome = o;
  return r;
}

TEST(HttpStatus, OutcomeTable) {
  Config cfg;
  struct Row {
    Outcome o;
    int status;
  } rows[] = {{Outcome::ok, 200},           {Outcome::failed, 502},    {Outcome::timeout, 504},
              {Outcome::spawn_failed, 502}, {Outcome::bad_input, 400}, {Outcome::output_limit, 502},
              {Outcome::truncated, 500},    {Outcome::abandoned, 500}, {Outcome::internal, 500}};
  for (auto &row : rows)
    EXPECT_EQ(verdict_for(with_outcome(row.o), cfg).status, row.status) << outcome_name(row.o);
}

TEST(HttpStatus, ExchangeErrorTable) {
  Config cfg;
  struct Row {
    ExchangeError e;
    int status;
    int retry;
  } rows[] = {{ExchangeError::busy, 503, 1},        {ExchangeError::no_worker, 503, 1},
              {ExchangeError::worker_lost, 502, 0}, {ExchangeError::timeout, 504, 0},
              {ExchangeError::protocol, 502, 0},    {ExchangeError::internal, 500, 0},
              {ExchangeError::client_gone, 500, 0}};
  for (auto &row : rows) {
    ExchangeResult r;
    r.error = row.e;
    auto v = verdict_for(r, cfg);
    EXPECT_EQ(v.status, row.status) << exchange_error_name(row.e);
    EXPECT_EQ(v.retry_after_s, row.retry) << exchange_error_name(row.e);
    EXPECT_FALSE(v.reason.empty());
  }
}
