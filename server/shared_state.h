// Everything the loop threads share, owned by Server and outliving every
// shard. Members are thread-safe unless noted.
#ifndef HAIL_SERVER_SHARED_STATE_H_
#define HAIL_SERVER_SHARED_STATE_H_

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/handshake.h"
#include "protocol/presession.h"
#include "server/account_service.h"
#include "server/chat_store.h"
#include "server/config.h"
#include "server/contact_service.h"
#include "server/core/directory.h"
#include "server/core/undecided_messages.h"
#include "server/counters.h"
#include "server/fault_plan.h"
#include "server/logger.h"
#include "server/password_guard.h"
#include "server/rate_limiter.h"
#include "server/tcp_link.h"
#include "server/worker_pool.h"

namespace hail::server {

class Shard;
class ForwardService;
class P2pBroker;
class StunResponder;

// Appends HAIL_KEYLOGFILE lines (debugging aid: it exposes session keys).
class KeyLogWriter {
 public:
  explicit KeyLogWriter(const std::string& path);
  ~KeyLogWriter();
  KeyLogWriter(const KeyLogWriter&) = delete;
  KeyLogWriter& operator=(const KeyLogWriter&) = delete;
  bool ok() const { return file_ != nullptr; }
  void Append(std::string_view line);

 private:
  Mutex mutex_;
  std::FILE* file_ PT_GUARDED_BY(mutex_);
};

struct SharedState {
  const Config* config = nullptr;
  const protocol::IdentityKey* identity = nullptr;
  const protocol::CookieMinter* cookies = nullptr;
  AccountService* accounts = nullptr;
  WorkerPool* workers = nullptr;  // Argon2id and other account work
  ChatStore* chats = nullptr;
  ContactService* contacts = nullptr;
  // One thread: contact decisions run one at a time (ContactService).
  WorkerPool* contact_worker = nullptr;
  // Store reads for the loops (login state, dedup lookups).
  WorkerPool* io_workers = nullptr;
  core::Directory* directory = nullptr;
  // Live deliveries whose answer is not decided (SPEC.md 10.5).
  core::UndecidedMessages* undecided = nullptr;
  // Extended delivery (SPEC.md 17): settings requests and cancellations,
  // BLOCKING (contacts thread, io workers).
  ForwardService* forward = nullptr;
  Counters* counters = nullptr;
  Logger* logger = nullptr;
  KeyLogWriter* key_log = nullptr;  // null unless HAIL_KEYLOGFILE is set
  LockedRateLimiter* auth_per_ip = nullptr;
  LockedRateLimiter* resume_per_ip = nullptr;
  PasswordGuard* password_guard = nullptr;
  // Direct-link setups per pair of users, and the rendezvous in progress.
  LockedRateLimiter* p2p_per_pair = nullptr;
  P2pBroker* p2p_broker = nullptr;
  TcpIpCounter* tcp_per_ip = nullptr;  // TCP connections per source IP
  StunResponder* stun = nullptr;
  // Tests only: the rules a haild-faulty breaks (server/fault_plan.h).
  const FaultPlan* faults = nullptr;
  std::vector<Shard*> shards;  // set before any shard starts; read-only after
};

}  // namespace hail::server

#endif  // HAIL_SERVER_SHARED_STATE_H_
