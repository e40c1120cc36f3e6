// The web's dispatcher over real lock files: the "workers" here are life
// locks this test holds, which is all the dispatcher looks at.
#include "../../web/dispatcher.hpp"
#include "../support/stack.hpp"
#include <future>
#include <gtest/gtest.h>
#include <optional>
#include <set>
#include <sys/stat.h>
#include <thread>

using namespace fifogate;
using namespace std::chrono;

namespace {

struct Slots {
  fgtest::TempDir dir;
  Config cfg;
  std::vector<FileLock> life;
  explicit Slots(int live) {
    cfg.proc_dir = dir.path;
    ::mkdir(cfg.kind_dir().c_str(), 0770);
    cfg.slots = 4;
    for (int k = 0; k < live; ++k) {
      life.push_back(fgtest::lock_within(cfg.channel(k).owner_lock_path(), Millis(1000)));
    }
  }
};

} // namespace

TEST(Dispatcher, NoWorkerIsEnxioAndBusyIsEtimedout) {
  Slots none(0);
  Dispatcher d0(none.cfg);
  auto a = d0.claim(Deadline::in(Millis(50)));
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().code, ENXIO);

  Slots one(1);
  Dispatcher d(one.cfg);
  auto held = d.claim(Deadline::in(Millis(50)));
  ASSERT_TRUE(held.ok());
  auto b = d.claim(Deadline::in(Millis(50)));
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().code, ETIMEDOUT);
  EXPECT_EQ(d.waiting(), 0u);
}

TEST(Dispatcher, SpreadsOverFreeSlotsAndNeverHandsOutOneTwice) {
  Slots s(3);
  Dispatcher d(s.cfg);
  std::vector<Dispatcher::Claim> held;
  std::set<int> slots;
  for (int i = 0; i < 3; ++i) {
    auto c = d.claim(Deadline::in(Millis(100)));
    ASSERT_TRUE(c.ok()) << c.error().message();
    slots.insert(c->channel().slot);
    held.push_back(std::move(*c));
  }
  EXPECT_EQ(slots, (std::set<int>{0, 1, 2}));
  EXPECT_FALSE(d.claim(Deadline::in(Millis(30))).ok());
}

// A free worker that served last is preferred: at low load one worker (its
// warm command hot in the caches) takes request after request, and a second
// request while it is busy goes to the next most recent one.
TEST(Dispatcher, TheMostRecentlyUsedFreeWorkerServesNext) {
  Slots s(3);
  Dispatcher d(s.cfg);
  auto claim_slot = [&] {
    auto c = d.claim(Deadline::in(Millis(100)));
    EXPECT_TRUE(c.ok()) << c.error().message();
    return c.ok() ? std::optional<Dispatcher::Claim>(std::move(*c)) : std::nullopt;
  };
  int first = -1;
  { // two at once: two different workers; slot b is released last
    auto a = claim_slot(), b = claim_slot();
    ASSERT_TRUE(a && b);
    ASSERT_NE(a->channel().slot, b->channel().slot);
    first = b->channel().slot;
    a.reset();
    b.reset();
  }
  for (int i = 0; i < 5; ++i) { // one at a time: always the last one used
    auto c = claim_slot();
    ASSERT_TRUE(c);
    EXPECT_EQ(c->channel().slot, first) << i;
  }
  auto busy = claim_slot(); // held: the next goes elsewhere, then comes back
  ASSERT_TRUE(busy);
  int other = -1;
  {
    auto c = claim_slot();
    ASSERT_TRUE(c);
    EXPECT_NE(c->channel().slot, first);
    other = c->channel().slot;
  }
  auto again = claim_slot();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->channel().slot, other) << "released last, so chosen first";
}

// A worker that failed a request goes to the back of the line: one that fails
// fast would otherwise take every request at low load.
TEST(Dispatcher, AWorkerThatFailedARequestGoesLast) {
  Slots s(3);
  Dispatcher d(s.cfg);
  int failed = -1;
  {
    auto c = d.claim(Deadline::in(Millis(100)));
    ASSERT_TRUE(c.ok());
    failed = c->channel().slot;
    c->demote();
  }
  std::set<int> used;
  for (int i = 0; i < 4; ++i) {
    auto c = d.claim(Deadline::in(Millis(100)));
    ASSERT_TRUE(c.ok());
    EXPECT_NE(c->channel().slot, failed) << i;
    used.insert(c->channel().slot);
  }
  EXPECT_EQ(used.size(), 1u) << "the last one used, not the failed one, serves on";
  // With every other slot busy it is still used: demoted, not excluded.
  std::vector<Dispatcher::Claim> held;
  for (int i = 0; i < 3; ++i) {
    auto c = d.claim(Deadline::in(Millis(100)));
    ASSERT_TRUE(c.ok());
    held.push_back(std::move(*c));
  }
  EXPECT_EQ(held.back().channel().slot, failed);
}

