// A running haild: data dir lock, identity, account store, worker pool,
// loop threads (shards) on one UDP port, and the admin socket.
#ifndef HAIL_SERVER_SERVER_H_
#define HAIL_SERVER_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include "protocol/handshake.h"
#include "protocol/presession.h"
#include "server/account_service.h"
#include "server/account_store.h"
#include "server/admin_socket.h"
#include "server/chat_store.h"
#include "server/config.h"
#include "server/contact_service.h"
#include "server/counters.h"
#include "server/data_dir.h"
#include "server/forward_service.h"
#include "server/logger.h"
#include "server/metrics.h"
#include "server/p2p_broker.h"
#include "server/shard.h"
#include "server/shared_state.h"
#include "server/stun_responder.h"
#include "server/stun_socket.h"

namespace hail::server {

class Server {
 public:
  // Opens everything and starts serving. Fails (without side effects beyond
  // creating the data dir) when the data dir is held by another haild.
  // `faults`: tests only (server/fault_plan.h); must outlive the server.
  static Result<std::unique_ptr<Server>> Start(
      const Config& config, Logger* logger, const FaultPlan* faults = nullptr);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Ends every session with SHUTTING_DOWN, drains the loops and the worker
  // pool. Idempotent; the destructor calls it.
  void Shutdown();

  protocol::Endpoint bound() const;
  // The TCP fallback port, 0 when TCP is not served.
  uint16_t tcp_port() const;
  // The alternate STUN-only port, empty when off.
  protocol::Endpoint stun_alt_bound() const {
    return stun_socket_ ? stun_socket_->bound() : protocol::Endpoint();
  }
  // Every counter and gauge (server/metrics.h), as the admin socket's
  // "stats" line and as Prometheus text.
  std::vector<Metric> Metrics() const;
  std::string StatsJson() const;
  std::string PrometheusText() const;
  std::string UserJson(const std::string& username) const;

 private:
  // Binds the alternate STUN port (config) and sets shared_.stun.
  Status StartStun();
  // Makes the gateways and the ForwardService, and lets the chat store ask
  // it about stored messages.
  Status StartForwarding();
  // The forwarding counters per channel (forward_email_sent, ...).
  void AddForwardMetrics(std::vector<Metric>* metrics) const;
  Server(const Config& config, Logger* logger);
  std::string AdminCommand(const std::string& command) const;

  Config config_;
  Logger* logger_;
  Counters counters_;
  std::unique_ptr<DataDirLock> lock_;
  protocol::IdentityKey identity_;
  std::unique_ptr<protocol::CookieMinter> cookies_;
  std::unique_ptr<AccountStore> store_;
  std::unique_ptr<AccountService> accounts_;
  std::unique_ptr<WorkerPool> workers_;
  // Declared before chats_, which asks it about every stored message: it
  // outlives the store.
  std::unique_ptr<ForwardService> forward_;
  std::unique_ptr<ChatStore> chats_;
  std::unique_ptr<ContactService> contacts_;
  std::unique_ptr<WorkerPool> contact_worker_;
  std::unique_ptr<WorkerPool> io_workers_;
  core::Directory directory_;
  core::UndecidedMessages undecided_;
  std::unique_ptr<KeyLogWriter> key_log_;
  std::unique_ptr<LockedRateLimiter> auth_per_ip_;
  std::unique_ptr<LockedRateLimiter> resume_per_ip_;
  std::unique_ptr<PasswordGuard> password_guard_;
  std::unique_ptr<LockedRateLimiter> p2p_per_pair_;
  std::unique_ptr<P2pBroker> p2p_broker_;
  std::unique_ptr<TcpIpCounter> tcp_per_ip_;
  SharedState shared_;
  std::unique_ptr<StunResponder> stun_;
  std::unique_ptr<StunSocket> stun_socket_;  // declared before shards_:
                                             // outlives their loops
  std::vector<std::unique_ptr<Shard>> shards_;
  std::unique_ptr<AdminSocket> admin_;
  std::unique_ptr<AdminSocket> metrics_;  // Prometheus, when configured
  bool shut_down_ = false;
  bool started_ = false;  // Start got through: serving
};

}  // namespace hail::server

#endif  // HAIL_SERVER_SERVER_H_
