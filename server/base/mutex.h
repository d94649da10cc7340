// A std::mutex the thread-safety analysis understands, and its scoped lock
// (LevelDB's port::Mutex and MutexLock play the same part).
#ifndef HAIL_SERVER_BASE_MUTEX_H_
#define HAIL_SERVER_BASE_MUTEX_H_

#include <mutex>

#include "server/base/thread_annotations.h"

namespace hail::server {

class CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;
  void Lock() ACQUIRE() { mutex_.lock(); }
  void Unlock() RELEASE() { mutex_.unlock(); }

 private:
  std::mutex mutex_;
};

class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex* mutex) ACQUIRE(mutex) : mutex_(mutex) {
    mutex_->Lock();
  }
  ~MutexLock() RELEASE() { mutex_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mutex_;
};

}  // namespace hail::server

#endif  // HAIL_SERVER_BASE_MUTEX_H_
