// One network loop thread: an ENet host on the shared UDP port, a TCP
// listener on the shared TCP port (server/tcp_link.h), and the sessions of
// their peers and connections (muduo's "one loop per thread"). The loop
// moves bytes: handshakes and frames go through protocol::ServerSession,
// and every decision about logged-in users (routing, presence, session
// replacement, rendezvous) is made by its core::LoopCore, whose effects the
// loop carries out. Only the loop thread touches the host, the sessions and
// the core; other loops hand it envelopes (PostEnvelopes, batched per
// wake-up) and workers hand back results (Post). Blocking work (Argon2id,
// store reads, synced writes) never runs here.
#ifndef HAIL_SERVER_SHARD_H_
#define HAIL_SERVER_SHARD_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>
#include <unordered_map>
#include <vector>

#include "protocol/messages.h"
#include "protocol/server_session.h"
#include "server/base/owner_thread.h"
#include "server/core/loop_core.h"
#include "server/enet_host.h"
#include "server/half_open_guard.h"
#include "server/link.h"
#include "server/shared_state.h"
#include "server/stun_socket.h"
#include "server/tcp_link.h"

namespace hail::server {

class Shard : private core::Effects {
 public:
  Shard(unsigned index, SharedState* shared);
  ~Shard();
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;

  // Binds `hosts` ENet hosts of `peers_per_host` peer slots each on
  // `listen` (SO_REUSEPORT: the kernel spreads clients over every host of
  // every loop by their address).
  Status Bind(const protocol::Endpoint& listen, size_t hosts,
              size_t peers_per_host);
  protocol::Endpoint bound() const { return hosts_.front().host->bound(); }
  // Also serves the TCP fallback on `listen` (SPEC.md 3.8). Call after
  // Bind and before Start.
  Status ListenTcp(const protocol::Endpoint& listen);
  // 0 when TCP is not served.
  uint16_t tcp_port() const { return tcp_ ? tcp_->port() : 0; }
  // Adds the alternate STUN port to this loop's poll set (shard 0 only).
  // REQUIRES: before Start; `socket` outlives the loop.
  void ServeStunSocket(StunSocket* socket) { stun_socket_ = socket; }
  void Start();
  // Thread-safe: runs `task` on the loop thread, soon. For results of this
  // loop's own offloaded work; other loops send envelopes.
  void Post(std::function<void()> task);
  // Thread-safe: hands envelopes for this loop's core over, in order.
  void PostEnvelopes(std::vector<core::Envelope> envelopes);
  // Thread-safe: ends every session with SESSION_ENDED{SHUTTING_DOWN}, lets
  // ENet deliver it (at most ~3 s), then stops the loop.
  void BeginDrain();
  void Join();
  size_t sessions() const { return session_count_.load(); }
  // Thread-safe: runs a store request for a core and hands its StoreDone
  // to the loop the core says (LoopCore::CompletionLoop). Also for work
  // that starts off the loops (a FORWARD_NOTICE to store and deliver).
  static void RunStore(SharedState* shared, core::StoreRequest request);

 private:
  // Login facts kept for SESSION_INFO.
  struct LoginRecord {
    protocol::Endpoint lan;
    std::string client_version;
    uint64_t login_unix = 0;
  };
  struct PeerSession {
    PeerSession(uint64_t id, std::unique_ptr<Link> link,
                const protocol::IdentityKey* key, uint64_t now_ms)
        : id(id),
          link(std::move(link)),
          session(key, now_ms),
          opened_ms(now_ms) {}
    uint64_t id;
    std::unique_ptr<Link> link;
    protocol::ServerSession session;
    uint64_t opened_ms;
    protocol::Endpoint observed;
    LoginRecord login;
    // The core's address of this session while logged in.
    core::SessionAddress address;
    // Whether this session's transport can carry a direct link (UDP).
    bool CanLinkDirectly() const {
      return link && link->kind() == Link::Kind::kEnet;
    }
  };

  // One ENet host of this loop; `dirty` is set by its links when they
  // queue something, so that only those hosts are flushed.
  struct HostSlot {
    std::unique_ptr<EnetHost> host;
    HalfOpenGuard half_open;
    bool dirty = false;
    uint64_t serviced_ms = 0;
    size_t half_open_now = 0;  // at the last sweep
  };
  // Frees half-open ENet peers past their time; keeps peers_half_open.
  void SweepHalfOpen(uint64_t now_ms);

