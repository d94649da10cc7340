// A deterministic world for the server's routing cores (server/core): any
// number of LoopCores on the test's thread, virtual time, in-order links
// between loops, clients and the store, and the real stores (AccountStore,
// ChatStore, ContactService) on LevelDB's in-memory Env. Simulated clients
// acknowledge what they get (unless told not to) and record everything, so
// a test can check who received what. Thousands of users and minutes of
// virtual time run in well under a second.
//
// Every link keeps its order, as the real ones do: envelopes from one loop
// to another (one queue per target loop), frames to one session (ENet's
// ordered channel), and store requests (one store thread).
#ifndef HAIL_TESTS_SUPPORT_CORE_SIMULATOR_H_
#define HAIL_TESTS_SUPPORT_CORE_SIMULATOR_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "protocol/messages.h"
#include "server/account_service.h"
#include "server/account_store.h"
#include "server/chat_store.h"
#include "server/contact_service.h"
#include "server/core/directory.h"
#include "server/core/loop_core.h"
#include "server/counters.h"
#include "server/p2p_broker.h"
#include "server/rate_limiter.h"

namespace leveldb {
class Env;
}

namespace hail::testing {

class CoreSimulator {
 public:
  struct Options {
    uint32_t loops = 4;
    uint64_t seed = 1;
    // Each hop (loop to loop, loop to client, store) takes 0..this ms.
    uint64_t max_hop_ms = 2;
  };
  // A client's session: the loop it is on and its id there.
  struct SessionKey {
    uint32_t loop = 0;
    uint64_t session = 0;
    auto operator<=>(const SessionKey&) const = default;
  };
  // Everything one simulated client session received.
  struct ClientLog {
    uint64_t user = 0;
    SessionKey key;
    bool responsive = true;  // acknowledges items
    bool ended = false;      // SESSION_ENDED received or logged out
    protocol::ErrorCode end_reason = protocol::ErrorCode::kOk;
    bool mailbox_end = false;
    std::vector<protocol::MessageDeliver> delivered;
    std::vector<protocol::MessageAccepted> answers;
    std::vector<protocol::DeliveryReceipt> receipts;
    // The last presence this session was shown for each user.
    std::map<uint64_t, protocol::Presence> presence_of;
  };

  explicit CoreSimulator(Options options);
  ~CoreSimulator();
  CoreSimulator(const CoreSimulator&) = delete;
  CoreSimulator& operator=(const CoreSimulator&) = delete;

  // --- set-up through the real stores, at once ---
  uint64_t CreateUser(const std::string& name);
  // `a` asks, `b` accepts (ContactService, as haild does).
  void Befriend(uint64_t a, uint64_t b);
  const std::string& NameOf(uint64_t user) const { return names_.at(user); }

  // --- what clients do, now ---
  SessionKey LogIn(uint64_t user, uint32_t loop);
  void LogOut(SessionKey key);
  void SetPresence(SessionKey key, protocol::Presence presence,
                   const std::string& status);
  // A new message, or with `resend_of` a resend of that message id.
  protocol::ItemId SendMessage(
      SessionKey key, uint64_t to, const std::string& text,
      std::optional<protocol::ItemId> resend_of = std::nullopt);
  void SetResponsive(SessionKey key, bool responsive);

  // --- time ---
  void RunFor(uint64_t ms);
  // Runs until nothing is scheduled but the periodic timer.
  void RunUntilQuiet();
  uint64_t now_ms() const { return now_ms_; }
  std::mt19937_64& random() { return random_; }

  // --- what happened ---
  const ClientLog& Log(SessionKey key) const { return logs_.at(key); }
  const std::map<SessionKey, ClientLog>& logs() const { return logs_; }
  // The live session of `user`, if any (the newest not ended).
  std::optional<SessionKey> SessionOf(uint64_t user) const;
  server::core::Directory& directory() { return directory_; }
  server::core::LoopCore& core(uint32_t loop) { return *loops_[loop]->core; }
  uint32_t loops() const { return static_cast<uint32_t>(loops_.size()); }
  server::Counters& counters() { return counters_; }
  server::ChatStore& chats() { return *chats_; }

 private:
  class LoopEffects;
  struct Loop {
    std::unique_ptr<LoopEffects> effects;
    std::unique_ptr<server::core::LoopCore> core;
    uint64_t next_session = 1;
  };
  struct Event {
    uint64_t at = 0;
    uint64_t order = 0;
    std::function<void()> run;
    bool operator>(const Event& other) const {
      return at != other.at ? at > other.at : order > other.order;
    }
  };

  // Schedules `run` at now + a random hop, after everything scheduled
  // earlier on the same ordered `link`.
  void Hop(const std::string& link, std::function<void()> run);
  void At(uint64_t at, std::function<void()> run);
  bool Step(uint64_t until);
  void ClientReceives(SessionKey key, const protocol::Message& message);
  void Acknowledge(SessionKey key, const protocol::ItemAck& ack);
  void RunStore(server::core::StoreRequest request);
  // The io workers' login read (Effects::LoadLogin), then LoginLoaded.
  void ReadLogin(const server::core::SessionAddress& address);
  uint64_t now_unix() const { return 1'800'000'000 + now_ms_ / 1000; }

  Options options_;
  std::mt19937_64 random_;
  uint64_t now_ms_ = 0;
  uint64_t next_order_ = 0;
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> events_;
  std::map<std::string, uint64_t> link_free_at_;

  std::unique_ptr<leveldb::Env> env_;
  server::Counters counters_;
  std::unique_ptr<server::AccountStore> accounts_;
  std::unique_ptr<server::AccountService> account_service_;
  std::unique_ptr<server::ChatStore> chats_;
  std::unique_ptr<server::ContactService> contacts_;
  server::core::Directory directory_;
  server::core::UndecidedMessages undecided_;
  server::P2pBroker broker_{1024};
  server::LockedRateLimiter pair_limiter_{5, 0.2, 10000};
  std::vector<std::unique_ptr<Loop>> loops_;
  std::map<uint64_t, std::string> names_;
  std::map<SessionKey, ClientLog> logs_;
};

}  // namespace hail::testing

#endif  // HAIL_TESTS_SUPPORT_CORE_SIMULATOR_H_
