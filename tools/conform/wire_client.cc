#include "tools/conform/wire_client.h"

#include <fmt/format.h>
#include <sodium.h>

#include <chrono>

#include "client/presession_exchange.h"
#include "client/tcp_transport.h"

namespace hail::conform {

using client::TransportEvent;
using protocol::Bytes;
using protocol::ByteSpan;

namespace {

uint64_t RandomNonce() {
  uint64_t nonce = 0;
  randombytes_buf(&nonce, sizeof nonce);
  return nonce;
}

std::string Hex(ByteSpan bytes) {
  std::string out;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i > 0) out += ' ';
    out += fmt::format("{:02x}", bytes[i]);
  }
  return out;
}

// Pre-session and ENet connect over `transport`, until connected.
Status ConnectEnet(client::EnetTransport* enet, int timeout_ms) {
  const uint64_t started = WireClient::NowMs();
  client::PresessionExchange exchange(RandomNonce(), started);
  if (Status s = enet->SendRaw(exchange.hello()); !s.ok()) return s;
  while (exchange.state() ==
         client::PresessionExchange::State::kAwaitingCookie) {
    TransportEvent event = enet->Service(50);
    const uint64_t now = WireClient::NowMs();
    if (event.type == TransportEvent::Type::kPresessionDatagram) {
      exchange.OnDatagram(event.data);
    }
    if (exchange.OnTimer(now)) {
      if (Status s = enet->SendRaw(exchange.hello()); !s.ok()) return s;
    }
  }
  if (exchange.state() == client::PresessionExchange::State::kRejected) {
    return Status::Unavailable(fmt::format(
        "the server REJECTed our HELLO (it speaks pre-session version {})",
        exchange.reject().highest_version));
  }
  if (exchange.state() != client::PresessionExchange::State::kGotCookie) {
    return Status::Unavailable("no COOKIE in answer to 10 HELLO datagrams");
  }
  if (Status s = enet->Connect(exchange.cookie().cookie); !s.ok()) return s;
  const uint64_t deadline = started + static_cast<uint64_t>(timeout_ms) + 5000;
  while (WireClient::NowMs() < deadline) {
    TransportEvent event = enet->Service(50);
    if (event.type == TransportEvent::Type::kConnected) return Status::Ok();
    if (event.type == TransportEvent::Type::kDisconnected) {
      return Status::Unavailable("the ENet connection with the cookie failed");
    }
  }
  return Status::Unavailable("the ENet CONNECT with the cookie got no answer");
}

}  // namespace

std::string Show(const protocol::Message& message) {
  std::string out(
      protocol::KindName(static_cast<uint16_t>(protocol::KindOf(message))));
  out += '{';
  bool first = true;
  for (const protocol::PrintedField& field :
       protocol::DescribeMessage(message)) {
    if (!first) out += ", ";
    first = false;
    out += field.name + '=' + (field.secret ? "<secret>" : field.value);
  }
  out += "} [" + Hex(protocol::EncodeMessage(message)) + "]";
  return out;
}

uint64_t WireClient::NowMs() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

WireClient::WireClient(std::unique_ptr<client::Transport> transport)
    : transport_(std::move(transport)) {}

WireClient::~WireClient() { Close(); }

Result<std::unique_ptr<WireClient>> WireClient::ConnectUnsecured(
    const Target& target, client::TransportKind kind) {
  std::unique_ptr<client::Transport> transport;
  if (kind == client::TransportKind::kUdp) {
    Result<std::unique_ptr<client::EnetTransport>> enet =
        client::EnetTransport::Open(target.host, target.port,
                                    target.local_host);
    if (!enet.ok()) return enet.status();
    if (Status s = ConnectEnet(enet->get(), target.timeout_ms); !s.ok()) {
      return s;
    }
    transport = std::move(*enet);
  } else {
    Result<std::unique_ptr<client::TcpTransport>> tcp =
        client::TcpTransport::Open(
            target.host, target.tcp_port ? target.tcp_port : target.port,
            target.local_host);
    if (!tcp.ok()) return tcp.status();
    const uint64_t deadline =
        NowMs() + static_cast<uint64_t>(target.timeout_ms);
    bool up = false;
    while (!up && NowMs() < deadline) {
      TransportEvent event = (*tcp)->Service(50);
      if (event.type == TransportEvent::Type::kConnected) up = true;
      if (event.type == TransportEvent::Type::kDisconnected) {
        return Status::Unavailable("the TCP connection was refused");
      }
    }
    if (!up) return Status::Unavailable("the TCP connection did not come up");
    transport = std::move(*tcp);
  }
  auto* enet = kind == client::TransportKind::kUdp
                   ? static_cast<client::EnetTransport*>(transport.get())
                   : nullptr;
  auto wire = std::unique_ptr<WireClient>(new WireClient(std::move(transport)));
  wire->enet_ = enet;
  return wire;
}

