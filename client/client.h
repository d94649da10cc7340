// A Hail client connection: pre-session cookie, ENet connect, secure
// handshake with identity pinning, then account requests. Event-shaped and
// non-blocking: requests return at once with their request id, and Poll
// drives the network and reports what happened, one Event at a time.
//
//   IDLE --Connect--> AWAITING_COOKIE --COOKIE--> CONNECTING --ENet-->
//   HANDSHAKING --SERVER_HELLO ok--> SECURED --Close--> CLOSING --> CLOSED
//   any state before SECURED --failure--> CLOSED (ConnectFailed or
//   IdentityMismatch); SECURED --disconnect--> CLOSED (Disconnected)
//
// Threading: not thread-safe. Construct, call and destroy a Client on one
// thread (asserted in debug builds); it owns one ENet host, which ENet
// requires to be single-threaded.
#ifndef HAIL_CLIENT_CLIENT_H_
#define HAIL_CLIENT_CLIENT_H_

#include <cstdint>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "client/events.h"
#include "client/known_servers.h"
#include "client/server_address.h"
#include "client/token_store.h"
#include "protocol/messages.h"
#include "protocol/status.h"

namespace hail::protocol {
class ClientSession;
}  // namespace hail::protocol

namespace hail::client {

class EnetTransport;
class PresessionExchange;

struct ClientOptions {
  std::string server_host = "127.0.0.1";  // DNS name or dotted IPv4
  uint16_t server_port = kDefaultServerPort;
  // The state directory ($HAIL_HOME or ~/.hail; the caller resolves it).
  // Created with mode 0700 by Connect when missing.
  std::filesystem::path home;
  // From --trust: the only identity accepted; pinned once it is proven.
  std::optional<protocol::PublicKey> trusted_identity;
  std::string client_version = "hail-cli/0.1";
  // From HAIL_KEYLOGFILE: when set, the session keys are appended there
  // (mode 0600) once secured, for decrypting captures. Empty: no key log.
  std::string key_log_path;
};

class Client {
 public:
  enum class State : uint8_t {
    kIdle,
    kAwaitingCookie,
    kConnecting,
    kHandshaking,
    kSecured,
    kClosing,
    kClosed,
  };

  // Local time limits (the server has its own).
  static constexpr uint64_t kConnectTimeoutMs = 10'000;  // cookie to secured
  static constexpr uint64_t kCloseTimeoutMs = 3'000;     // graceful close

  // Things received and dropped, never silently.
  struct Counters {
    uint64_t presession_ignored = 0;   // stray or late COOKIE/REJECT
    uint64_t frames_dropped = 0;       // bad frame, bad tag, replayed
    uint64_t unexpected_messages = 0;  // kinds a server must not send
    uint64_t unmatched_replies = 0;    // no request with that id and kind
    uint64_t key_log_failures = 0;     // HAIL_KEYLOGFILE not writable
    // From the transport: "HAIL" datagrams from other sources, STUN-shaped
    // datagrams, and enet_host_service returning -1 (an oversized datagram).
    uint64_t foreign_presession = 0;
    uint64_t stun_dropped = 0;
    uint64_t enet_service_errors = 0;
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

  // Closes the connection. Gracefully (a Disconnected with closed_by_us
  // follows from Poll) once ENet is connected; at once, also reporting
  // Disconnected, before that. No effect when idle or already closed.
  void Close();

  // Services the network for up to `timeout_ms` (0: only what is ready)
  // and returns the next event, or nullopt when none arrived in time.
  // Returns at once when there is nothing to wait for (idle or closed).
  std::optional<Event> Poll(int timeout_ms);

  State state() const { return state_; }
  // "host:port": the key of this server in the state files.
  const std::string& server() const { return server_; }
  // The canonical username logged in on this connection, empty when none.
  const std::string& logged_in_username() const { return logged_in_username_; }
  bool HasStoredToken(std::string_view username) const;
  const std::filesystem::path& known_servers_file() const {
    return known_servers_.file();
  }
  const Counters& counters() const { return counters_; }

 private:
  struct PendingRequest {
    protocol::Kind kind;
    std::string username;  // canonical; for LOGIN and RESUME
  };

  Status RequireSecured() const;
  Result<uint32_t> SendRequest(protocol::Message message, uint32_t request_id,
                               PendingRequest pending);
  uint32_t NextRequestId();
  std::optional<PendingRequest> TakePending(uint32_t request_id,
                                            protocol::Kind expected_kind,
                                            protocol::Kind alternative_kind);

  void OnTimers(uint64_t now_ms);
  std::optional<uint64_t> NextDeadlineMs() const;
  void OnPresessionDatagram(const protocol::Bytes& datagram, uint64_t now_ms);
  void OnEnetConnected();
  void OnPacket(uint8_t channel, const protocol::Bytes& packet);
  void OnSecured();
  void OnHandshakeFailed();
  void OnDisconnected(uint32_t data);
  // Reports a failure to connect and drops everything.
  void FailConnect(ConnectFailed failure);
  void Teardown(State final_state);
  // Copies the transport's counters into counters_ (a Client has at most
  // one transport in its life: Connect works once).
  void CopyTransportCounters();
  std::string AppendKeyLog();

  void Handle(const protocol::ErrorMessage& message);
  void Handle(const protocol::Pong& message);
  void Handle(const protocol::SessionEnded& message);
  void Handle(const protocol::RegisterResult& message);
  void Handle(const protocol::LoginResult& message);
  void Handle(const protocol::LogoutResult& message);
  void Handle(const protocol::ChangePasswordResult& message);
  void Handle(const protocol::DeleteAccountResult& message);
  void Handle(const protocol::SessionInfo& message);
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
  std::unique_ptr<EnetTransport> transport_;
  std::unique_ptr<PresessionExchange> exchange_;
  std::unique_ptr<protocol::ClientSession> session_;
  uint64_t deadline_ms_ = 0;  // for CONNECTING/HANDSHAKING and CLOSING

  uint32_t last_request_id_ = 0;
  std::map<uint32_t, PendingRequest> pending_;
  std::map<uint64_t, uint64_t> ping_sent_ms_;  // nonce -> steady time
  std::string logged_in_username_;
  std::deque<Event> events_;
  Counters counters_;
};

}  // namespace hail::client

#endif  // HAIL_CLIENT_CLIENT_H_
