// One network loop thread: an ENet host on the shared UDP port, a TCP
// listener on the shared TCP port (server/tcp_link.h), and the sessions of
// their peers and connections (muduo's "one loop per thread"). Only the loop
// thread touches the host and the sessions; other threads hand work in with
// Post. Blocking work (Argon2id, synced writes) goes to the WorkerPool and
// comes back through Post.
#ifndef HAIL_SERVER_SHARD_H_
#define HAIL_SERVER_SHARD_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>
#include <vector>

#include "protocol/messages.h"
#include "protocol/server_session.h"
#include "server/enet_host.h"
#include "server/link.h"
#include "server/shared_state.h"
#include "server/stun_socket.h"
#include "server/tcp_link.h"

namespace hail::server {

class Shard {
 public:
  Shard(unsigned index, SharedState* shared);
  ~Shard();
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;

  Status Bind(const protocol::Endpoint& listen);
  protocol::Endpoint bound() const { return host_->bound(); }
  // Also serves the TCP fallback on `listen` (SPEC.md 3.8). Call after
  // Bind and before Start.
  Status ListenTcp(const protocol::Endpoint& listen);
  // 0 when TCP is not served.
  uint16_t tcp_port() const { return tcp_ ? tcp_->port() : 0; }
  // Adds the alternate STUN port to this loop's poll set (shard 0 only).
  // REQUIRES: before Start; `socket` outlives the loop.
  void ServeStunSocket(StunSocket* socket) { stun_socket_ = socket; }
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
  // A contact as this session's user sees it, with the other side's view.
  struct ContactView {
    std::string username;
    protocol::Relation mine = protocol::Relation::kNone;
    protocol::Relation theirs = protocol::Relation::kNone;
    bool SeesPresence() const {
      return mine == protocol::Relation::kAccepted &&
             theirs == protocol::Relation::kAccepted;
    }
  };
  // A message handed to this session live, waiting for its ITEM_ACK.
  struct PendingLive {
    MailItem item;
    uint64_t deadline_ms = 0;
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
    // Logged-in state (shard_chat.cc). Until `ready` (contact list and
    // mailbox sent), live deliveries wait in `held`, so that a mailbox is
    // always delivered before anything newer.
    bool ready = false;
    // (deliver, offline): `offline` runs instead if the session ends first.
    std::vector<
        std::pair<std::function<void(PeerSession&)>, std::function<void()>>>
        held;
    std::unordered_map<uint64_t, ContactView> contacts;
    std::map<std::pair<uint64_t, protocol::ItemId>, PendingLive> pending_live;
    // Stored messages sent to this session and not yet acknowledged, by
    // sender: while any is open, that sender's next message is stored too.
    std::map<uint64_t, std::set<protocol::ItemId>> unacked_stored;
    // Whether this session's transport can carry a direct link (UDP).
    bool CanLinkDirectly() const {
      return link && link->kind() == Link::Kind::kEnet;
    }
  };

  void Run();
  void RunPostedTasks();
  void ServiceEnet();
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

  // Contacts, presence and messages (shard_chat.cc).
  void LoadLoginState(PeerSession& s);
  void OnContactRequest(PeerSession& s, const protocol::Message& request);
  void ApplyContactChange(PeerSession& s, uint32_t request_id,
                          const ContactChange& change);
  void OnContactList(PeerSession& s, const protocol::ContactListRequest& r);
  void OnSetPresence(PeerSession& s, const protocol::SetPresence& r);
  void OnSendMessage(PeerSession& s, const protocol::SendMessage& r);
  void OnItemAck(PeerSession& s, const protocol::ItemAck& r);
  void SendContactUpdate(PeerSession& s, uint64_t peer,
                         const ContactView& view);
  // Tells every contact who may see it this user's visible presence.
  void BroadcastPresence(PeerSession& s, protocol::Presence presence,
                         const std::string& status);
  void SendMailItem(PeerSession& s, const MailItem& item, bool from_mailbox);
  void CheckPendingLive(PeerSession& s, uint64_t now_ms);
  // Runs `deliver` on the shard holding `user`'s ready session, or
  // `offline` (on some thread) when there is none.
  void WithUser(uint64_t user, std::function<void(PeerSession&)> deliver,
                std::function<void()> offline);
  // Sends a DELIVERY_RECEIPT to `sender` (stored if they are offline).
  void SendReceipt(uint64_t sender, const protocol::ItemId& message_id,
                   uint64_t recipient, const std::string& recipient_name);
  void AnswerMessage(uint64_t sender, const protocol::MessageAccepted& answer);
  // Something of `sender` is waiting for this session's ITEM_ACK.
  bool HasPendingFrom(const PeerSession& s, uint64_t sender) const;
  // Accepts a message into the recipient's mailbox (quotas apply) and
  // answers the sender; with `send_now`, also sends it to the recipient.
  void AcceptStored(uint64_t recipient, MailItem item, SentRecord record,
                    bool send_now);
  // Routes a message to the recipient's ready session `r` (this shard).
  void RouteToOnline(PeerSession& r, MailItem item, SentRecord record);
  // A live delivery that got no ITEM_ACK goes to the mailbox.
  void StoreAfterLive(uint64_t recipient, const MailItem& item);
  // Presence goes offline and the session leaves the registry.
  void EndLogin(PeerSession& s);

  // Direct-link rendezvous (shard_p2p.cc).
  void OnP2pRequest(PeerSession& s, const protocol::P2pRequest& r);
  void OnP2pAnswer(PeerSession& s, const protocol::P2pAnswer& r);
  // The contact `peer` of `s` if both sides have accepted, else nullptr.
  const ContactView* AcceptedContact(const PeerSession& s, uint64_t peer) const;
  // Sends P2P_CLOSED{reason} to `user`'s session, if online.
  void CloseRendezvous(uint64_t user, uint64_t session_id, uint64_t peer_id,
                       const std::string& peer_name,
                       protocol::ErrorCode reason);

  static int InterceptThunk(ENetHost* host, ENetEvent* event);
  int OnRawDatagram(ENetHost* host);
  // SPEC.md 3.2: ENet would drop a peer-1 datagram from `from` anyway.
  bool ClassicStunAllowed(const ENetAddress& from) const;

  unsigned index_;
  SharedState* shared_;
  std::unique_ptr<EnetHost> host_;
  std::unique_ptr<TcpListener> tcp_;  // null when TCP is not served
  std::vector<pollfd> poll_fds_;
  StunSocket* stun_socket_ = nullptr;  // the alternate STUN port, or null
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
