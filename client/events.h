// What Client::Poll reports. Each event is a plain struct; Event is their
// variant. Wire error codes (protocol::ErrorCode) are passed through as the
// server sent them: codes outside the known list are possible and mean a
// generic failure.
#ifndef HAIL_CLIENT_EVENTS_H_
#define HAIL_CLIENT_EVENTS_H_

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "client/transport.h"
#include "nat/mapping_discovery.h"
#include "protocol/chat_messages.h"
#include "protocol/contact_messages.h"
#include "protocol/endpoint.h"
#include "protocol/error_code.h"
#include "protocol/forward_messages.h"
#include "protocol/kind.h"

namespace hail::client {

// The session is secured and the server's identity checked.
struct Connected {
  std::string fingerprint;    // "ed25519:<hex>"
  bool newly_pinned = false;  // written to known_servers just now
  // Non-empty when HAIL_KEYLOGFILE was set but could not be written.
  std::string key_log_error;
  TransportKind transport = TransportKind::kUdp;  // the link in use
};

// The connection could not be set up; nothing more will happen.
struct ConnectFailed {
  std::string reason;  // for people
  // Set when the server said why (REJECT, HANDSHAKE_REJECT).
  std::optional<protocol::ErrorCode> error;
};

// The server's identity is not the pinned (or --trust'ed) one. The
// connection has been dropped and nothing was written.
struct IdentityMismatch {
  std::string server;                // "host:port"
  std::string expected_fingerprint;  // pinned, or given with --trust
  std::string offered_fingerprint;   // what the server proved it holds
  bool expected_from_trust_option = false;
  std::filesystem::path known_servers_file;
};

struct Registered {
  uint32_t request_id = 0;
  protocol::ErrorCode error = protocol::ErrorCode::kOk;
  uint64_t user_id = 0;
  std::string username;  // canonical
  uint32_t retry_after_ms = 0;
};

// The answer to Login or Resume.
struct LoginResult {
  uint32_t request_id = 0;
  protocol::ErrorCode error = protocol::ErrorCode::kOk;
  uint64_t user_id = 0;
  std::string username;                  // canonical
  protocol::Endpoint observed_endpoint;  // our address as the server saw it
  bool resumed = false;                  // answered a Resume
  uint32_t retry_after_ms = 0;
  // Non-empty when the new token could not be saved (the login stands).
  std::string token_storage_error;
  // After a login (not a resume after a drop): the messages an earlier run
  // left unanswered in $HAIL_HOME, sent again with their ids; each gets a
  // MessageAccepted with `restored` set.
  size_t resent_messages = 0;
  // Non-empty when the outbox file could not be read or was corrupt (set
  // aside, see client/outbox_file.h); the login stands.
  std::string outbox_problem;
};

struct LoggedOut {
  uint32_t request_id = 0;
  protocol::ErrorCode error = protocol::ErrorCode::kOk;
};

struct PasswordChanged {
  uint32_t request_id = 0;
  protocol::ErrorCode error = protocol::ErrorCode::kOk;
  uint32_t retry_after_ms = 0;
  std::string token_storage_error;  // as in LoginResult
};

struct AccountDeleted {
  uint32_t request_id = 0;
  protocol::ErrorCode error = protocol::ErrorCode::kOk;
  uint32_t retry_after_ms = 0;
};

// What the server recorded for this session (SESSION_INFO).
struct SessionInfo {
  uint32_t request_id = 0;
  uint64_t user_id = 0;
  std::string username;
  protocol::Endpoint observed_endpoint;
  protocol::Endpoint lan_endpoint;
  std::string client_version;
  uint64_t login_unix = 0;
};

struct Pong {
  uint64_t nonce = 0;
  uint64_t rtt_ms = 0;
};

// The server answered a request with ERROR.
struct ErrorReply {
  uint32_t request_id = 0;  // 0 when the server could not read it
  uint16_t offending_kind = 0;
  protocol::ErrorCode code = protocol::ErrorCode::kMalformed;
};

// The server ended the session (SESSION_ENDED); a disconnect follows.
struct SessionEnded {
  protocol::ErrorCode reason = protocol::ErrorCode::kOk;
};

// The ENet connection is gone and nothing more will happen. `reason` is the
// server's disconnect code; kOk when none was given, which is also what ENet
// reports for a timeout. With ClientOptions::auto_reconnect, a drop while
// logged in is reported as Reconnecting instead.
struct Disconnected {
  protocol::ErrorCode reason = protocol::ErrorCode::kOk;
  bool closed_by_us = false;  // the answer to Client::Close
};

// --- Contacts, presence and messages (SPEC.md "Contacts", "Messages") ---

// The answer (REQUEST_RESULT) to a contact or presence request.
struct RequestDone {
  uint32_t request_id = 0;
  protocol::Kind kind = protocol::Kind::kContactAdd;  // what was asked
  protocol::ErrorCode error = protocol::ErrorCode::kOk;
};

// How the receiver stands with one user, and that user's presence as the
// receiver may see it. Sent for every entry at login and for a contact
// list request, and whenever a relation changes.
struct ContactUpdated {
  uint64_t user_id = 0;
  std::string username;
  protocol::Relation relation = protocol::Relation::kNone;
  protocol::Presence presence = protocol::Presence::kOffline;
  std::string status;
};

// Ends a contact list: the one sent at login (request_id 0) or the answer
// to RequestContactList.
struct ContactListEnd {
  uint32_t request_id = 0;
  uint32_t count = 0;
};

// Someone asks to add the receiver (live or from the mailbox).
struct ContactRequest {
  protocol::ItemId item_id{};
  uint64_t from_user_id = 0;
  std::string from;  // username
  std::string text;
  uint64_t sent_unix = 0;
  // This user answered it already (its contact list no longer shows the
  // request as pending): a record, not a question.
  bool answered = false;
};

// The answer to the receiver's own contact request.
struct ContactAnswered {
  protocol::ItemId item_id{};
  uint64_t user_id = 0;
  std::string user;  // username
  bool accepted = false;
  uint64_t answered_unix = 0;
};

// A contact's presence changed (kOffline also for logout and timeouts).
struct PresenceChanged {
  uint64_t user_id = 0;
  std::string username;
  protocol::Presence presence = protocol::Presence::kOffline;
  std::string status;
};

// How messages to a contact travel (SPEC.md "Direct links").
enum class Path : uint8_t {
  kRelay,     // through the server, over UDP
  kDirect,    // over an authenticated direct link
  kTcpRelay,  // through the server, over the TCP fallback
};
std::string_view PathName(Path path);  // "relay", "direct", "tcp-relay"

// The path to a contact changed, or an attempt at a direct link ended
// without one (then `path` stays what it was and `reason` says why).
struct PathChanged {
  uint64_t user_id = 0;
  std::string username;
  Path path = Path::kRelay;
  std::string reason;     // for people; empty when the link came up
  uint64_t setup_ms = 0;  // kDirect: from P2P_READY to the link being up
};

// A contact asks for a direct link (ClientOptions::p2p is kAsk): answer
// with Client::AnswerDirectLink, or ignore it to let it expire.
struct DirectLinkOffered {
  uint64_t user_id = 0;
  std::string username;
  uint64_t session_id = 0;
};

// The server took responsibility for a message sent with SendMessage, or
// refused it; or, with `path` kDirect, the recipient's client has it.
// `route` and `seq` are meaningful when `error` is kOk and the path is not
// direct.
struct MessageAccepted {
  protocol::ItemId message_id{};
  protocol::ErrorCode error = protocol::ErrorCode::kOk;
  protocol::Route route = protocol::Route::kStored;
  uint64_t seq = 0;
  uint64_t accepted_unix = 0;
  std::string recipient;  // as given to SendMessage
  Path path = Path::kRelay;
  // Sent by an earlier run of the client and resent after this login.
  bool restored = false;
  // A refusal that may succeed later (MAILBOX_FULL, SERVER_BUSY, INTERNAL):
  // the message is kept, in memory and in $HAIL_HOME, and sent again with
  // the same id after `retry_in_ms` while the session lasts (another
  // MessageAccepted follows), or after the next login.
  bool kept_for_retry = false;
  uint64_t retry_in_ms = 0;
};

// A message for the receiver. Reported once per (sender_id, message_id)
// within the process, however often the server delivers it.
struct MessageReceived {
  protocol::ItemId message_id{};
  uint64_t sender_id = 0;
  std::string sender;
  uint64_t seq = 0;
  uint64_t accepted_unix = 0;
  std::string text;
  bool from_mailbox = false;
  Path path = Path::kRelay;  // kDirect: came over a direct link (seq 0)
};

// The recipient's client has one of the receiver's messages.
struct DeliveryReceipt {
  protocol::ItemId item_id{};
  protocol::ItemId message_id{};
  uint64_t recipient_id = 0;
  std::string recipient;
  uint64_t delivered_unix = 0;
};

// Every mailbox item waiting at login has been reported.
struct MailboxEnd {
  uint32_t count = 0;
};

// --- Automatic reconnection (ClientOptions::auto_reconnect) ---

// The connection dropped while logged in (or the last attempt failed); the
// next attempt starts in `delay_ms`.
struct Reconnecting {
  uint32_t attempt = 1;  // 1 for the first attempt after the drop
  uint64_t delay_ms = 0;
  std::string reason;  // for people: why the previous connection ended
};

// Connected and resumed again; unaccepted messages have been resent.
struct Reconnected {
  uint64_t user_id = 0;
  std::string username;
  protocol::Endpoint observed_endpoint;
  uint32_t attempts = 1;
  size_t resent_messages = 0;
  TransportKind transport = TransportKind::kUdp;  // the link in use
};

// Reconnection stopped for good (no stored token, token refused, identity
// changed is reported as IdentityMismatch instead). The client is closed.
struct ReconnectFailed {
  std::string reason;
  std::optional<protocol::ErrorCode> error;  // set when the server said why
};

// Connecting takes longer than it should: a step is being tried again, or
// the client moved on to TCP (SPEC.md 3.5.4, 3.8, 6.8). For people waiting
// (hail prints what it waits for); nothing to answer.
struct ConnectProgress {
  enum class Step : uint8_t {
    kCookie,  // HELLO sent again: waiting for the server's COOKIE
    kEnet,    // a new ENet connection with the same cookie: waiting for it
    kTcp,     // UDP given up (no COOKIE, or not secured in time): TCP
  };
  Step step = Step::kCookie;
  uint32_t attempt = 1;  // of this step, counted from 1
  std::string reason;    // why the previous attempt was given up; may be empty
};
std::string_view ConnectStepName(ConnectProgress::Step step);

// Client::DiscoverNat finished (SPEC.md 3.4.6).
struct NatReport {
  bool udp_works = false;              // the server's STUN port answered
  protocol::Endpoint public_endpoint;  // as the server saw us; may be empty
  nat::MappingBehaviour mapping = nat::MappingBehaviour::kUnknown;
  std::string reason;  // for people

