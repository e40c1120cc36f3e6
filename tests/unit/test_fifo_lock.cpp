#include "../support/stack.hpp"
#include "fifogate/fd_io.hpp"
#include "fifogate/fifo.hpp"
#include "fifogate/file_lock.hpp"
#include <csignal>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>

using namespace fifogate;
using namespace std::chrono;

class FifoTest : public ::testing::Test {
protected:
  void SetUp() override {
    std::signal(SIGPIPE, SIG_IGN);
    path = dir.path + "/f";
    ASSERT_TRUE(ensure_fifo(path, 0660).ok());
  }
  fgtest::TempDir dir;
  std::string path;
};

TEST_F(FifoTest, EnsureFifoCreatesKeepsAndRefusesOtherFiles) {
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0660u);
  EXPECT_TRUE(ensure_fifo(path, 0660).ok()); // an existing FIFO is fine
  fgtest::write_file(dir.path + "/regular", "x");
  auto r = ensure_fifo(dir.path + "/regular", 0660);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("not a FIFO"), std::string::npos) << r.error().message();
  EXPECT_EQ(fgtest::read_file(dir.path + "/regular"), "x"); // never replaced
}

TEST_F(FifoTest, ReaderOpensWithoutAWriter) {
  auto t0 = steady_clock::now();
  auto r = open_fifo_reader(path);
  ASSERT_TRUE(r.ok());
  EXPECT_LT(steady_clock::now() - t0, milliseconds(500));
}

TEST_F(FifoTest, WriterWithoutReaderFailsWithEnxioAtTheDeadline) {
  auto t0 = steady_clock::now();
  auto w = open_fifo_writer(path, Deadline::in(milliseconds(200)));
  auto took = steady_clock::now() - t0;
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().code, ENXIO);
  EXPECT_NE(w.error().message().find("open " + path + " for write: ENXIO (no reader)"),
            std::string::npos)
      << w.error().message();
  EXPECT_GE(took, milliseconds(200));
  EXPECT_LT(took, milliseconds(1500));
}

TEST_F(FifoTest, WriterStopsWaitingWhenNoReaderWillCome) {
  int asked = 0;
  auto t0 = steady_clock::now();
  auto w = open_fifo_writer(path, Deadline::in(seconds(5)), [&] { return ++asked == 3; });
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().code, ENXIO);
  EXPECT_EQ(asked, 3);
  EXPECT_LT(steady_clock::now() - t0, seconds(1));
}

TEST_F(FifoTest, WriterConnectsOnceAReaderExists) {
  auto r = open_fifo_reader(path);
  ASSERT_TRUE(r.ok());
  auto w = open_fifo_writer(path, Deadline::in(milliseconds(200)));
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(write_all(w->get(), "hi", Deadline::in(milliseconds(200)), "w").ok());
  char buf[8];
  auto got = read_some(r->get(), buf, sizeof buf);
  EXPECT_EQ(got.kind, ReadKind::data);
  EXPECT_EQ(std::string(buf, got.bytes), "hi");
}

TEST_F(FifoTest, RenewKeepsBufferedBytesAndStopsTheHangupSpin) {
  auto reader = FifoReader::open(path);
  ASSERT_TRUE(reader.ok());
  {
    auto w = try_open_fifo_writer(path);
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE(write_all(w->get(), "abc", Deadline::in(milliseconds(200)), "w").ok());
  } // the writer leaves: the old fd now reports POLLHUP for ever
  EXPECT_TRUE(poll_one(reader->fd(), POLLIN, Deadline::in(milliseconds(0))) & POLLHUP);
  ASSERT_TRUE(reader->renew().ok());
  char buf[8];
  auto got = read_some(reader->fd(), buf, sizeof buf);
  ASSERT_EQ(got.kind, ReadKind::data) << "buffered bytes were lost";
  EXPECT_EQ(std::string(buf, got.bytes), "abc");
  // Drained, no writer: the fresh fd stays quiet instead of spinning.
  EXPECT_EQ(poll_one(reader->fd(), POLLIN, Deadline::in(milliseconds(100))), 0);
  // And a writer can still connect (the FIFO never lost its reader).
  EXPECT_TRUE(try_open_fifo_writer(path).ok());
}

TEST_F(FifoTest, AtomicWriteOnAFullPipeTimesOut) {
  auto r = open_fifo_reader(path);
  auto w = try_open_fifo_writer(path);
  ASSERT_TRUE(r.ok() && w.ok());
  std::string chunk(4096, 'x');
  int n = 0;
  while (::write(w->get(), chunk.data(), chunk.size()) > 0 && n < 10000)
    ++n;
  auto t0 = steady_clock::now();
  auto res = write_atomic(w->get(), chunk, Deadline::in(milliseconds(150)), "write full");
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.error().code, ETIMEDOUT);
  EXPECT_GE(steady_clock::now() - t0, milliseconds(150));
  EXPECT_FALSE(
      write_atomic(w->get(), std::string(5000, 'y'), Deadline::in(milliseconds(10)), "big").ok());
}

TEST_F(FifoTest, WriteAfterTheReaderLeftIsEpipe) {
  auto r = open_fifo_reader(path);
  auto w = try_open_fifo_writer(path);
  ASSERT_TRUE(r.ok() && w.ok());
  r->reset();
  auto res = write_all(w->get(), "x", Deadline::in(milliseconds(100)), "w");
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.error().code, EPIPE);
}

TEST(FileLock, ExcludesUntilReleased) {
  fgtest::TempDir dir;
  std::string p = dir.path + "/lock";
  auto a = FileLock::try_acquire(p);
  ASSERT_TRUE(a.ok() && a->has_value());
  EXPECT_TRUE(*is_locked(p));
  auto b = FileLock::try_acquire(p);
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(b->has_value());
  { auto gone = std::move(*a); }
  EXPECT_FALSE(*is_locked(p));
  auto c = FileLock::try_acquire(p);
  EXPECT_TRUE(c.ok() && c->has_value());
  EXPECT_FALSE(*is_locked(dir.path + "/missing"));
}

TEST(FileLock, CreatedGroupWritableWhateverTheUmask) {
  fgtest::TempDir dir;
  mode_t old = ::umask(022);
  auto lock = FileLock::try_acquire(dir.path + "/lock");
  ::umask(old);
  ASSERT_TRUE(lock.ok() && lock->has_value());
  struct stat st {};
  ASSERT_EQ(::stat((dir.path + "/lock").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0660u);
}

TEST(FileLock, AChildProcessDoesNotKeepIt) {
  fgtest::TempDir dir;
  std::string p = dir.path + "/lock";
  pid_t pid = -1;
  {
    auto lock = FileLock::try_acquire(p);
    ASSERT_TRUE(lock.ok() && lock->has_value());
    char *argv[] = {const_cast<char *>("sleep"), const_cast<char *>("2"), nullptr};
    ASSERT_EQ(posix_spawnp(&pid, "sleep", nullptr, nullptr, argv, nullptr), 0);
  }
  EXPECT_FALSE(*is_locked(p)) << "the lock fd leaked into the child";
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
}
