#include "server/worker_pool.h"

#include <pthread.h>

#include <algorithm>
#include <cassert>
#include <utility>

namespace hail::server {

WorkerPool::WorkerPool(size_t threads, size_t max_queued, const char* name)
    : max_queued_(max_queued) {
  assert(threads > 0);
  threads_.reserve(threads);
  for (size_t i = 0; i < threads; ++i) {
    threads_.emplace_back([this, name] {
      pthread_setname_np(pthread_self(), name);
      RunWorker();
    });
  }
}

WorkerPool::~WorkerPool() { Shutdown(); }

bool WorkerPool::TrySubmit(std::function<void()> task) {
  {
    MutexLock lock(&mutex_);
    if (stopping_ || tasks_.size() >= max_queued_) return false;
    tasks_.push_back(std::move(task));
  }
  task_ready_.Signal();
  return true;
}

void WorkerPool::Shutdown() {
  {
    MutexLock lock(&mutex_);
    stopping_ = true;
  }
  task_ready_.SignalAll();
  std::call_once(join_once_, [this] {
    assert(std::none_of(threads_.begin(), threads_.end(),
                        [](const std::thread& thread) {
                          return thread.get_id() == std::this_thread::get_id();
                        }));
    for (std::thread& thread : threads_) thread.join();
  });
}

size_t WorkerPool::queued() const {
  MutexLock lock(&mutex_);
  return tasks_.size();
}

void WorkerPool::RunWorker() {
  for (;;) {
    std::function<void()> task;
    {
      MutexLock lock(&mutex_);
      while (!stopping_ && tasks_.empty()) task_ready_.Wait();
      // Stopping with an empty queue: every queued task has been taken.
      if (tasks_.empty()) return;
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

}  // namespace hail::server
