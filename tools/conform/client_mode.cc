#include "tools/conform/client_mode.h"

#include <arpa/inet.h>
#include <enet/enet.h>
#include <sodium.h>

#include <chrono>
#include <ctime>
#include <iostream>
#include <map>
#include <memory>
#include <optional>

#include "client/server_address.h"
#include "protocol/handshake.h"
#include "protocol/presession.h"
#include "protocol/registry.h"
#include "protocol/secure_channel.h"
#include "protocol/server_session.h"
#include "tools/conform/report.h"

namespace hail::conform {
namespace {

using protocol::Bytes;
using protocol::ByteSpan;
using protocol::ErrorCode;

uint64_t NowMs() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

protocol::Endpoint ToEndpoint(const ENetAddress& a) {
  return protocol::Endpoint::Ipv4(ntohl(a.host), a.port);
}

constexpr uint64_t kUserId = 10000;
constexpr uint64_t kBotId = 10001;
constexpr char kBot[] = "conformbot";
constexpr uint16_t kUnknownKind = 0x7f00;

// The client rules, in the order a client meets them.
struct ClientRule {
  const char* section;
  const char* id;
  const char* text;
};
constexpr ClientRule kRules[] = {
    {"3.5", "hello-is-64-bytes-with-zero-padding",
     "the first HELLO is 64 bytes: magic, type 1, version 1, a nonce, zero "
     "padding"},
    {"3.5.4", "hello-is-resent-after-half-a-second",
     "an unanswered HELLO is resent with the same nonce 0.5 s later"},
    {"3.5.4", "connect-carries-the-cookie",
     "the ENet CONNECT's data is the cookie of the COOKIE datagram"},
    {"6.1", "first-frame-is-a-plain-client-hello",
     "the first packet is a PLAIN CLIENT_HELLO of version 1 on channel 0"},
    {"8.8", "login-sequence-is-read-to-the-end",
     "after LOGIN_RESULT{OK} the client stays for the contact list and the "
     "mailbox"},
    {"10.7", "every-mailbox-item-is-acknowledged",
     "the client sends ITEM_ACK{message_id, sender_id} for a mailbox message"},
    {"2.6", "unknown-kinds-and-trailing-bytes-do-not-stop-the-client",
     "after an unknown kind, a message with trailing bytes is acknowledged "
     "too"},
    {"10.7", "a-duplicate-is-acknowledged-again",
     "a MESSAGE_DELIVER the client already has is acknowledged again"},
    {"6.4", "a-bad-signature-ends-the-handshake",
     "on the 2nd connection, a SERVER_HELLO whose signature does not verify: "
     "the client sends nothing SEALED and disconnects"},
    {"6.6", "a-changed-identity-ends-the-handshake",
     "on the 3rd connection, another server identity with a valid signature: "
     "the client sends nothing SEALED and disconnects"},
};

class ScriptedServer {
 public:
  ScriptedServer(ENetHost* host, int timeout_ms)
      : host_(host), timeout_ms_(timeout_ms) {
    std::array<uint8_t, 32> secret;
    randombytes_buf(secret.data(), secret.size());
    cookies_ = std::make_unique<protocol::CookieMinter>(secret);
    identity_ = protocol::IdentityKey::Generate();
    other_identity_ = protocol::IdentityKey::Generate();
    randombytes_buf(first_.data(), first_.size());
    randombytes_buf(second_.data(), second_.size());
  }

  void Run(uint64_t deadline_ms);
  void Report(conform::Report& report) const;

 private:
  struct Connection {
    int index = 0;  // 1, 2, 3
    std::unique_ptr<protocol::ServerSession> session;
    bool saw_first_frame = false;
    uint64_t secured_ms = 0;
  };

  static int ENET_CALLBACK Intercept(ENetHost* host, ENetEvent* event);
  int OnRawDatagram();
  void OnConnect(ENetPeer* peer, uint32_t data);
  void OnPacket(ENetPeer* peer, uint8_t channel, ByteSpan packet);
  void OnRequest(ENetPeer* peer, Connection& c, const protocol::Message& m);
  void Send(ENetPeer* peer, const protocol::OutgoingFrame& frame);
  void SendLoginSequence(ENetPeer* peer, Connection& c);
  void Set(size_t rule, Outcome outcome) {
    if (!results_.count(rule)) results_[rule] = std::move(outcome);
  }
  bool Done() const { return results_.size() == std::size(kRules); }

