#include "../../web/reader_threads.hpp"
#include <atomic>
#include <gtest/gtest.h>
#include <set>

using namespace fifogate;

TEST(ReaderThreads, RunsEachTaskOnAnotherThreadAndReusesIdleOnes) {
  ReaderThreads pool;
  std::set<std::thread::id> seen;
  for (int i = 0; i < 20; ++i) {
    std::thread::id id;
    auto r = pool.start([&] { id = std::this_thread::get_id(); });
    r.wait();
    EXPECT_NE(id, std::this_thread::get_id());
    seen.insert(id);
  }
  // One at a time: one thread did all of them.
  EXPECT_EQ(seen.size(), 1u);
  EXPECT_EQ(pool.threads(), 1u);
}

TEST(ReaderThreads, TasksThatOverlapGetTheirOwnThreads) {
  ReaderThreads pool;
  std::atomic<int> inside{0}, most{0};
  std::atomic<bool> go{false};
  {
    std::vector<ReaderThreads::Running> running;
    for (int i = 0; i < 4; ++i)
      running.push_back(pool.start([&] {
        int now = ++inside;
        int m = most.load();
        while (now > m && !most.compare_exchange_weak(m, now)) {
        }
        while (!go)
          std::this_thread::yield();
        --inside;
      }));
    while (most < 4)
      std::this_thread::yield(); // all four run at once, or this never ends
    go = true;
  } // each Running waits for its task
  EXPECT_EQ(inside, 0);
  EXPECT_EQ(pool.threads(), 4u);
  // Finished threads are reused, not added to.
  pool.start([] {}).wait();
  EXPECT_EQ(pool.threads(), 4u);
}

TEST(ReaderThreads, WaitSeesEverythingTheTaskWrote) {
  ReaderThreads pool;
  for (int i = 0; i < 200; ++i) {
    std::string out;
    auto r = pool.start([&] { out.assign(1000, 'x'); });
    r.wait();
    ASSERT_EQ(out.size(), 1000u); // TSan checks the hand-over is a proper sync
  }
}
