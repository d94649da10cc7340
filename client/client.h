// A Hail client connection: pre-session cookie, ENet connect (or the TCP
// fallback of SPEC.md 3.8), secure
// handshake with identity pinning, then account, contact, presence and
// message requests. Event-shaped and non-blocking: requests return at once
// with their request id, and Poll drives the network and reports what
// happened, one Event at a time.
//
//   IDLE --Connect--> AWAITING_COOKIE --COOKIE--> CONNECTING --ENet-->
//   HANDSHAKING --SERVER_HELLO ok--> SECURED --Close--> CLOSING --> CLOSED
//   With ClientOptions::transport kAuto, AWAITING_COOKIE --no COOKIE within
//   kTcpFallbackAfterMs--> CONNECTING over TCP, and CONNECTING or
//   HANDSHAKING over UDP --not SECURED within kTcpFallbackAfterCookieMs of
//   the COOKIE--> CONNECTING over TCP (the ENet connection is dropped);
//   with kTcp, IDLE --Connect--> CONNECTING over TCP at once (no cookie on
//   TCP). TCP then has kConnectTimeoutMs to reach SECURED. A REJECT is
//   final: no TCP.
//   Over UDP, CONNECTING or HANDSHAKING for kConnectStepMs --> CONNECTING
//   with a new ENet connection and the same cookie (ConnectProgress), until
//   kConnectTimeoutMs after the COOKIE (kUdp) or the TCP fallback (kAuto).
//   HELLO resends and the TCP fallbacks are reported as ConnectProgress too.
//   any state before SECURED --failure--> CLOSED (ConnectFailed or
//   IdentityMismatch); SECURED --disconnect, or kServerSilenceLimitMs
//   without a datagram from the server--> CLOSED (Disconnected)
//
// With ClientOptions::auto_reconnect, a drop while logged in (or a
// SESSION_ENDED with a passing reason, without waiting for the disconnect)
// goes instead
//   SECURED --disconnect--> RECONNECT_WAIT --backoff--> AWAITING_COOKIE ...
//   --> SECURED --RESUME ok--> (Reconnected; unaccepted messages resent)
// and a failed attempt returns to RECONNECT_WAIT with a longer delay
// (Reconnecting each time), until it succeeds, Close is called, or the
// resumption is refused (ReconnectFailed) or the identity changed
// (IdentityMismatch), both ending in CLOSED. A session the server ended on
// purpose (SESSION_REPLACED, LOGGED_OUT, ACCOUNT_DELETED, ...) in a
// SESSION_ENDED is not resumed; unauthenticated disconnect data alone
// never stops resumption (SPEC.md 6.8.1). Messages are kept and resent (see
// SendMessage); other requests in flight when the connection drops get no
// answer.
//
// Received messages, contact notices and receipts stay on the server until
// acknowledged (ITEM_ACK): automatically once their event is queued
// (ClientOptions::auto_ack), or by the application with AcknowledgeItem.
// Each is reported once per process (see client/delivery_dedup.h).
//
// Threading: not thread-safe. Construct, call and destroy a Client on one
// thread (asserted in debug builds); it owns one ENet host, which ENet
// requires to be single-threaded.
#ifndef HAIL_CLIENT_CLIENT_H_
#define HAIL_CLIENT_CLIENT_H_

#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "client/delivery_dedup.h"
#include "client/direct_peer.h"
#include "client/events.h"
#include "client/known_servers.h"
#include "client/outbox.h"
#include "client/outbox_file.h"
#include "client/reconnect_backoff.h"
#include "client/server_address.h"
#include "client/token_store.h"
#include "client/transport.h"
#include "protocol/messages.h"
#include "protocol/status.h"

namespace hail::protocol {
class ClientSession;
}  // namespace hail::protocol