  bool operator==(const NatReport&) const = default;
};

// --- Extended delivery (SPEC.md section 17) ---

// One channel of the user's own forwarding settings, in answer to
// RequestForwardList (one per channel, then a ForwardListEnd).
struct ForwardSetting {
  uint32_t request_id = 0;
  uint8_t channel = 0;  // protocol::ForwardChannel; others possible
  std::string address;  // empty: the channel has none
  bool verified = false;
  protocol::ForwardRuleFields rule;
};
// Ends the answer to RequestForwardList.
struct ForwardListEnd {
  uint32_t request_id = 0;
  uint32_t count = 0;
};
// One of the user's messages left Hail on a forwarding channel of its
// recipient, or its state there changed (FORWARD_NOTICE). It names the
// channel only, never the address.
struct MessageForwarded {
  protocol::ItemId item_id{};
  protocol::ItemId message_id{};
  uint64_t recipient_id = 0;
  std::string recipient;
  uint8_t channel = 0;  // protocol::ForwardChannel; others possible
  uint8_t state = 0;    // protocol::ForwardState; others possible
  std::string reason;   // kFailed: why (server text)
  uint64_t state_unix = 0;
};

using Event = std::variant<
    Connected, ConnectFailed, IdentityMismatch, Registered, LoginResult,
    LoggedOut, PasswordChanged, AccountDeleted, SessionInfo, Pong, ErrorReply,
    SessionEnded, Disconnected, RequestDone, ContactUpdated, ContactListEnd,
    ContactRequest, ContactAnswered, PresenceChanged, MessageAccepted,
    MessageReceived, DeliveryReceipt, MailboxEnd, Reconnecting, Reconnected,
    ReconnectFailed, PathChanged, DirectLinkOffered, NatReport, ConnectProgress,
    ForwardSetting, ForwardListEnd, MessageForwarded>;

// What a mapping means for direct (peer-to-peer) links, for people.
std::string_view NatMeaning(const NatReport& report);

// What ITEM_ACK names for an item the server keeps until it is acknowledged
// (MessageReceived, ContactRequest, ContactAnswered, DeliveryReceipt,
// MessageForwarded).
struct ItemReference {
  protocol::ItemId item_id{};
  uint64_t sender_id = 0;  // the message's sender; 0 for server notices
};
// nullopt for events that need no acknowledgement.
std::optional<ItemReference> AcknowledgementFor(const Event& event);

// A short name for logs: "Connected", "LoginResult", ...
std::string_view EventName(const Event& event);

}  // namespace hail::client

#endif  // HAIL_CLIENT_EVENTS_H_