Result<std::unique_ptr<WireClient>> WireClient::Connect(
    const Target& target, client::TransportKind kind) {
  Result<std::unique_ptr<WireClient>> wire = ConnectUnsecured(target, kind);
  if (!wire.ok()) return wire;
  if (Status s = (*wire)->Handshake(); !s.ok()) return s;
  return wire;
}

Status WireClient::Handshake() {
  session_ = std::make_unique<protocol::ClientSession>(std::nullopt);
  protocol::OutgoingFrame hello = session_->Start();
  if (Status s = transport_->Send(hello); !s.ok()) return s;
  const uint64_t deadline = NowMs() + 5000;
  while (NowMs() < deadline && !closed_) {
    Pump(50);
    switch (session_->state()) {
      case protocol::ClientSession::State::kSecured:
        return Status::Ok();
      case protocol::ClientSession::State::kFailed:
        return Status::Unavailable(
            fmt::format("the handshake failed ({})",
                        static_cast<int>(session_->failure())));
      case protocol::ClientSession::State::kHandshaking:
        break;
    }
  }
  return Status::Unavailable(closed_ ? "the server closed during the handshake"
                                     : "no SERVER_HELLO within 5 s");
}

void WireClient::Send(const protocol::Message& message) {
  if (closed_ || !session_) return;
  protocol::OutgoingFrame frame = session_->Seal(message);
  if (frame.bytes.empty()) return;
  (void)transport_->Send(frame);
}

protocol::OutgoingFrame WireClient::Seal(const protocol::Message& message) {
  return session_->Seal(message);
}

void WireClient::SendPlaintext(uint8_t channel, ByteSpan plaintext) {
  if (closed_ || !session_) return;
  (void)transport_->Send(session_->SealBytes(channel, plaintext));
}

void WireClient::SendFrame(uint8_t channel, ByteSpan frame) {
  if (closed_) return;
  (void)transport_->Send(
      protocol::OutgoingFrame{channel, Bytes(frame.begin(), frame.end())});
}

std::optional<Received> WireClient::Pump(int timeout_ms) {
  if (closed_) return std::nullopt;
  TransportEvent event =
      transport_->Service(static_cast<uint32_t>(std::max(timeout_ms, 0)));
  switch (event.type) {
    case TransportEvent::Type::kDisconnected:
      if (event.link == 0) {
        closed_ = true;
        close_data_ = event.disconnect_data;
      }
      return std::nullopt;
    case TransportEvent::Type::kPacket: {
      if (event.link != 0) return std::nullopt;
      if (!session_ ||
          session_->state() == protocol::ClientSession::State::kFailed) {
        raw_frames_.push_back(std::move(event.data));
        return std::nullopt;
      }
      const bool handshaking =
          session_->state() == protocol::ClientSession::State::kHandshaking;
      if (handshaking) raw_frames_.push_back(event.data);
      protocol::ClientSession::Output out =
          session_->OnPacket(event.channel, event.data);
      if (out.drop != protocol::DropReason::kNone) ++dropped_;
      if (!out.message) return std::nullopt;
      Received received;
      received.channel = event.channel;
      received.plaintext = protocol::EncodeMessage(*out.message);
      received.message = std::move(*out.message);
      return received;
    }
    default:
      return std::nullopt;
  }
}

std::optional<Received> WireClient::Next(int timeout_ms) {
  if (!kept_.empty()) {
    Received first = std::move(kept_.front());
    kept_.pop_front();
    return first;
  }
  const uint64_t deadline = NowMs() + static_cast<uint64_t>(timeout_ms);
  while (!closed_) {
    const uint64_t now = NowMs();
    if (now >= deadline) break;
    if (auto got = Pump(static_cast<int>(deadline - now))) return got;
  }
  return std::nullopt;
}

void WireClient::Drain(int ms) {
  const uint64_t deadline = NowMs() + static_cast<uint64_t>(ms);
  while (!closed_) {
    const uint64_t now = NowMs();
    if (now >= deadline) break;
    if (auto got = Pump(static_cast<int>(deadline - now))) {
      kept_.push_back(std::move(*got));
    }
  }
}

bool WireClient::WaitClosed(int timeout_ms) {
  const uint64_t deadline = NowMs() + static_cast<uint64_t>(timeout_ms);
  while (!closed_ && NowMs() < deadline) {
    if (auto got = Pump(50)) kept_.push_back(std::move(*got));
  }
  return closed_;
}

std::optional<Bytes> WireClient::NextRawFrame(int timeout_ms) {
  const uint64_t deadline = NowMs() + static_cast<uint64_t>(timeout_ms);
  while (raw_frames_.empty() && !closed_ && NowMs() < deadline) Pump(50);
  if (raw_frames_.empty()) return std::nullopt;
  Bytes first = std::move(raw_frames_.front());
  raw_frames_.pop_front();
  return first;
}

bool WireClient::AllowLargePackets(size_t bytes) {
  if (enet_ == nullptr) return false;
  enet_->set_maximum_packet_size(bytes);
  return true;
}

void WireClient::Close() {
  if (closed_ || !transport_) return;
  transport_->DisconnectNow(0);
  closed_ = true;
}

}  // namespace hail::conform
