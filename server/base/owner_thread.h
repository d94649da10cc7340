// Names the one thread that owns a piece of state, and checks it: state that
// belongs to a loop is touched only by that loop's thread (muduo's
// assertInLoopThread). The owner is the first thread that checks, unless
// Bind names it earlier; Release hands the state on (a loop that stopped).
#ifndef HAIL_SERVER_BASE_OWNER_THREAD_H_
#define HAIL_SERVER_BASE_OWNER_THREAD_H_

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <thread>

namespace hail::server {

class OwnerThread {
 public:
  // Makes the calling thread the owner.
  void Bind() { owner_.store(std::this_thread::get_id()); }
  void Release() { owner_.store(std::thread::id()); }
  // True when the calling thread owns the state (claiming it if unowned).
  bool IsCurrent() {
    std::thread::id none;
    std::thread::id self = std::this_thread::get_id();
    return owner_.compare_exchange_strong(none, self) || none == self;
  }
  // Aborts when another thread calls, in every build: a wrong-thread access
  // is a routing bug that would otherwise corrupt state silently. Costs a
  // thread-id comparison.
  void Check() {
    if (!IsCurrent()) {
      std::fputs(
          "haild: loop state touched from a thread that does not own it\n",
          stderr);
      std::abort();
    }
  }

 private:
  std::atomic<std::thread::id> owner_{};
};

}  // namespace hail::server

#endif  // HAIL_SERVER_BASE_OWNER_THREAD_H_