namespace hail::client {

class EnetTransport;
class PresessionExchange;

// Whether this client takes part in direct links (SPEC.md "Direct links").
enum class P2pPolicy : uint8_t {
  kAuto,       // ask accepted contacts for links and accept their offers
  kAsk,        // offers become DirectLinkOffered events; no automatic asks
  kRelayOnly,  // never reveal this client's address: decline everything
};

struct ClientOptions {
  std::string server_host = "127.0.0.1";  // DNS name or dotted IPv4
  // The local IPv4 address to send from (UDP and TCP); empty: any. For
  // hosts with several addresses, and tests that play several sources.
  std::string local_host;
  uint16_t server_port = kDefaultServerPort;
  // The server's TCP fallback port; unset: server_port.
  std::optional<uint16_t> tcp_port;
  TransportChoice transport = TransportChoice::kAuto;
  // The state directory ($HAIL_HOME or ~/.hail; the caller resolves it).
  // Created with mode 0700 by Connect when missing.
  std::filesystem::path home;
  // From --trust: the only identity accepted; pinned once it is proven.
  std::optional<protocol::PublicKey> trusted_identity;
  std::string client_version = "hail-cli/0.1";
  // From HAIL_KEYLOGFILE: when set, the session keys are appended there
  // (mode 0600) once secured, for decrypting captures. Empty: no key log.
  std::string key_log_path;
  // Acknowledge every received message, contact notice and receipt as soon
  // as its event is queued. When false, the application calls
  // AcknowledgeItem once it has kept the item (shown it, saved it); until
  // then the server holds it, and a live message is stored for later.
  bool auto_ack = true;
  // Reconnect (with the stored token) when the connection drops while
  // logged in; see the state diagram above.
  bool auto_reconnect = false;
  // Relay only unless the application opts in: a direct link shows this
  // user's address to the contact (hail chat and listen choose kAuto).
  P2pPolicy p2p = P2pPolicy::kRelayOnly;
  // Test and debugging hook: sees every message this client decrypts (the
  // kind and body, from the server or a direct link) and every PROBE it
  // receives, before anything acts on it.
  std::function<void(protocol::ByteSpan)> received_hook;
};

class Client {
 public:
  enum class State : uint8_t {
    kIdle,
    kAwaitingCookie,
    kConnecting,
    kHandshaking,
    kSecured,
    kReconnectWait,  // auto_reconnect: waiting out the backoff delay
    kClosing,
    kClosed,
  };

  // Local time limits (the server has its own; SPEC.md 6.8.1).
  static constexpr uint64_t kConnectTimeoutMs = 10'000;  // cookie to secured
  static constexpr uint64_t kCloseTimeoutMs = 3'000;     // graceful close
  // Within kConnectTimeoutMs, an ENet connection that is not up within
  // kConnectStepMs of its CONNECT, or not secured within kConnectStepMs of
  // coming up, is dropped and a new one started with the same cookie:
  // fresh CONNECT and CLIENT_HELLO instead of ENet's doubling resends.
  static constexpr uint64_t kConnectStepMs = 2'000;
  // Liveness of a secured UDP session: after kProbeAfterMs without a
  // datagram from the server, one more ENet PING every kProbeIntervalMs;
  // after kServerSilenceLimitMs the connection counts as lost (and is
  // reconnected with auto_reconnect).
  static constexpr uint64_t kProbeAfterMs = 6'000;
  static constexpr uint64_t kProbeIntervalMs = 1'000;
  static constexpr uint64_t kServerSilenceLimitMs = 9'000;
  // kAuto: how long HELLO may go unanswered before trying TCP.
  static constexpr uint64_t kTcpFallbackAfterMs = 2'000;
  // kAuto: how long after the COOKIE the UDP path may take to reach
  // SECURED before trying TCP: two connection steps, so an ENet connection
  // that never comes up (the server's peer slots are full, or a middlebox
  // passes only small datagrams) is tried twice, then TCP.
  static constexpr uint64_t kTcpFallbackAfterCookieMs = 2 * kConnectStepMs;
  static_assert(kTcpFallbackAfterCookieMs < kConnectTimeoutMs);