// Waiters are served in arrival order, each release wakes the next one at
// once, and a waiter whose deadline passes leaves without blocking the line.
TEST(Dispatcher, WaitersAreServedInArrivalOrder) {
  Slots s(1);
  Dispatcher d(s.cfg);
  auto first = d.claim(Deadline::in(Millis(100)));
  ASSERT_TRUE(first.ok());
  std::optional<Dispatcher::Claim> holder(std::move(*first));

  struct Waiters {
    std::mutex m;
    std::vector<int> order;
    std::vector<steady_clock::time_point> got_at;
    std::promise<void> done[4];
    bool done_set[4] = {};
    std::vector<std::thread> threads;
    void finish(int i) {
      if (!done_set[i]) {
        done_set[i] = true;
        done[i].set_value();
      }
    }
    // Whatever happens above, no thread is left waiting or unjoined.
    ~Waiters() {
      for (int i = 0; i < 4; ++i)
        finish(i);
      for (auto &t : threads)
        t.join();
    }
  } w;
  const auto start = steady_clock::now();
  for (int i = 0; i < 4; ++i) {
    // Waiter 1 gives up while the slot is still held; the others wait long enough.
    Millis patience = i == 1 ? Millis(2000) : Millis(20000);
    w.threads.emplace_back([&, i, patience] {
      auto c = d.claim(Deadline::in(patience));
      {
        std::lock_guard<std::mutex> g(w.m);
        w.order.push_back(c.ok() ? i : -i - 10);
        w.got_at.push_back(steady_clock::now());
      }
      if (c.ok())
        w.done[i].get_future().wait();
    });
    ASSERT_TRUE(
        fgtest::eventually([&] { return d.waiting() == static_cast<size_t>(i + 1); }, seconds(2)));
  }
  ASSERT_LT(steady_clock::now() - start, Millis(1500)) << "too slow to queue all four in time";
  // Waiter 1 has given up and recorded it (it records after leaving the
  // queue, so the queue's length alone would let waiter 0 record first).
  ASSERT_TRUE(fgtest::eventually(
      [&] {
        std::lock_guard<std::mutex> g(w.m);
        return w.order == std::vector<int>{-11};
      },
      seconds(5)));
  ASSERT_EQ(d.waiting(), 3u);
  // Each hand-over is the release waking the next in line, not the first in
  // line looking again after its 100 ms nap.
  auto released_at = steady_clock::now();
  holder.reset();
  for (int i : {0, 2, 3}) {
    ASSERT_TRUE(fgtest::eventually(
        [&] {
          std::lock_guard<std::mutex> g(w.m);
          return !w.order.empty() && w.order.back() == i;
        },
        seconds(5)))
        << "waiter " << i;
    {
      std::lock_guard<std::mutex> g(w.m);
      EXPECT_LT(w.got_at.back() - released_at, Millis(90)) << "waiter " << i;
    }
    released_at = steady_clock::now();
    w.finish(i);
  }
  std::lock_guard<std::mutex> g(w.m);
  EXPECT_EQ(w.order, (std::vector<int>{-11, 0, 2, 3}));
  EXPECT_EQ(d.waiting(), 0u);
}

// A slot held by someone else (another web instance: another open of the lock
// file) is taken as soon as they let go.
TEST(Dispatcher, SlotHeldElsewhereIsTakenWhenFreed) {
  Slots s(1);
  std::optional<FileLock> held(fgtest::lock_within(s.cfg.channel(0).lock_path, Millis(1000)));
  Dispatcher d(s.cfg);
  auto f = std::async(std::launch::async, [&] { return d.claim(Deadline::in(Millis(5000))); });
  ASSERT_EQ(f.wait_for(Millis(100)), std::future_status::timeout);
  held.reset();
  ASSERT_EQ(f.wait_for(seconds(2)), std::future_status::ready);
  auto c = f.get();
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->channel().slot, 0);
}
