// Test harness: a tiny HTTP listener on 127.0.0.1 (a free port) that
// answers every request "200 OK" with an empty body, closes the
// connection, and records each request's target ("/path?query"). It
// stands in for haild's local HTTP listener where a gateway calls back
// (Kannel's delivery reports). One thread of its own accepts; the test
// thread reads.
#ifndef HAIL_TESTS_SUPPORT_HTTP_REQUEST_CATCHER_H_
#define HAIL_TESTS_SUPPORT_HTTP_REQUEST_CATCHER_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace hail::testing {

class HttpRequestCatcher {
 public:
  HttpRequestCatcher();   // binds and starts accepting; throws if it cannot
  ~HttpRequestCatcher();  // stops the thread, closes the socket
  HttpRequestCatcher(const HttpRequestCatcher&) = delete;
  HttpRequestCatcher& operator=(const HttpRequestCatcher&) = delete;

  uint16_t port() const { return port_; }
  // "http://127.0.0.1:PORT"
  std::string base_url() const;

  // From now on answer with this status and body, after `delay`.
  void set_answer(int status, std::string body,
                  std::chrono::milliseconds delay = {});

  std::vector<std::string> targets() const;
  // Polls until at least `count` requests came or `timeout` passes.
  std::vector<std::string> WaitForTargets(
      size_t count, std::chrono::milliseconds timeout) const;

 private:
  void AcceptLoop();
  void Serve(int connection);

  int listener_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  std::vector<std::string> targets_;   // guarded by mutex_
  int status_ = 200;                   // guarded by mutex_
  std::string body_;                   // guarded by mutex_
  std::chrono::milliseconds delay_{};  // guarded by mutex_
  std::thread thread_;
};

}  // namespace hail::testing

#endif  // HAIL_TESTS_SUPPORT_HTTP_REQUEST_CATCHER_H_