  void Run();
  void RunPostedTasks();
  HostSlot& SlotOf(const ENetHost* host);
  void ServiceEnet(HostSlot& slot);
  void FlushHosts();
  void CheckTimers(uint64_t now_ms);
  void OnConnect(ENetPeer* peer);
  void OnReceive(ENetPeer* peer, uint8_t channel, ENetPacket* packet);
  void OnDisconnect(ENetPeer* peer);
  // TCP connections (TcpListener callbacks).
  uint64_t OnTcpOpened(const protocol::Endpoint& observed);
  void OnTcpFrame(uint64_t session_id, uint8_t channel,
                  protocol::ByteSpan frame);
  void OnTcpClosed(uint64_t session_id);
  // A session's link is gone: the session ends without a word.
  void OnLinkGone(PeerSession& s);
  void Apply(PeerSession& s, protocol::ServerSession::Output output);
  void Send(PeerSession& s, const protocol::OutgoingFrame& frame);
  void SendMessage(PeerSession& s, const protocol::Message& message);
  void EndSession(PeerSession& s, protocol::ErrorCode reason);
  void Forget(PeerSession& s);
  PeerSession* Find(uint64_t session_id);
  // Runs `work` on `pool` and `done` back on this loop with its result;
  // answers SERVER_BUSY (via `busy`) when the pool's queue is full.
  template <typename Outcome>
  void Offload(WorkerPool* pool, std::function<Outcome()> work,
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
  // else the milliseconds to wait. Counts refusals.
  uint64_t Admit(LockedRateLimiter* per_ip, const std::string& ip);
  // The same for a password check of `account` from `ip` (SPEC.md 7.12):
  // the account's budgets first, then the address's. On 0 the ticket is
  // admitted and goes to PasswordGuard::Finish once the check is done.
  uint64_t AdmitPasswordCheck(const std::string& account, const std::string& ip,
                              PasswordGuard::Ticket* ticket);
  void RefuseLogin(PeerSession& s, uint32_t request_id,
                   protocol::ErrorCode error, uint64_t retry_after_ms);
  // What a LOGIN or RESUME declares, with an unusable LAN endpoint dropped.
  LoginContext ContextFor(const PeerSession& s,
                          const protocol::Endpoint& declared_lan,
                          const std::string& client_version) const;
  void FinishLogin(PeerSession& s, uint32_t request_id,
                   const AuthOutcome& outcome, const LoginContext& context);
  // Contacts, presence and messages (shard_chat.cc): the store work
  // around the core's decisions.
  void LoadLoginState(PeerSession& s, const core::SessionAddress& address);
  void OnContactRequest(PeerSession& s, const protocol::Message& request);
  // Extended delivery's settings requests (shard_forward.cc).
  void OnForwardRequest(PeerSession& s, const protocol::Message& request);
  // ITEM_ACK of a message: forward jobs for it not yet handed over end.
  void ForwardedMessageRead(PeerSession& s, const protocol::ItemAck& r);
  void OnSendMessage(PeerSession& s, const protocol::SendMessage& r);
  // The session leaves the core (presence offline, live deliveries stored).
  void EndLogin(PeerSession& s);

  // core::Effects, called by core_ on this thread.
  void Send(uint64_t session, const protocol::Message& message) override;
  void Post(core::Envelope envelope) override;
  void Store(core::StoreRequest request) override;
  void EndSession(uint64_t session, protocol::ErrorCode reason) override;
  void LoadLogin(const core::SessionAddress& address) override;
  // Hands each other loop the envelopes this turn made for it.
  void FlushOutgoing();
  void RunPostedEnvelopes();

  static int InterceptThunk(ENetHost* host, ENetEvent* event);
  int OnRawDatagram(ENetHost* host);
  // `peer` sent a fragment of a `total_length`-byte packet, over what its
  // host accepts: ENet would refuse it silently and the session would die
  // by timeout, so it is logged and ended with MALFORMED (SPEC.md 4.6).
  void OnOversizedPacket(ENetPeer& peer, uint32_t total_length);
  // SPEC.md 3.2: ENet would drop a peer-1 datagram from `from` anyway.
  static bool ClassicStunAllowed(const ENetHost* host, const ENetAddress& from);

  unsigned index_;
  SharedState* shared_;
  std::vector<HostSlot> hosts_;
  std::unique_ptr<TcpListener> tcp_;  // null when TCP is not served
  std::vector<pollfd> poll_fds_;
  StunSocket* stun_socket_ = nullptr;  // the alternate STUN port, or null
  std::thread thread_;
  int wake_fd_ = -1;

  Mutex posted_mutex_;
  std::vector<std::function<void()>> posted_ GUARDED_BY(posted_mutex_);
  std::vector<core::Envelope> inbox_ GUARDED_BY(posted_mutex_);

  // Loop-thread state.
  OwnerThread owner_;
  core::LoopCore core_;
  // Envelopes made this turn, by target loop; flushed once per turn.
  std::vector<std::vector<core::Envelope>> outgoing_;

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

template <typename Outcome>
void Shard::Offload(WorkerPool* pool, std::function<Outcome()> work,
                    std::function<void(PeerSession&, Outcome)> done,
                    uint64_t session_id, std::function<void()> busy) {
  bool queued = pool->TrySubmit(
      [this, work = std::move(work), done = std::move(done), session_id] {
        Outcome outcome = work();
        Post([this, done, session_id, outcome = std::move(outcome)] {
          // The client may have gone while the worker ran.
          if (PeerSession* s = Find(session_id)) done(*s, outcome);
        });
      });
  if (!queued) {
    shared_->counters->server_busy++;
    busy();
  }
}

}  // namespace hail::server

#endif  // HAIL_SERVER_SHARD_H_