  // Things received and dropped, never silently.
  struct Counters {
    uint64_t presession_ignored = 0;   // stray or late COOKIE/REJECT
    uint64_t frames_dropped = 0;       // bad frame, bad tag, replayed
    uint64_t unexpected_messages = 0;  // kinds a server must not send
    uint64_t unmatched_replies = 0;    // no request with that id and kind
    // Messages sent again in the session after a refusal for now
    // (MAILBOX_FULL, SERVER_BUSY, INTERNAL; SPEC.md 10.3).
    uint64_t messages_retried = 0;
    uint64_t key_log_failures = 0;  // HAIL_KEYLOGFILE not writable
    // Items the server delivered again after they were reported.
    uint64_t duplicate_deliveries = 0;
    uint64_t reconnect_attempts = 0;
    // Connections given up because the server fell silent (liveness), and
    // ENet connections started again within one connection attempt.
    uint64_t server_silence_drops = 0;
    uint64_t enet_connect_retries = 0;
    // STUN datagrams no NAT discovery was waiting for.
    uint64_t stun_dropped = 0;
    // From the transport: "HAIL" datagrams from other sources, and
    // enet_host_service returning -1 (an oversized datagram).
    uint64_t foreign_presession = 0;
    uint64_t enet_service_errors = 0;
    // Direct links.
    uint64_t direct_links_up = 0;
    uint64_t direct_links_failed = 0;
    uint64_t direct_messages_sent = 0;
    uint64_t direct_messages_received = 0;
    uint64_t direct_fallbacks = 0;  // direct sends moved to the server
    uint64_t probes_invalid = 0;
    uint64_t link_frames_dropped = 0;
    // The outbox file ($HAIL_HOME) could not be written: those messages
    // are kept in memory only.
    uint64_t outbox_write_failures = 0;
  };

