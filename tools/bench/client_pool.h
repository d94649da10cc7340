// A share of hail-bench's simulated clients driven by one thread with epoll:
// clients [begin, end) (whole contact groups), spread over ENet hosts, each
// host bound to its own 127.x.y.z address and carrying up to
// `clients_per_address` peers (one per client) on one socket. One socket per
// address keeps file descriptors and epoll registrations few, a single
// cookie-checked source port may carry several connections (SPEC.md 4.3),
// and a host's service cost stays small because it has few peer slots; the
// server's per-IP limits (peers, auth and resume budgets) then see only
// `clients_per_address` users per address. Hosts are serviced when their
// socket is readable and otherwise every kServiceIntervalMs for ENet's
// retransmissions and pings.
//
// Threading: every method runs on the thread that calls RunUntil, except the
// atomic counters in progress(), which any thread may read.
#ifndef HAIL_TOOLS_BENCH_CLIENT_POOL_H_
#define HAIL_TOOLS_BENCH_CLIENT_POOL_H_

#include <enet/enet.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <vector>

#include "protocol/status.h"
#include "tools/bench/bench_state.h"
#include "tools/bench/delivery_ledger.h"
#include "tools/bench/pair_picker.h"
#include "tools/bench/sim_client.h"

namespace hail::bench {

enum class PoolMode : uint8_t { kHail, kRelay };

// Relay wire format (the bare ENet relay of --baseline): channel 0
// [kRelayJoin][u32 index] -> [kRelayJoined]; channel 1
// [kRelayForward][u32 recipient][text], forwarded unchanged.
inline constexpr uint8_t kRelayJoin = 1;
inline constexpr uint8_t kRelayJoined = 3;
inline constexpr uint8_t kRelayForward = 2;
// Peers per relay port (one ENet host holds at most 4095).
inline constexpr uint32_t kRelayPeersPerPort = 4000;

struct PoolOptions {
  PoolMode mode = PoolMode::kHail;
  uint32_t begin = 0;  // global client indices [begin, end)
  uint32_t end = 0;
  uint32_t clients = 0;  // all clients of the run (ledger and groups)
  uint32_t group_size = 8;
  uint32_t clients_per_address = 32;
  uint32_t server_host = 0;  // IPv4, host order
  uint16_t server_port = 0;  // relay: the first port
  size_t message_size = 128;
  uint64_t run = 0;
  uint64_t seed = 1;
  uint32_t login_concurrency = 256;
};

// Counters any thread may read while the pool runs.
struct PoolProgress {
  std::atomic<uint64_t> ready{0};
  std::atomic<uint64_t> sent{0};
  std::atomic<uint64_t> delivered{0};
  std::atomic<uint64_t> accepted_live{0};
  std::atomic<uint64_t> accepted_stored{0};
  std::atomic<uint64_t> accept_errors{0};
  std::atomic<uint64_t> registrations{0};
  std::atomic<uint64_t> password_logins{0};
  std::atomic<uint64_t> resumes{0};
  std::atomic<uint64_t> stale_deliveries{0};
  std::atomic<uint64_t> hello_retries{0};
  std::atomic<uint64_t> reconnects{0};
  std::atomic<uint64_t> connect_retries{0};  // CONNECT unanswered in time
  std::atomic<uint64_t> service_errors{0};
  std::atomic<uint64_t> unexpected_disconnects{0};
};

class ClientPool {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr int64_t kServiceIntervalMs = 50;
  static constexpr uint64_t kDoneCheckMs = 5;

  // `state` names users and must outlive the pool; accounts are copied in
  // and handed back by accounts().
  ClientPool(PoolOptions options, const BenchState* state,
             std::vector<Account> accounts,
             std::optional<protocol::PublicKey> identity);
  ~ClientPool();
  ClientPool(const ClientPool&) = delete;
  ClientPool& operator=(const ClientPool&) = delete;

  // Creates the hosts and the epoll set.
  Status Open();

  // Runs the event loop until `done()` holds (true) or `deadline` passes
  // (false). `tick(now_ns)` runs every iteration; `next_tick_ns()` says
  // when it next wants to run (0: no wish).
  bool RunUntil(const std::function<bool()>& done, Clock::time_point deadline,
                const std::function<void(int64_t)>& tick = {},
                const std::function<int64_t()>& next_tick_ns = {});

  // Selects clients by global index.
  using Selector = std::function<bool(uint32_t)>;
  // The selected clients should be online, or not. Offline ones disconnect
  // gracefully.
  void SetWanted(const Selector& which, bool online);
  uint32_t Count(const Selector& which) const;  // of this pool's clients
  uint32_t ReadyCount(const Selector& which) const;
  uint32_t ConnectedCount() const;  // clients with an ENet peer
  // Ready selected clients whose contacts are complete.
  uint32_t ContactsCompleteCount(const Selector& which) const;
  // True when every ready selected client sees its group mates chosen by
  // `mates` OFFLINE.
  bool SeesOffline(const Selector& which, const Selector& mates) const;