  ENetHost* host_;
  int timeout_ms_;
  std::unique_ptr<protocol::CookieMinter> cookies_;
  protocol::IdentityKey identity_;
  protocol::IdentityKey other_identity_;
  std::map<size_t, Outcome> results_;
  // The first HELLO, deliberately left unanswered.
  std::optional<uint64_t> first_nonce_;
  uint64_t first_hello_ms_ = 0;
  int connections_ = 0;
  std::map<ENetPeer*, Connection> peers_;
  protocol::ItemId first_{}, second_{};
  int acks_of_first_ = 0;
  static ScriptedServer* current_;
};

ScriptedServer* ScriptedServer::current_ = nullptr;

int ENET_CALLBACK ScriptedServer::Intercept(ENetHost*, ENetEvent*) {
  return current_ ? current_->OnRawDatagram() : 0;
}

int ScriptedServer::OnRawDatagram() {
  ByteSpan datagram(host_->receivedData, host_->receivedDataLength);
  if (protocol::ClassifyDatagram(datagram) != protocol::DatagramClass::kHail) {
    return 0;
  }
  const protocol::Endpoint from = ToEndpoint(host_->receivedAddress);
  auto hello = protocol::DecodeHello(datagram);
  if (!first_nonce_) {
    // Rule 0 looks at the raw bytes of the very first HELLO.
    bool padded = datagram.size() == protocol::kHelloSize;
    for (size_t i = 14; padded && i < datagram.size(); ++i)
      padded = !datagram[i];
    if (!hello || !padded || hello->version != 1) {
      Set(0, Fail("the first pre-session datagram is {} bytes and not a zero-"
                  "padded HELLO of version 1",
                  datagram.size()));
    } else {
      Set(0, Pass());
    }
    if (!hello) return 1;
    first_nonce_ = hello->client_nonce;
    first_hello_ms_ = NowMs();
    return 1;  // left unanswered on purpose
  }
  if (!hello) return 1;
  if (hello->client_nonce == *first_nonce_ && !results_.count(1)) {
    const uint64_t gap = NowMs() - first_hello_ms_;
    if (gap < 350 || gap > 1200) {
      Set(1, Fail("the HELLO came again after {} ms (SPEC: 500 ms)", gap));
    } else {
      Set(1, Pass());
    }
  } else if (!results_.count(1)) {
    Set(1, Fail("the second HELLO carries another nonce"));
  }
  protocol::CookieDatagram cookie;
  cookie.client_nonce = hello->client_nonce;
  cookie.cookie =
      cookies_->Mint(from, static_cast<uint64_t>(std::time(nullptr)));
  Bytes reply = protocol::EncodeCookie(cookie);
  ENetBuffer buffer{reply.data(), reply.size()};
  enet_socket_send(host_->socket, &host_->receivedAddress, &buffer, 1);
  return 1;
}

void ScriptedServer::OnConnect(ENetPeer* peer, uint32_t data) {
  const protocol::Endpoint from = ToEndpoint(peer->address);
  if (!cookies_->Verify(from, data,
                        static_cast<uint64_t>(std::time(nullptr)))) {
    Set(2, Fail("the CONNECT carried {:08x}, not the cookie we sent", data));
  } else {
    Set(2, Pass());
  }
  Connection& c = peers_[peer];
  c.index = ++connections_;
  c.session = std::make_unique<protocol::ServerSession>(
      c.index == 3 ? &other_identity_ : &identity_, NowMs());
}

void ScriptedServer::Send(ENetPeer* peer,
                          const protocol::OutgoingFrame& frame) {
  ENetPacket* packet = enet_packet_create(
      frame.bytes.data(), frame.bytes.size(), ENET_PACKET_FLAG_RELIABLE);
  enet_peer_send(peer, frame.channel, packet);
  enet_host_flush(host_);
}

void ScriptedServer::OnPacket(ENetPeer* peer, uint8_t channel,
                              ByteSpan packet) {
  auto it = peers_.find(peer);
  if (it == peers_.end()) return;
  Connection& c = it->second;
  if (!c.saw_first_frame) {
    c.saw_first_frame = true;
    protocol::Decoded d = packet.size() > 1
                              ? protocol::DecodeMessage(packet.subspan(1))
                              : protocol::Decoded{};
    auto* hello = std::get_if<protocol::ClientHello>(&d.message);
    if (channel != protocol::kChannelControl || packet.empty() ||
        packet[0] != protocol::kFramePlain ||
        d.status != protocol::DecodeStatus::kOk || !hello ||
        hello->version != 1) {
      Set(3, Fail("the first packet (channel {}, {} bytes) is not a PLAIN "
                  "CLIENT_HELLO of version 1",
                  channel, packet.size()));
    } else if (c.index == 1) {
      Set(3, Pass());
    }
  } else if (c.index >= 2 && c.secured_ms != 0) {
    // The client should have refused the handshake.
    Set(c.index == 2 ? 8 : 9,
        Fail("after a {} the client sent a {}-byte frame on channel {}",
             c.index == 2 ? "bad signature" : "changed identity", packet.size(),
             channel));
    return;
  }
  protocol::ServerSession::Output out =
      c.session->OnPacket(channel, packet, NowMs());
  for (protocol::OutgoingFrame frame : out.frames) {
    if (c.index == 2 && !frame.bytes.empty() &&
        frame.bytes[0] == protocol::kFramePlain) {
      frame.bytes.back() ^= 0x01;  // the signature's last byte
    }
    Send(peer, frame);
  }
  if (out.key_log_line) c.secured_ms = NowMs();
  if (out.request) OnRequest(peer, c, *out.request);
}

void ScriptedServer::OnRequest(ENetPeer* peer, Connection& c,
                               const protocol::Message& m) {
  if (auto* r = std::get_if<protocol::RegisterRequest>(&m)) {
    Send(peer, c.session->Seal(protocol::RegisterResult{
                   r->request_id, ErrorCode::kOk, 0, kUserId, r->username}));
    c.session->AuthenticationFinished(false, 0, "");
    return;
  }
  uint32_t request_id = 0;
  std::string username;
  if (auto* r = std::get_if<protocol::LoginRequest>(&m)) {
    request_id = r->request_id;
    username = r->username;
  } else if (auto* r = std::get_if<protocol::ResumeRequest>(&m)) {
    request_id = r->request_id;
    username = r->username;
  } else if (auto* ack = std::get_if<protocol::ItemAck>(&m)) {
    if (ack->item_id == first_) {
      if (ack->sender_id != kBotId) {
        Set(5,
            Fail("ITEM_ACK names sender {}, not {}", ack->sender_id, kBotId));
      }
      Set(5, Pass());
      if (++acks_of_first_ == 2) Set(7, Pass());
    } else if (ack->item_id == second_) {
      Set(6, Pass());
    }
    return;
  } else {
    return;  // everything else is left unanswered
  }
  protocol::LoginResult result;
  result.request_id = request_id;
  result.error = ErrorCode::kOk;
  result.user_id = kUserId;
  result.username = username;
  randombytes_buf(result.token.data(), result.token.size());
  result.token_expires_unix = static_cast<uint64_t>(std::time(nullptr)) + 86400;
  result.observed_endpoint = ToEndpoint(peer->address);
  Send(peer, c.session->Seal(result));
  c.session->AuthenticationFinished(true, kUserId, username);
  SendLoginSequence(peer, c);
}

void ScriptedServer::SendLoginSequence(ENetPeer* peer, Connection& c) {
  protocol::ContactUpdate bot{kBotId, kBot, 1, 1, ""};
  Send(peer, c.session->Seal(bot));
  Send(peer, c.session->Seal(protocol::ContactListEnd{0, 1}));
  const uint64_t now = static_cast<uint64_t>(std::time(nullptr));
  Send(peer, c.session->Seal(protocol::MessageDeliver{
                 first_, kBotId, kBot, 1, now, 1, "hello from hail-conform"}));
  // An unknown kind, then a message with trailing bytes (SPEC 2.6).
  const Bytes unknown{kUnknownKind >> 8, kUnknownKind & 0xff, 1, 2, 3};
  Send(peer, c.session->SealBytes(protocol::kChannelMessaging, unknown));
  Bytes second = protocol::EncodeMessage(protocol::MessageDeliver{
      second_, kBotId, kBot, 2, now, 1, "a second one"});
  second.insert(second.end(), {0xfe, 0xed});
  Send(peer, c.session->SealBytes(protocol::kChannelMessaging, second));
  // The first message once more: a duplicate (SPEC 10.7).
  Send(peer, c.session->Seal(protocol::MessageDeliver{
                 first_, kBotId, kBot, 1, now, 1, "hello from hail-conform"}));
  Send(peer, c.session->Seal(protocol::MailboxEnd{3}));
  Set(4, Pass());
}

void ScriptedServer::Run(uint64_t deadline_ms) {
  current_ = this;
  host_->intercept = &ScriptedServer::Intercept;
  while (NowMs() < deadline_ms && !Done()) {
    ENetEvent event;
    int got = enet_host_service(host_, &event, 20);
    if (got > 0) {
      switch (event.type) {
        case ENET_EVENT_TYPE_CONNECT:
          OnConnect(event.peer, event.data);
          break;
        case ENET_EVENT_TYPE_RECEIVE:
          OnPacket(event.peer, event.channelID,
                   ByteSpan(event.packet->data, event.packet->dataLength));
          enet_packet_destroy(event.packet);
          break;
        case ENET_EVENT_TYPE_DISCONNECT: {
          auto it = peers_.find(event.peer);
          if (it != peers_.end()) {
            if (it->second.index == 1) {
              Set(5, Fail("the client left without acknowledging the message"));
              Set(6, Fail("the client left without acknowledging the message "
                          "that followed an unknown kind"));
              Set(7, Fail("the client acknowledged the duplicated message {} "
                          "time(s), not twice",
                          acks_of_first_));
            }
            if (it->second.index == 2) Set(8, Pass());
            if (it->second.index == 3) Set(9, Pass());
            peers_.erase(it);
          }
          break;
        }
        default:
          break;
      }
    }
    const uint64_t now = NowMs();
    for (auto& [peer, c] : peers_) {
      // A refused handshake that stays connected without sending: the
      // client must drop it within the rule's time.
      if (c.index >= 2 && c.secured_ms != 0 &&
          now - c.secured_ms > static_cast<uint64_t>(timeout_ms_)) {
        Set(c.index == 2 ? 8 : 9,
            Fail("the client kept the connection open {} ms after the {}",
                 now - c.secured_ms,
                 c.index == 2 ? "bad signature" : "changed identity"));
      }
    }
  }
  host_->intercept = nullptr;
  current_ = nullptr;
}

void ScriptedServer::Report(conform::Report& report) const {
  for (size_t i = 0; i < std::size(kRules); ++i) {
    auto it = results_.find(i);
    Outcome outcome = it != results_.end()
                          ? it->second
                          : Skip(
                                "the client did not get this far (connections "
                                "seen: {})",
                                connections_);
    report.Add(kRules[i].section, kRules[i].id, kRules[i].text, outcome, 0);
  }
}

}  // namespace

int RunClientMode(const std::string& listen, bool json, int timeout_ms,
                  int total_ms) {
  auto address = client::ParseServerAddress(listen);
  if (!address.ok()) {
    std::cerr << "hail-conform: " << address.status().message() << "\n";
    return 2;
  }
  if (enet_initialize() != 0) return 2;
  ENetAddress bind_address;
  if (enet_address_set_host_ip(&bind_address, address->host.c_str()) != 0) {
    std::cerr << "hail-conform: --client needs an IPv4 address\n";
    return 2;
  }
  bind_address.port = address->port;
  ENetHost* host =
      enet_host_create(&bind_address, 8, protocol::kChannelCount, 0, 0);
  if (host == nullptr) {
    std::cerr << "hail-conform: cannot bind UDP " << listen << "\n";
    return 2;
  }
  host->checksum = enet_crc32;
  std::cerr << "hail-conform: a scripted server listens on " << listen
            << "; connect the client under test 3 times (log in each time)"
            << std::endl;
  ScriptedServer server(host, timeout_ms);
  server.Run(NowMs() + static_cast<uint64_t>(total_ms));
  conform::Report report("client at " + listen, json);
  server.Report(report);
  enet_host_destroy(host);
  enet_deinitialize();
  return report.Finish();
}

}  // namespace hail::conform