  explicit Client(ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Starts connecting: checks the options, creates the home directory,
  // reads the pinned identity, opens the socket and sends the first HELLO.
  // The outcome arrives from Poll: Connected, ConnectFailed or
  // IdentityMismatch. Errors (nothing was started): InvalidArgument (called
  // twice, bad options, unresolvable host), Corruption (known_servers entry
  // for this server unreadable), IoError.
  Status Connect();

  // Account requests. Each sends at once and returns the request id its
  // answer will carry (never 0). Errors: InvalidArgument when not SECURED,
  // or when a username or password breaks the rules of SPEC.md "Accounts"
  // (checked before sending); IoError when ENet refuses to send.
  Result<uint32_t> Register(std::string_view username,
                            std::string_view password);
  Result<uint32_t> Login(std::string_view username, std::string_view password);
  // Uses the stored token for this server and user. Errors as above, plus
  // NotFound when no unexpired token is stored. The token is forgotten when
  // the server answers TOKEN_INVALID, replaced when it answers OK.
  Result<uint32_t> Resume(std::string_view username);
  Result<uint32_t> Logout();
  Result<uint32_t> ChangePassword(std::string_view old_password,
                                  std::string_view new_password);
  Result<uint32_t> DeleteAccount(std::string_view password);
  Result<uint32_t> RequestSessionInfo();
  // Sends PING; returns its nonce, which the Pong event echoes.
  Result<uint64_t> Ping();

  // Contact and presence requests (SPEC.md "Contacts", "Presence"). Each is
  // answered by a RequestDone with its request id (RequestContactList by
  // ContactUpdated events and a ContactListEnd instead, unless it fails).
  // Errors as for the account requests: InvalidArgument when not SECURED or
  // a name or text breaks the rules (checked before sending), IoError.
  // `text` is at most 256 bytes of UTF-8 and may be empty.
  Result<uint32_t> AddContact(std::string_view username, std::string_view text);
  Result<uint32_t> AnswerContact(std::string_view username, bool accept);
  Result<uint32_t> RemoveContact(std::string_view username);
  Result<uint32_t> BlockContact(std::string_view username, bool blocked);
  Result<uint32_t> RequestContactList();
  // `presence` is any but kOffline; `status_text` at most 128 bytes.
  Result<uint32_t> SetPresence(protocol::Presence presence,
                               std::string_view status_text);

  // Extended delivery (SPEC.md section 17, client/client_forward.cc): the
  // user's own forwarding addresses and rules. Each is answered by a
  // RequestDone with its request id (RequestForwardList by ForwardSetting
  // events and a ForwardListEnd instead, unless it fails). Errors as for the
  // contact requests: InvalidArgument when not logged in or an argument
  // breaks SPEC.md 17.2 or 17.4 (checked before sending), IoError.
  Result<uint32_t> AddForwardAddress(protocol::ForwardChannel channel,
                                     std::string_view address);
  Result<uint32_t> VerifyForwardAddress(protocol::ForwardChannel channel,
                                        std::string_view code);
  Result<uint32_t> RemoveForwardAddress(protocol::ForwardChannel channel);
  Result<uint32_t> SetForwardRules(protocol::ForwardChannel channel,
                                   const protocol::ForwardRuleFields& rule);
  Result<uint32_t> RequestForwardList();

  // Sends `text` (1..4096 bytes of UTF-8) to `recipient` and returns its new
  // random message id; a MessageAccepted with that id follows. The message
  // is kept until then, in memory and in $HAIL_HOME (client/outbox_file.h,
  // written before it is sent), and sent again with the same id after a
  // reconnect or, by a later process, after its login. A refusal for now
  // (MAILBOX_FULL, SERVER_BUSY, INTERNAL) keeps it too: it is sent again in
  // the session after 1 s, doubling up to 60 s, and each refusal is a
  // MessageAccepted with kept_for_retry. While reconnecting
  // it is only queued. Errors: InvalidArgument when not
  // logged in (and not reconnecting) or for a bad name or text; IoError.
  Result<protocol::ItemId> SendMessage(std::string_view recipient,
                                       std::string_view text);
  // Tells the server it may forget a received item: pass the event's
  // AcknowledgementFor (message id and sender id for a message, item id and
  // 0 for notices and receipts). Needed only without auto_ack. While
  // reconnecting, the acknowledgement is sent when the server delivers the
  // item again. Errors: InvalidArgument when neither secured nor
  // reconnecting, IoError.
  Status AcknowledgeItem(const protocol::ItemId& item_id, uint64_t sender_id);
  // Direct links. RequestDirectLink asks the server for a rendezvous with
  // an accepted, online contact now (kAuto also does so by itself); the
  // outcome arrives as PathChanged. AnswerDirectLink answers a
  // DirectLinkOffered. Errors: InvalidArgument when not logged in, for an
  // unknown contact or session, or under kRelayOnly; IoError.
  Status RequestDirectLink(std::string_view username);
  Status AnswerDirectLink(uint64_t session_id, bool accept);
  // How messages to `username` travel now.
  Path PathTo(std::string_view username) const;
  // What this client knows of its NAT's mapping (kUnknown until a NAT
  // discovery ran); sent with every rendezvous.
  void set_nat_mapping(protocol::MappingBehaviour mapping) {
    nat_mapping_ = mapping;
  }

  // Messages sent and not yet finally answered by MESSAGE_ACCEPTED (those
  // refused for now and waiting to be sent again included).
  size_t unaccepted_messages() const { return outbox_.size(); }
  // Of those, the ones an earlier run left and this login resent.
  size_t restored_unanswered() const { return restored_ids_.size(); }

  // Starts NAT behaviour discovery (SPEC.md 3.4.6) from the session's own
  // socket, towards the server's STUN ports; works in any state with an
  // open transport (before or after login). A NatReport event follows (also
  // when the connection closes first), and nat_report() keeps the last one.
  // Errors: InvalidArgument when no transport is open or a discovery is
  // already running; IoError when the first request cannot be sent.
  Status DiscoverNat();
  const std::optional<NatReport>& nat_report() const { return nat_report_; }

  // Closes the connection and stops reconnecting. Gracefully (a
  // Disconnected with closed_by_us follows from Poll) once ENet is
  // connected; at once, also reporting Disconnected, before that. No effect
  // when idle or already closed. Unaccepted messages are not sent.
  void Close();

  // Services the network for up to `timeout_ms` (0: only what is ready)
  // and returns the next event, or nullopt when none arrived in time.
  // Returns at once when there is nothing to wait for (idle or closed).
  // With a timeout of 0 it handles every datagram already received until
  // one yields an event.
  std::optional<Event> Poll(int timeout_ms);

  State state() const { return state_; }
  // "host:port": the key of this server in the state files.
  const std::string& server() const { return server_; }
  // The link of the current connection attempt or session; nullopt when
  // there is none (idle, closed, waiting to reconnect).
  std::optional<TransportKind> transport_kind() const;
  // The canonical username logged in on this connection, empty when none
  // (also while reconnecting).
  const std::string& logged_in_username() const { return logged_in_username_; }
  bool HasStoredToken(std::string_view username) const;
  // The users with an unexpired token stored for this server, sorted.
  Result<std::vector<std::string>> UsersWithStoredTokens() const;
  const std::filesystem::path& known_servers_file() const {
    return known_servers_.file();
  }
  const Counters& counters() const { return counters_; }

 private:
  struct PendingRequest {
    protocol::Kind kind;
    std::string username;  // canonical; for LOGIN and RESUME
  };

  // The reconnection in progress (auto_reconnect), between a drop and
  // Reconnected, ReconnectFailed or Close.
  struct Reconnection {
    bool active = false;
    std::string username;  // canonical: resumed once secured again
    uint32_t resume_request_id = 0;
    ReconnectBackoff backoff;
  };

  Status RequireSecured() const;
  Result<uint32_t> SendRequest(protocol::Message message, uint32_t request_id,
                               PendingRequest pending);
  uint32_t NextRequestId();
  std::optional<PendingRequest> TakePending(
      uint32_t request_id, std::initializer_list<protocol::Kind> kinds);

  // Opens a transport and sends the first HELLO (Connect and reconnects).
  Status StartConnecting();
  // Opens a TCP transport instead: CONNECTING (kTcp, or the kAuto fallback).
  Status StartTcp();
  // kAuto: gives up UDP (why: `reason`) and connects over TCP, reporting
  // ConnectProgress{kTcp}; or ConnectFailed when TCP cannot start.
  void FallBackToTcp(std::string reason);
  // Drops the connection (if any) and waits to try again: RECONNECT_WAIT.
  void ScheduleReconnect(std::string reason);
  // Secured again while reconnecting: sends RESUME.
  void ResumeAfterReconnect();
  void OnReconnectResumed(const LoginResult& result);
  // Ends reconnection for good: ReconnectFailed, CLOSED.
  void FailReconnect(std::string reason,
                     std::optional<protocol::ErrorCode> error);
  // Whether a drop now should start reconnecting.
  bool ShouldReconnect() const;

  // Reports a received item once (see DeliveryDedup) and acknowledges it
  // as auto_ack and the dedup state say.
  void OnItem(uint64_t sender_id, const protocol::ItemId& item_id, Event event);
  Status SendItemAck(const protocol::ItemId& item_id, uint64_t sender_id);
  Status SendOutboxMessage(const protocol::SendMessage& message);
  // Sends again the messages refused for now whose retry time has come.
  void RetryRefusedMessages(uint64_t now_ms);
  // After a login: loads the messages an earlier run left in the outbox
  // file and sends those not held yet. Fills the result's outbox fields.
  void ResendStoredMessages(LoginResult* result);
  // The outbox file no longer needs this message (answered or final).
  void ForgetStoredMessage(const protocol::ItemId& message_id);

  void OnTimers(uint64_t now_ms);
  // NAT discovery: timers, received STUN, sending, finishing.
  void OnDiscoveryTimer(uint64_t now_ms);
  // After login with P2pPolicy::kAuto: learn the NAT mapping once.
  void StartAutomaticDiscovery();
  void OnRawDatagram(const protocol::Endpoint& from,
                     const protocol::Bytes& datagram, uint64_t now_ms);
  void SendDiscoveryDatagrams(
      const std::vector<nat::MappingDiscovery::Datagram>& datagrams);
  void FinishDiscovery(NatReport report);
  std::optional<uint64_t> StateDeadlineMs() const;
  std::optional<uint64_t> NextDeadlineMs() const;
  void OnPresessionDatagram(const protocol::Bytes& datagram, uint64_t now_ms);
  void OnTransportConnected();
  void OnPacket(uint8_t channel, const protocol::Bytes& packet);
  void OnSecured();
  void OnHandshakeFailed();
  // `reason`, when set, replaces the generic "connection lost" text.
  void OnDisconnected(uint32_t data, std::string reason = {});
  // SECURED over UDP: probes a silent server, and gives the connection up
  // when it stays silent (SPEC.md 6.8.1). Returns true when it did.
  bool CheckServerLiveness(uint64_t now_ms);
  // CONNECTING or HANDSHAKING over UDP, step timer expired: a new ENet
  // connection with the same cookie.
  void RetryEnetConnect(uint64_t now_ms);
  // Reports a failure to connect and drops everything.
  void FailConnect(ConnectFailed failure);
  void Teardown(State final_state);
  // Drops the transport, keeping its counters in retired_transport_counters_.
  void RetireTransport();
  // Copies the transport's counters, plus those of the transports of
  // earlier connections (reconnects), into counters_.
  void CopyTransportCounters();
  // Appends `line` to options_.key_log_path (created with mode 0600) when
  // set; returns the error text, empty when written or not configured.
  std::string AppendKeyLog(const std::string& line);

  void Handle(const protocol::ErrorMessage& message);
  void Handle(const protocol::Pong& message);
  void Handle(const protocol::SessionEnded& message);
  void Handle(const protocol::RegisterResult& message);
  void Handle(const protocol::LoginResult& message);
  void Handle(const protocol::LogoutResult& message);
  void Handle(const protocol::ChangePasswordResult& message);
  void Handle(const protocol::DeleteAccountResult& message);
  void Handle(const protocol::SessionInfo& message);
  void Handle(const protocol::RequestResult& message);
  void Handle(const protocol::ContactUpdate& message);
  void Handle(const protocol::ContactListEnd& message);
  void Handle(const protocol::ContactRequestNotice& message);
  void Handle(const protocol::ContactAnswerNotice& message);
  void Handle(const protocol::PresenceUpdate& message);
  void Handle(const protocol::MessageAccepted& message);
  void Handle(const protocol::MessageDeliver& message);
  void Handle(const protocol::DeliveryReceipt& message);
  void Handle(const protocol::MailboxEnd& message);
  void Handle(const protocol::P2pOffer& message);
  void Handle(const protocol::P2pReady& message);
  void Handle(const protocol::P2pClosed& message);
  void Handle(const protocol::ForwardEntry& message);
  void Handle(const protocol::ForwardListEnd& message);
  void Handle(const protocol::ForwardNotice& message);

  // Direct links (client_p2p.cc).
  struct DirectSend {
    uint64_t peer_id = 0;
    uint64_t deadline_ms = 0;
  };
  static constexpr uint64_t kDirectAckTimeoutMs = 2000;
  static constexpr uint64_t kLinkHelloTimeoutMs = 2000;
  static constexpr uint64_t kRendezvousTimeoutMs = 20'000;
  static constexpr uint64_t kRetryFirstMs = 2000;
  static constexpr uint64_t kRetryMaxMs = 120'000;
  void NoteContact(uint64_t user_id, const std::string& username, bool online);
  void MaybeRequestDirect(uint64_t peer_id, uint64_t now_ms);
  bool OnP2pRequestResult(const protocol::RequestResult& message);
  void StartPunching(uint64_t peer_id, uint64_t now_ms);
  void SendPunchOutput(uint64_t peer_id, nat::HolePunch::Output output);
  // A PROBE (or other "HAIL" datagram) from another client.
  void OnProbeDatagram(const protocol::Endpoint& from,
                       const protocol::Bytes& datagram, uint64_t now_ms);
  bool AdmitLinkConnect(const protocol::Endpoint& from, uint32_t data) const;
  void OnLinkConnected(uint32_t link, const protocol::Endpoint& from,
                       uint32_t data, uint64_t now_ms);
  void OnLinkPacket(uint32_t link, uint8_t channel,
                    const protocol::Bytes& packet, uint64_t now_ms);
  void OnLinkDisconnected(uint32_t link, uint64_t now_ms);
  void OnDirectMessage(uint64_t peer_id, const protocol::DirectMessage& m);
  void OnDirectAck(const protocol::DirectAck& m);
  // Ends whatever is in progress with the peer; `reason` non-empty reports
  // a PathChanged back to the server path and schedules a retry.
  void EndDirect(uint64_t peer_id, std::string reason, uint64_t now_ms,
                 bool retry);
  // Sends every direct message awaiting DIRECT_ACK from `peer_id` (or all,
  // with 0) through the server instead.
  void FallBackToServer(uint64_t peer_id);
  void OnDirectTimers(uint64_t now_ms);
  std::optional<uint64_t> NextDirectDeadlineMs() const;
  void ResetDirectLinks();
  DirectPeer* PeerByLink(uint32_t link, uint64_t* peer_id);
  Path ServerPath() const;
  void Observe(protocol::ByteSpan bytes) const {
    if (options_.received_hook) options_.received_hook(bytes);
  }
  // Every other kind: the server must not send it.
  template <class Message>
  void Handle(const Message& message);

  ClientOptions options_;
  std::string server_;
  KnownServers known_servers_;
  TokenStore token_store_;
  [[maybe_unused]] std::thread::id owner_thread_;

  State state_ = State::kIdle;
  std::optional<protocol::PublicKey> pinned_identity_;
  std::optional<protocol::PublicKey> expected_identity_;
  std::unique_ptr<Transport> transport_;
  // transport_ when it is the UDP one (pre-session datagrams), else null.
  EnetTransport* enet_ = nullptr;
  // Why this attempt fell back from UDP to TCP, for ConnectFailed's
  // reason; empty when it did not.
  std::string tcp_fallback_reason_;
  uint64_t awaiting_cookie_since_ms_ = 0;
  // kAuto, CONNECTING/HANDSHAKING over UDP: when TCP is tried instead
  // (kTcpFallbackAfterCookieMs after the COOKIE).
  uint64_t udp_fallback_ms_ = 0;
  // The transport counters of earlier connections (before reconnects).
  struct {
    uint64_t foreign_presession = 0;
    uint64_t service_errors = 0;
  } retired_transport_counters_;
  std::unique_ptr<nat::MappingDiscovery> discovery_;  // while running
  std::optional<NatReport> nat_report_;
  std::unique_ptr<PresessionExchange> exchange_;
  std::unique_ptr<protocol::ClientSession> session_;
  // For CONNECTING/HANDSHAKING, RECONNECT_WAIT and CLOSING.
  uint64_t deadline_ms_ = 0;
  // CONNECTING/HANDSHAKING over UDP: when this ENet connection's step ends
  // (kConnectStepMs), and how many were started for this cookie.
  uint64_t step_deadline_ms_ = 0;
  uint32_t enet_attempts_ = 0;
  // SECURED over UDP: when the next liveness probe may go.
  uint64_t next_probe_ms_ = 0;

  uint32_t last_request_id_ = 0;
  std::map<uint32_t, PendingRequest> pending_;
  std::map<uint64_t, uint64_t> ping_sent_ms_;  // nonce -> steady time
  std::string logged_in_username_;
  // The user to resume after a drop: set by a successful login, cleared by
  // logout, account deletion, Close and a final SESSION_ENDED.
  std::string resume_username_;
  Reconnection reconnect_;
  Outbox outbox_;
  // The durable copy of outbox_ for the logged-in account; set by a login.
  std::optional<OutboxFile> outbox_file_;
  // Messages of an earlier run resent after this login, until answered.
  std::set<protocol::ItemId> restored_ids_;
  uint64_t user_id_ = 0;  // of the logged-in user
  protocol::MappingBehaviour nat_mapping_ =
      protocol::MappingBehaviour::kUnknown;
  std::map<uint64_t, DirectPeer> direct_;  // by contact user id
  // This user's side of each relation, from CONTACT_UPDATE (the list at
  // login and every change): tells a request already answered.
  std::map<uint64_t, protocol::Relation> relations_;
  std::map<protocol::ItemId, DirectSend> direct_sent_;
  DeliveryDedup dedup_;
  std::deque<Event> events_;
  Counters counters_;
};

}  // namespace hail::client

#endif  // HAIL_CLIENT_CLIENT_H_
