// One network loop thread: an ENet host on the shared UDP port and the
// sessions of its peers (muduo's "one loop per thread"). Only the loop thread
// touches the host and the sessions; other threads hand work in with Post.
// Blocking work (Argon2id, synced writes) goes to the WorkerPool and comes
// back through Post.
#ifndef HAIL_SERVER_SHARD_H_
#define HAIL_SERVER_SHARD_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "protocol/messages.h"
#include "protocol/server_session.h"
#include "server/enet_host.h"
#include "server/shared_state.h"

namespace hail::server {

class Shard {
 public:
  Shard(unsigned index, SharedState* shared);
  ~Shard();
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;

  Status Bind(const protocol::Endpoint& listen);
  protocol::Endpoint bound() const { return host_->bound(); }
  void Start();
  // Thread-safe: runs `task` on the loop thread, soon.
  void Post(std::function<void()> task);
  // Thread-safe: ends every session with SESSION_ENDED{SHUTTING_DOWN}, lets
  // ENet deliver it (at most ~3 s), then stops the loop.
  void BeginDrain();
  void Join();
  size_t sessions() const { return session_count_.load(); }

 private:
  // Login facts kept for SESSION_INFO.
  struct LoginRecord {
    protocol::Endpoint lan;
    std::string client_version;
    uint64_t login_unix = 0;
  };
  struct PeerSession {
    PeerSession(uint64_t id, ENetPeer* peer, const protocol::IdentityKey* key,
                uint64_t now_ms)
        : id(id), peer(peer), session(key, now_ms) {}
    uint64_t id;
    ENetPeer* peer;
    protocol::ServerSession session;
    protocol::Endpoint observed;
    LoginRecord login;
  };

  void Run();
  void RunPostedTasks();
  void ServiceEnet();
  void CheckTimers(uint64_t now_ms);
  void OnConnect(ENetPeer* peer);
  void OnReceive(ENetPeer* peer, uint8_t channel, ENetPacket* packet);
  void OnDisconnect(ENetPeer* peer);
  void Apply(PeerSession& s, protocol::ServerSession::Output output);
  void Send(PeerSession& s, const protocol::OutgoingFrame& frame);
  void SendMessage(PeerSession& s, const protocol::Message& message);
  void EndSession(PeerSession& s, protocol::ErrorCode reason);
  void Forget(PeerSession& s);
  PeerSession* Find(uint64_t session_id);
  // Runs `work` on a worker and `done` back on this loop with its result;
  // answers SERVER_BUSY (via `busy`) when the worker queue is full.
  template <typename Outcome>
  void Offload(std::function<Outcome()> work,
               std::function<void(PeerSession&, Outcome)> done,
               uint64_t session_id, std::function<void()> busy);

  // Requests (shard_requests.cc).
  void HandleRequest(PeerSession& s, protocol::Message request);
  void OnRegister(PeerSession& s, const protocol::RegisterRequest& r);
  void OnLogin(PeerSession& s, const protocol::LoginRequest& r);
  void OnResume(PeerSession& s, const protocol::ResumeRequest& r);
  void OnLogout(PeerSession& s, const protocol::LogoutRequest& r);
  void OnChangePassword(PeerSession& s,
                        const protocol::ChangePasswordRequest& r);
  void OnDeleteAccount(PeerSession& s, const protocol::DeleteAccountRequest& r);
  void OnSessionInfo(PeerSession& s, const protocol::SessionInfoRequest& r);
  // 0 when a request costing `per_ip` may proceed (one token is taken),
  // else the milliseconds to wait; `account`, when given, must also not be
  // locked by failed password checks. Counts refusals.
  uint64_t Admit(LockedRateLimiter* per_ip, const std::string& ip,
                 const std::string* account);
  void RefuseLogin(PeerSession& s, uint32_t request_id,
                   protocol::ErrorCode error, uint64_t retry_after_ms);
  // What a LOGIN or RESUME declares, with an unusable LAN endpoint dropped.
  LoginContext ContextFor(const PeerSession& s,
                          const protocol::Endpoint& declared_lan,
                          const std::string& client_version) const;
  void FinishLogin(PeerSession& s, uint32_t request_id,
                   const AuthOutcome& outcome, const LoginContext& context);
  // Thread-safe entry for another shard: end a replaced session.
  void KickReplaced(uint64_t session_id);

  static int InterceptThunk(ENetHost* host, ENetEvent* event);
  int OnRawDatagram(ENetHost* host);

  unsigned index_;
  SharedState* shared_;
  std::unique_ptr<EnetHost> host_;
  std::thread thread_;
  int wake_fd_ = -1;

  std::mutex posted_mutex_;
  std::vector<std::function<void()>> posted_;

  // Loop-thread state.
  std::unordered_map<uint64_t, std::unique_ptr<PeerSession>> sessions_;
  uint64_t next_session_id_ = 1;
  uint64_t now_ms_ = 0;
  uint64_t last_timer_ms_ = 0;
  bool draining_ = false;
  uint64_t drain_deadline_ms_ = 0;
  bool stop_ = false;
  std::atomic<size_t> session_count_{0};
};

uint64_t SteadyNowMs();
uint64_t UnixNow();

}  // namespace hail::server

#endif  // HAIL_SERVER_SHARD_H_
