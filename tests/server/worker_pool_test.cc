#include "server/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <latch>

namespace hail::server {
namespace {

TEST(WorkerPoolTest, RunsEveryTask) {
  std::atomic<int> ran{0};
  WorkerPool pool(2, 100);
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(pool.TrySubmit([&ran] { ++ran; }));
  }
  pool.Shutdown();
  EXPECT_EQ(ran.load(), 50);
}

TEST(WorkerPoolTest, TrySubmitIsFalseWhenTheQueueIsFull) {
  std::latch started(1);
  std::latch release(1);
  std::atomic<int> ran{0};
  WorkerPool pool(1, 2);
  ASSERT_TRUE(pool.TrySubmit([&] {
    started.count_down();
    release.wait();
    ++ran;
  }));
  started.wait();  // the only worker is busy; the queue is empty

  EXPECT_TRUE(pool.TrySubmit([&ran] { ++ran; }));
  EXPECT_TRUE(pool.TrySubmit([&ran] { ++ran; }));
  EXPECT_EQ(pool.queued(), 2u);
  EXPECT_FALSE(pool.TrySubmit([&ran] { ++ran; }));
  EXPECT_EQ(pool.queued(), 2u);

  release.count_down();
  pool.Shutdown();
  EXPECT_EQ(ran.load(), 3);  // the refused task never ran
}

TEST(WorkerPoolTest, ShutdownRunsQueuedTasksBeforeReturning) {
  std::latch started(1);
  std::latch release(1);
  std::atomic<int> ran{0};
  WorkerPool pool(1, 10);
  ASSERT_TRUE(pool.TrySubmit([&] {
    started.count_down();
    release.wait();
  }));
  started.wait();
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(pool.TrySubmit([&ran] { ++ran; }));
  }
  EXPECT_EQ(pool.queued(), 5u);

  release.count_down();
  pool.Shutdown();
  EXPECT_EQ(ran.load(), 5);
  EXPECT_EQ(pool.queued(), 0u);
}

TEST(WorkerPoolTest, TrySubmitAfterShutdownIsFalse) {
  std::atomic<int> ran{0};
  WorkerPool pool(2, 10);
  pool.Shutdown();
  EXPECT_FALSE(pool.TrySubmit([&ran] { ++ran; }));
  EXPECT_EQ(ran.load(), 0);
}

TEST(WorkerPoolTest, ShutdownIsIdempotent) {
  std::atomic<int> ran{0};
  {
    WorkerPool pool(3, 10);
    ASSERT_TRUE(pool.TrySubmit([&ran] { ++ran; }));
    pool.Shutdown();
    pool.Shutdown();
  }  // and the destructor shuts down once more
  EXPECT_EQ(ran.load(), 1);
}

TEST(WorkerPoolTest, DestructorDrainsQueuedTasks) {
  std::atomic<int> ran{0};
  {
    WorkerPool pool(1, 100);
    for (int i = 0; i < 20; ++i) {
      ASSERT_TRUE(pool.TrySubmit([&ran] { ++ran; }));
    }
  }
  EXPECT_EQ(ran.load(), 20);
}

}  // namespace
}  // namespace hail::server