  // Sends one stamped message from a random online pair; false when no pair
  // is online.
  bool SendRandom(int64_t now_ns);
  // Sends one stamped message sender -> recipient (global indices).
  void SendFrom(uint32_t sender, uint32_t recipient, int64_t now_ns);

  // Starts the contact setup: from now on every ready client asks its
  // mates. Called once every client has logged in, so that no request
  // goes to a mate that has not registered yet (USER_NOT_FOUND on a fresh
  // bench state). The pool's own thread.
  void AskContacts();
  // While true, a server-side disconnect is not an error (restarts).
  void set_expect_disconnect(bool expect) { expect_disconnect_ = expect; }

  const PoolOptions& options() const { return options_; }
  const BenchState& state() const { return *state_; }
  DeliveryLedger& ledger() { return ledger_; }
  PairPicker& picker() { return picker_; }
  PoolProgress& progress() { return progress_; }
  std::vector<Account>& accounts() { return accounts_; }
  const std::optional<protocol::PublicKey>& identity() const {
    return identity_;
  }
  uint64_t error_count() const { return error_count_; }
  const std::vector<std::string>& errors() const { return errors_; }

  // --- For SimClient (pool thread) ---
  bool contacts_wanted() const { return contacts_wanted_; }
  bool expect_disconnect() const { return expect_disconnect_; }
  void Error(std::string line);
  void SendHello(const SimClient& client, protocol::ByteSpan datagram);
  ENetPeer* Connect(SimClient& client, uint32_t data);
  void Send(const SimClient& client, uint8_t channel, protocol::ByteSpan bytes);
  void Schedule(const SimClient& client, uint64_t at_ms);
  // Queues a start, subject to the login concurrency.
  void QueueStart(const SimClient& client);
  void OnStateChange(SimClient& client, SimClient::State from,
                     SimClient::State to);
  void PinIdentity(const protocol::PublicKey& key) { identity_ = key; }
  SimClient* client(uint32_t global) {
    return clients_[global - options_.begin].get();
  }
  bool wanted(const SimClient& client) const { return wanted_[client.local()]; }
  uint64_t now_ms() const { return now_ms_; }
  int64_t now_ns() const { return now_ns_; }
  // Reads the clock again (now_ms and now_ns move on) and returns it: a
  // delivery is timed when it is handled, not when the wake-up that brought
  // it began, since one wake-up may service many hosts.
  int64_t ClockNowNs();
  protocol::Endpoint LocalEndpoint(const SimClient& client) const;

 private:
  struct Host {
    ENetHost* host = nullptr;
    uint32_t address = 0;  // host order
    std::vector<uint32_t> locals;
    int64_t next_service_ms = 0;
    bool dirty = false;
  };
  static int ENET_CALLBACK Intercept(ENetHost* host, ENetEvent* event);
  void UpdateClock();
  void ServiceHost(uint32_t host);
  void Dispatch(const ENetEvent& event);
  void StartQueued();
  void FireTimers();
  void ServiceDueHosts();
  void FlushDirty();
  Host& HostOf(const SimClient& client) {
    return hosts_[client.local() / options_.clients_per_address];
  }
  const Host& HostOf(const SimClient& client) const {
    return hosts_[client.local() / options_.clients_per_address];
  }

  PoolOptions options_;
  const BenchState* state_;
  std::vector<Account> accounts_;
  std::optional<protocol::PublicKey> identity_;
  DeliveryLedger ledger_;
  PairPicker picker_;
  PoolProgress progress_;
  std::vector<std::unique_ptr<SimClient>> clients_;
  std::vector<bool> wanted_;
  std::vector<Host> hosts_;
  int epoll_fd_ = -1;
  uint64_t now_ms_ = 0;
  int64_t now_ns_ = 0;
  uint32_t in_progress_ = 0;  // connecting clients
  std::queue<uint32_t> start_queue_;
  using Due = std::pair<int64_t, uint32_t>;
  std::priority_queue<Due, std::vector<Due>, std::greater<>> timers_;
  std::priority_queue<Due, std::vector<Due>, std::greater<>> services_;
  std::vector<uint32_t> dirty_;
  bool contacts_wanted_ = false;
  bool expect_disconnect_ = false;
  uint64_t error_count_ = 0;
  std::vector<std::string> errors_;
};

}  // namespace hail::bench

#endif  // HAIL_TOOLS_BENCH_CLIENT_POOL_H_
