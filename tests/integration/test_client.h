// Test helpers around hail::client::Client: connect to a HaildProcess, wait
// for a given event type, and run the common register/login steps.
#ifndef HAIL_TESTS_INTEGRATION_TEST_CLIENT_H_
#define HAIL_TESTS_INTEGRATION_TEST_CLIENT_H_

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "client/client.h"
#include "tests/integration/haild_process.h"

namespace hail::testing {

// A client whose state lives in its own directory (its $HAIL_HOME).
class TestClient {
 public:
  TestClient(const std::filesystem::path& home, uint16_t port,
             std::string host = "127.0.0.1");
  explicit TestClient(client::ClientOptions options);

  client::Client& get() { return *client_; }
  client::Client* operator->() { return client_.get(); }

  // Connects and waits until secured; false on any failure.
  bool Connect(int timeout_ms = 5000);

  // Polls until an event of type E arrives (other events are kept in
  // others()), or the timeout passes.
  template <typename E>
  std::optional<E> WaitFor(int timeout_ms = 10000) {
    auto deadline = std::chrono::steady_clock::now() +
                    std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < deadline) {
      std::optional<client::Event> event = client_->Poll(20);
      if (!event) continue;
      if (auto* wanted = std::get_if<E>(&*event)) return *wanted;
      others_.push_back(std::move(*event));
    }
    return std::nullopt;
  }

  // Register and wait; returns the result event.
  // Like WaitFor, but only for an event that satisfies `match`; looks at
  // the events set aside earlier first.
  template <typename E, typename Match>
  std::optional<E> WaitUntil(Match match, int timeout_ms = 10000) {
    for (auto it = others_.begin(); it != others_.end(); ++it) {
      if (auto* e = std::get_if<E>(&*it); e && match(*e)) {
        E found = *e;
        others_.erase(it);
        return found;
      }
    }
    auto deadline = std::chrono::steady_clock::now() +
                    std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < deadline) {
      std::optional<client::Event> event = client_->Poll(20);
      if (!event) continue;
      if (auto* e = std::get_if<E>(&*event); e && match(*e)) return *e;
      others_.push_back(std::move(*event));
    }
    return std::nullopt;
  }
  // Keeps polling for `ms`, setting every event aside.
  void Drain(int ms) {
    auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (std::chrono::steady_clock::now() < deadline) {
      if (auto event = client_->Poll(20)) others_.push_back(std::move(*event));
    }
  }
  // Events of type E set aside so far, removed from the pile.
  template <typename E>
  std::vector<E> Take() {
    std::vector<E> taken;
    for (auto it = others_.begin(); it != others_.end();) {
      if (auto* e = std::get_if<E>(&*it)) {
        taken.push_back(*e);
        it = others_.erase(it);
      } else {
        ++it;
      }
    }
    return taken;
  }

  std::optional<client::Registered> Register(const std::string& name,
                                             const std::string& password);
  std::optional<client::LoginResult> Login(const std::string& name,
                                           const std::string& password);
  std::optional<client::LoginResult> Resume(const std::string& name);

  const std::vector<client::Event>& others() const { return others_; }
  // Sets `event` aside, as WaitFor does with events it was not waiting for.
  void Keep(client::Event event) { others_.push_back(std::move(event)); }
  template <typename E>
  bool Has() const {
    return SawOther<E>();
  }
  // True when an event of type E was set aside by WaitFor.
  template <typename E>
  bool SawOther() const {
    for (const client::Event& e : others_) {
      if (std::holds_alternative<E>(e)) return true;
    }
    return false;
  }

 private:
  std::unique_ptr<client::Client> client_;
  std::vector<client::Event> others_;
};

}  // namespace hail::testing

#endif  // HAIL_TESTS_INTEGRATION_TEST_CLIENT_H_
