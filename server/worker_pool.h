// A fixed set of threads with a bounded queue, for blocking work (Argon2id
// password hashing, synced LevelDB writes) that must stay off the network
// loops. A loop hands a task over with TrySubmit and gets the result back
// through its own queue; it never waits here.
#ifndef HAIL_SERVER_WORKER_POOL_H_
#define HAIL_SERVER_WORKER_POOL_H_

#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "server/base/mutex.h"

namespace hail::server {

// Memory stays bounded by construction: at most `threads` tasks run at once,
// so at most `threads` Argon2id computations (64 MiB each at the interactive
// limits) are alive at any moment, and at most `max_queued` more tasks wait.
// When the queue is full, TrySubmit refuses at once and the caller answers
// SERVER_BUSY instead of queueing without limit.
//
// Thread-safe: any thread may call TrySubmit, queued and Shutdown.
// Tasks must not throw and must not call Shutdown.
class WorkerPool {
 public:
  // Starts `threads` worker threads, named `name` (at most 15 characters,
  // as `top -H` shows them). REQUIRES: threads > 0.
  WorkerPool(size_t threads, size_t max_queued,
             const char* name = "hail-worker");

  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Calls Shutdown().
  ~WorkerPool();

  // Queues `task` to run on some worker thread. Never blocks: returns false,
  // and drops the task, when max_queued tasks are already waiting (tasks
  // being run do not count) or once Shutdown has begun.
  bool TrySubmit(std::function<void()> task);

  // Stops accepting tasks, runs every task already queued, then joins the
  // threads. Idempotent; a concurrent second caller returns once the first
  // has finished. REQUIRES: not called from a task.
  void Shutdown();

  // Tasks waiting to start (a snapshot; it may change at once).
  size_t queued() const;

 private:
  void RunWorker();

  const size_t max_queued_;
  mutable Mutex mutex_;
  CondVar task_ready_{&mutex_};
  std::deque<std::function<void()>> tasks_ GUARDED_BY(mutex_);
  bool stopping_ GUARDED_BY(mutex_) = false;
  std::once_flag join_once_;
  std::vector<std::thread> threads_;
};

}  // namespace hail::server

#endif  // HAIL_SERVER_WORKER_POOL_H_
