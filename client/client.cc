#include "client/client.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sodium.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <utility>

#include "client/client_internal.h"
#include "client/enet_transport.h"
#include "client/presession_exchange.h"
#include "client/state_file.h"
#include "client/tcp_transport.h"
#include "protocol/account_rules.h"
#include "protocol/client_session.h"
#include "protocol/handshake.h"

namespace hail::client {
namespace internal {

uint64_t SteadyNowMs() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

uint64_t UnixNow() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count());
}

uint64_t RandomU64() {
  uint64_t value;
  randombytes_buf(&value, sizeof value);
  return value;
}

Result<std::string> CanonicalUsername(std::string_view username) {
  std::optional<std::string> canonical = protocol::NormalizeUsername(username);
  if (!canonical) {
    return Status::InvalidArgument(fmt::format(
        "'{}' is not a valid username: 3..32 characters of A-Z a-z 0-9 . _ -, "
        "starting with a letter",
        username));
  }
  return *canonical;
}

}  // namespace internal

namespace {

using internal::CanonicalUsername;
using internal::RandomU64;
using internal::SteadyNowMs;
using internal::UnixNow;

// While waiting for a COOKIE, ENet is serviced in short slices: the
// intercept consumes the COOKIE inside enet_host_service, which would
// otherwise keep waiting for the rest of its timeout.
constexpr uint64_t kPresessionSliceMs = 10;

// How many ready datagrams Poll handles after its timeout has passed, when
// none of them yields an event.
constexpr int kMaxDatagramsPastDeadline = 64;

// ENet disconnect data is a u32; Hail puts a u16 wire error code there.
protocol::ErrorCode DisconnectCode(uint32_t data) {
  return static_cast<protocol::ErrorCode>(
      data > 0xffff ? 0xffff : static_cast<uint16_t>(data));
}

std::optional<protocol::ErrorCode> CodeIfAny(uint32_t data) {
  if (data == 0) return std::nullopt;
  return DisconnectCode(data);
}

// Whether a session that ended for `reason` is worth resuming: the server
// went away or was overloaded, rather than ending this user's session on
// purpose (replaced, logged out, account deleted, token refused).
bool IsTransientEnd(protocol::ErrorCode reason) {
  using protocol::ErrorCode;
  switch (reason) {
    case ErrorCode::kOk:  // ENet timeout: no reason given
    case ErrorCode::kShuttingDown:
    case ErrorCode::kTimeout:
    case ErrorCode::kServerBusy:
    case ErrorCode::kInternal:
    case ErrorCode::kThrottled:
      return true;
    default:
      return false;
  }
}

// "host:port" with the host lowercased, as ParseServerAddress gives it.
std::string StateFileKey(std::string host, uint16_t port) {
  for (char& c : host) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return ServerAddress{std::move(host), port}.ToString();
}

}  // namespace

template <class Message>
void Client::Handle(const Message&) {
  ++counters_.unexpected_messages;
}

Client::Client(ClientOptions options)
    : options_(std::move(options)),
      server_(StateFileKey(options_.server_host, options_.server_port)),
      known_servers_(options_.home / "known_servers"),
      token_store_(options_.home / "tokens"),
      owner_thread_(std::this_thread::get_id()) {}

Client::~Client() = default;

Status Client::Connect() {
  assert(std::this_thread::get_id() == owner_thread_);
  if (state_ != State::kIdle) {
    return Status::InvalidArgument("Connect may be called only once");
  }
  if (options_.home.empty()) {
    return Status::InvalidArgument("no home directory for the client state");
  }
  if (!protocol::IsAcceptableClientVersion(options_.client_version)) {
    return Status::InvalidArgument(
        "client_version must be 1..64 printable ASCII bytes");
  }
  if (sodium_init() < 0) return Status::IoError("libsodium failed to start");
  if (Status status = EnsurePrivateDirectory(options_.home); !status.ok()) {
    return status;
  }
  return StartConnecting();
}

Status Client::StartConnecting() {
  Result<std::optional<protocol::PublicKey>> pinned =
      known_servers_.Find(server_);
  if (!pinned.ok()) return pinned.status();
  pinned_identity_ = *pinned;
  expected_identity_ =
      options_.trusted_identity ? options_.trusted_identity : pinned_identity_;

  tcp_fallback_reason_.clear();
  if (options_.transport == TransportChoice::kTcp) return StartTcp();
  Result<std::unique_ptr<EnetTransport>> transport = EnetTransport::Open(
      options_.server_host, options_.server_port, options_.local_host);
  if (!transport.ok()) return transport.status();
  // One instant for both clocks: HELLO resends and the TCP fallback are due
  // together at 2 s, and the fallback, checked first, must win that tie.
  const uint64_t started_ms = SteadyNowMs();
  exchange_ = std::make_unique<PresessionExchange>(RandomU64(), started_ms);
  if (Status status = (*transport)->SendRaw(exchange_->hello()); !status.ok()) {
    exchange_.reset();
    return status;
  }
  enet_ = transport->get();
  transport_ = std::move(*transport);
  enet_->set_connect_filter(
      [this](const protocol::Endpoint& from, uint32_t data) {
        return AdmitLinkConnect(from, data);
      });
  awaiting_cookie_since_ms_ = started_ms;
  state_ = State::kAwaitingCookie;
  return Status::Ok();
}

Status Client::StartTcp() {
  Result<std::unique_ptr<TcpTransport>> transport = TcpTransport::Open(
      options_.server_host, options_.tcp_port.value_or(options_.server_port),
      options_.local_host);
  if (!transport.ok()) return transport.status();
  if (enet_ != nullptr) CopyTransportCounters();
  RetireTransport();  // drops the ENet connection of a kAuto fallback
  session_.reset();
  transport_ = std::move(*transport);
  state_ = State::kConnecting;
  deadline_ms_ = SteadyNowMs() + kConnectTimeoutMs;
  return Status::Ok();
}

std::optional<TransportKind> Client::transport_kind() const {
  if (!transport_) return std::nullopt;
  return transport_->kind();
}

std::optional<Event> Client::Poll(int timeout_ms) {
  assert(std::this_thread::get_id() == owner_thread_);
  uint64_t deadline =
      SteadyNowMs() + static_cast<uint64_t>(std::max(timeout_ms, 0));
  int handled_past_deadline = 0;
  while (events_.empty()) {
    uint64_t now = SteadyNowMs();
    OnTimers(now);
    if (!events_.empty()) break;
    if (!transport_ && state_ != State::kReconnectWait) break;
    uint64_t wait = deadline > now ? deadline - now : 0;
    if (std::optional<uint64_t> next = NextDeadlineMs()) {
      wait = std::min(wait, *next > now ? *next - now : 0);
    }
    if (state_ == State::kAwaitingCookie) {
      wait = std::min(wait, kPresessionSliceMs);
    }
    if (!transport_) {  // waiting out a reconnection delay
      std::this_thread::sleep_for(std::chrono::milliseconds(wait));
      if (SteadyNowMs() >= deadline) break;
      continue;
    }
    TransportEvent event = transport_->Service(static_cast<uint32_t>(wait));
    CopyTransportCounters();
    switch (event.type) {
      case TransportEvent::Type::kNone:
        break;
      case TransportEvent::Type::kPresessionDatagram:
        OnPresessionDatagram(event.data, SteadyNowMs());
        break;
      case TransportEvent::Type::kRawDatagram:
        OnRawDatagram(event.from, event.data, SteadyNowMs());
        break;
      case TransportEvent::Type::kConnected:
        if (event.link != 0) {
          OnLinkConnected(event.link, event.from, event.disconnect_data,
                          SteadyNowMs());
        } else {
          OnTransportConnected();
        }
        break;
      case TransportEvent::Type::kPacket:
        if (event.link != 0) {
          OnLinkPacket(event.link, event.channel, event.data, SteadyNowMs());
        } else {
          OnPacket(event.channel, event.data);
        }
        break;
      case TransportEvent::Type::kDisconnected:
        if (event.link != 0) {
          OnLinkDisconnected(event.link, SteadyNowMs());
        } else {
          OnDisconnected(event.disconnect_data);
        }
        break;
    }
    // Past the deadline, stop once nothing more is ready, or after a bounded
    // number of datagrams that yielded no event (a flood must not keep the
    // caller here).
    if (SteadyNowMs() >= deadline &&
        (event.type == TransportEvent::Type::kNone ||
         ++handled_past_deadline > kMaxDatagramsPastDeadline)) {
      break;
    }
  }
  if (events_.empty()) return std::nullopt;
  Event next = std::move(events_.front());
  events_.pop_front();
  return next;
}

std::optional<uint64_t> Client::NextDeadlineMs() const {
  std::optional<uint64_t> deadline = StateDeadlineMs();
  if (discovery_) {
    uint64_t discovery = discovery_->next_timer_ms();
    deadline = deadline ? std::min(*deadline, discovery) : discovery;
  }
  return deadline;
}

std::optional<uint64_t> Client::StateDeadlineMs() const {
  switch (state_) {
    case State::kAwaitingCookie:
      if (options_.transport == TransportChoice::kAuto) {
        return std::min(exchange_->next_timer_ms(),
                        awaiting_cookie_since_ms_ + kTcpFallbackAfterMs);
      }
      return exchange_->next_timer_ms();
    case State::kConnecting:
    case State::kHandshaking:
      if (enet_ == nullptr) return deadline_ms_;
      if (options_.transport == TransportChoice::kAuto) {
        return std::min({deadline_ms_, step_deadline_ms_, udp_fallback_ms_});
      }
      return std::min(deadline_ms_, step_deadline_ms_);
    case State::kReconnectWait:
    case State::kClosing:
      return deadline_ms_;
    case State::kSecured: {
      std::optional<uint64_t> direct = NextDirectDeadlineMs();
      if (std::optional<uint64_t> retry = outbox_.next_retry_ms()) {
        direct = direct ? std::min(*direct, *retry) : *retry;
      }
      if (enet_ == nullptr) return direct;
      // Liveness is checked against ENet's clock: look again soon.
      uint64_t liveness = SteadyNowMs() + kProbeIntervalMs / 4;
      return direct ? std::min(*direct, liveness) : liveness;
    }
    default:
      return std::nullopt;
  }
}

void Client::OnTimers(uint64_t now_ms) {
  OnDiscoveryTimer(now_ms);
  switch (state_) {
    case State::kAwaitingCookie:
      if (options_.transport == TransportChoice::kAuto &&
          now_ms >= awaiting_cookie_since_ms_ + kTcpFallbackAfterMs) {
        FallBackToTcp(fmt::format("no COOKIE over UDP within {} s",
                                  kTcpFallbackAfterMs / 1000));
        break;
      }
      if (exchange_->OnTimer(now_ms)) {
        if (Status status = enet_->SendRaw(exchange_->hello()); !status.ok()) {
          FailConnect({status.message(), std::nullopt});
        } else {
          events_.push_back(ConnectProgress{
              ConnectProgress::Step::kCookie,
              static_cast<uint32_t>(exchange_->hellos_sent()), ""});
        }
      } else if (exchange_->state() == PresessionExchange::State::kTimedOut) {
        FailConnect({fmt::format("no answer from {} to {} HELLO datagrams in "
                                 "{} s (is haild running there?)",
                                 server_, exchange_->hellos_sent(),
                                 PresessionExchange::kGiveUpAfterMs / 1000),
                     std::nullopt});
      }
      break;
    case State::kConnecting:
    case State::kHandshaking:
      // The TCP fallback (4 s) comes before the overall limit (10 s).
      if (enet_ != nullptr && options_.transport == TransportChoice::kAuto &&
          now_ms >= udp_fallback_ms_) {
        FallBackToTcp(fmt::format(
            "{} within {} s of the COOKIE ({} ENet connections)",
            state_ == State::kConnecting ? "the ENet connection was not up"
                                         : "no SERVER_HELLO over UDP",
            kTcpFallbackAfterCookieMs / 1000, enet_attempts_));
      } else if (now_ms >= deadline_ms_) {
        FailConnect(
            {fmt::format("{} did not complete the {} within {} s", server_,
                         state_ != State::kConnecting ? "secure handshake"
                         : transport_->kind() == TransportKind::kTcp
                             ? "TCP connection"
                             : "ENet connection",
                         kConnectTimeoutMs / 1000),
             std::nullopt});
      } else if (enet_ != nullptr && now_ms >= step_deadline_ms_) {
        RetryEnetConnect(now_ms);
      }
      break;
    case State::kReconnectWait:
      if (now_ms >= deadline_ms_) {
        ++counters_.reconnect_attempts;
        if (Status status = StartConnecting(); !status.ok()) {
          ScheduleReconnect(
              fmt::format("cannot reconnect: {}", status.message()));
        }
      }
      break;
    case State::kClosing:
      if (now_ms >= deadline_ms_) {
        transport_->DisconnectNow(0);
        Teardown(State::kClosed);
        events_.push_back(Disconnected{protocol::ErrorCode::kOk, true});
      }
      break;
    case State::kSecured:
      if (CheckServerLiveness(now_ms)) break;
      OnDirectTimers(now_ms);
      RetryRefusedMessages(now_ms);
      break;
    default:
      break;
  }
}

bool Client::CheckServerLiveness(uint64_t now_ms) {
  if (enet_ == nullptr || !enet_->connected()) return false;
  uint64_t silence = enet_->ServerSilenceMs();
  if (silence >= kServerSilenceLimitMs) {
    ++counters_.server_silence_drops;
    transport_->DisconnectNow(0);
    OnDisconnected(0, fmt::format("no datagram from {} for {} s", server_,
                                  kServerSilenceLimitMs / 1000));
    return true;
  }
  if (silence >= kProbeAfterMs && now_ms >= next_probe_ms_) {
    enet_->ProbeServer();
    next_probe_ms_ = now_ms + kProbeIntervalMs;
  }
  return false;
}

void Client::FallBackToTcp(std::string reason) {
  if (Status status = StartTcp(); !status.ok()) {
    FailConnect({fmt::format("{}, and TCP to {} failed: {}", reason, server_,
                             status.message()),
                 std::nullopt});
    return;
  }
  tcp_fallback_reason_ = reason;
  events_.push_back(
      ConnectProgress{ConnectProgress::Step::kTcp, 1, std::move(reason)});
}

void Client::RetryEnetConnect(uint64_t now_ms) {
  std::string reason =
      state_ == State::kConnecting
          ? fmt::format("the ENet connection was not up within {} s",
                        kConnectStepMs / 1000)
          : fmt::format("no SERVER_HELLO within {} s", kConnectStepMs / 1000);
  enet_->DisconnectNow(0);
  session_.reset();
  if (Status status = enet_->Connect(exchange_->cookie().cookie);
      !status.ok()) {
    FailConnect({status.message(), std::nullopt});
    return;
  }
  ++counters_.enet_connect_retries;
  ++enet_attempts_;
  state_ = State::kConnecting;
  step_deadline_ms_ = now_ms + kConnectStepMs;
  events_.push_back(ConnectProgress{ConnectProgress::Step::kEnet,
                                    enet_attempts_, std::move(reason)});
}

void Client::StartAutomaticDiscovery() {
  // Direct links depend on the mapping, so automatic ones learn it first.
  if (options_.p2p == P2pPolicy::kAuto && enet_ != nullptr && !discovery_ &&
      !nat_report_) {
    (void)DiscoverNat();  // without it the mapping stays unknown
  }
}

Status Client::DiscoverNat() {
  assert(std::this_thread::get_id() == owner_thread_);
  if (!transport_) return Status::InvalidArgument("not connected");
  if (enet_ == nullptr) {
    return Status::InvalidArgument(
        "NAT discovery needs UDP; this session runs over the TCP fallback");
  }
  if (discovery_) {
    return Status::InvalidArgument("NAT discovery is already running");
  }
  discovery_ = std::make_unique<nat::MappingDiscovery>(
      enet_->server_endpoint(), protocol::Endpoint(),
      [](std::span<uint8_t> out) { randombytes_buf(out.data(), out.size()); });
  std::vector<nat::MappingDiscovery::Datagram> first =
      discovery_->Start(SteadyNowMs());
  for (const auto& datagram : first) {
    if (Status status = enet_->SendRawTo(datagram.to, datagram.bytes);
        !status.ok()) {
      discovery_.reset();
      return status;
    }
  }
  return Status::Ok();
}

void Client::OnDiscoveryTimer(uint64_t now_ms) {
  if (!discovery_) return;
  SendDiscoveryDatagrams(discovery_->OnTimer(now_ms));
  if (discovery_ && discovery_->done()) {
    const nat::NatReport& r = discovery_->report();
    FinishDiscovery({r.udp_works, r.public_endpoint, r.mapping, r.reason});
  }
}

void Client::OnRawDatagram(const protocol::Endpoint& from,
                           const protocol::Bytes& datagram, uint64_t now_ms) {
  if (protocol::ClassifyDatagram(datagram) == protocol::DatagramClass::kHail) {
    OnProbeDatagram(from, datagram, now_ms);
    return;
  }
  std::vector<nat::MappingDiscovery::Datagram> next;
  if (!discovery_ || !discovery_->OnDatagram(from, datagram, now_ms, &next)) {
    ++counters_.stun_dropped;
    return;
  }
  SendDiscoveryDatagrams(next);
  if (discovery_ && discovery_->done()) {
    const nat::NatReport& r = discovery_->report();
    FinishDiscovery({r.udp_works, r.public_endpoint, r.mapping, r.reason});
  }
}

void Client::SendDiscoveryDatagrams(
    const std::vector<nat::MappingDiscovery::Datagram>& datagrams) {
  // A failed send is like a lost datagram: the schedule retransmits.
  for (const auto& datagram : datagrams) {
    if (enet_ != nullptr) (void)enet_->SendRawTo(datagram.to, datagram.bytes);
  }
}

void Client::FinishDiscovery(NatReport report) {
  discovery_.reset();
  nat_report_ = report;
  if (report.udp_works) nat_mapping_ = report.mapping;
  events_.push_back(std::move(report));
  // Automatic direct-link requests waited for this (client_p2p.cc).
  uint64_t now = SteadyNowMs();
  std::vector<uint64_t> ids;
  for (const auto& [id, peer] : direct_) ids.push_back(id);
  for (uint64_t id : ids) MaybeRequestDirect(id, now);
}

void Client::OnPresessionDatagram(const protocol::Bytes& datagram,
                                  uint64_t now_ms) {
  if (state_ != State::kAwaitingCookie) {
    ++counters_.presession_ignored;
    return;
  }
  switch (exchange_->OnDatagram(datagram)) {
    case PresessionExchange::DatagramOutcome::kIgnored:
      ++counters_.presession_ignored;
      return;
    case PresessionExchange::DatagramOutcome::kReject: {
      const protocol::PresessionRejectDatagram& reject = exchange_->reject();
      FailConnect({fmt::format("{} refused pre-session version {} (it speaks "
                               "up to version {})",
                               server_, protocol::kPresessionVersion,
                               reject.highest_version),
                   reject.error});
      return;
    }
    case PresessionExchange::DatagramOutcome::kCookie:
      break;
  }
  if (Status status = enet_->Connect(exchange_->cookie().cookie);
      !status.ok()) {
    FailConnect({status.message(), std::nullopt});
    return;
  }
  state_ = State::kConnecting;
  deadline_ms_ = now_ms + kConnectTimeoutMs;
  step_deadline_ms_ = now_ms + kConnectStepMs;
  udp_fallback_ms_ = now_ms + kTcpFallbackAfterCookieMs;
  enet_attempts_ = 1;
}

void Client::OnTransportConnected() {
  if (state_ != State::kConnecting) return;
  session_ = std::make_unique<protocol::ClientSession>(expected_identity_);
  state_ = State::kHandshaking;
  step_deadline_ms_ = SteadyNowMs() + kConnectStepMs;
  if (Status status = transport_->Send(session_->Start()); !status.ok()) {
    FailConnect({status.message(), std::nullopt});
  }
}

void Client::OnPacket(uint8_t channel, const protocol::Bytes& packet) {
  if (!session_ || (state_ != State::kHandshaking &&
                    state_ != State::kSecured && state_ != State::kClosing)) {
    ++counters_.frames_dropped;
    return;
  }
  protocol::ClientSession::Output output = session_->OnPacket(channel, packet);
  if (output.drop != protocol::DropReason::kNone) ++counters_.frames_dropped;
  if (state_ == State::kHandshaking) {
    if (output.secured) {
      OnSecured();
    } else if (session_->state() == protocol::ClientSession::State::kFailed) {
      OnHandshakeFailed();
    }
    return;
  }
  if (output.message) {
    if (options_.received_hook)
      Observe(protocol::EncodeMessage(*output.message));
    std::visit([this](const auto& message) { Handle(message); },
               *output.message);
  }
}

void Client::OnSecured() {
  const protocol::PublicKey& offered = session_->server_identity();
  bool newly_pinned = false;
  // Reached only when `offered` is the expected identity, if any: a pinned
  // key is replaced here only because --trust named the new one.
  if (!pinned_identity_ || *pinned_identity_ != offered) {
    if (Status status = known_servers_.Pin(server_, offered); !status.ok()) {
      FailConnect(
          {fmt::format("cannot pin the server identity: {}", status.message()),
           std::nullopt});
      return;
    }
    pinned_identity_ = offered;
    newly_pinned = true;
  }
  std::string key_log_error = AppendKeyLog(session_->key_log_line());
  state_ = State::kSecured;
  next_probe_ms_ = 0;
  if (reconnect_.active) {
    ResumeAfterReconnect();
    return;
  }
  events_.push_back(Connected{protocol::Fingerprint(offered), newly_pinned,
                              std::move(key_log_error), transport_->kind()});
}

std::string Client::AppendKeyLog(const std::string& line) {
  if (options_.key_log_path.empty()) return {};
  int fd = ::open(options_.key_log_path.c_str(),
                  O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  bool written = fd >= 0 && ::write(fd, line.data(), line.size()) ==
                                static_cast<ssize_t>(line.size());
  std::string error = written ? "" : std::strerror(errno);
  if (fd >= 0) ::close(fd);
  if (!written) ++counters_.key_log_failures;
  return error;
}

void Client::OnHandshakeFailed() {
  using Failure = protocol::ClientSession::Failure;
  switch (session_->failure()) {
    case Failure::kIdentityMismatch: {
      IdentityMismatch mismatch;
      mismatch.server = server_;
      mismatch.expected_fingerprint =
          protocol::Fingerprint(*expected_identity_);
      mismatch.offered_fingerprint =
          protocol::Fingerprint(session_->server_identity());
      mismatch.expected_from_trust_option =
          options_.trusted_identity.has_value();
      mismatch.known_servers_file = known_servers_.file();
      transport_->DisconnectNow(0);
      Teardown(State::kClosed);
      reconnect_ = Reconnection{};
      resume_username_.clear();
      events_.push_back(std::move(mismatch));
      return;
    }
    case Failure::kRejected:
      FailConnect({fmt::format("{} rejected protocol version {} "
                               "(HANDSHAKE_REJECT)",
                               server_, protocol::kProtocolVersion),
                   protocol::ErrorCode::kUnsupportedVersion});
      return;
    case Failure::kBadSignature:
      FailConnect({fmt::format("the handshake signature of {} does not "
                               "verify; refusing the connection",
                               server_),
                   std::nullopt});
      return;
    case Failure::kMalformed:
    case Failure::kNone:
      FailConnect({fmt::format("malformed handshake reply from {}", server_),
                   std::nullopt});
      return;
  }
}

void Client::OnDisconnected(uint32_t data, std::string reason) {
  State before = state_;
  TransportKind kind = transport_->kind();
  // Disconnect data is not authenticated (SPEC.md 4.8, 16.3): whether to
  // resume depends only on SESSION_ENDED, which clears resume_username_
  // when the end is final.
  if (before != State::kClosing &&
      (reconnect_.active || (before == State::kSecured && ShouldReconnect()))) {
    if (reason.empty()) {
      reason = data == 0
                   ? fmt::format("the connection to {} was lost", server_)
                   : fmt::format("{} closed the connection ({})", server_,
                                 protocol::ErrorCodeName(DisconnectCode(data)));
    }
    ScheduleReconnect(std::move(reason));
    return;
  }
  Teardown(State::kClosed);
  switch (before) {
    case State::kConnecting:
      events_.push_back(ConnectFailed{
          !tcp_fallback_reason_.empty()
              ? fmt::format("{}: {}, and it did not accept the TCP "
                            "connection either",
                            server_, tcp_fallback_reason_)
              : fmt::format("{} did not accept the {} connection", server_,
                            kind == TransportKind::kTcp ? "TCP" : "ENet"),
          CodeIfAny(data)});
      return;
    case State::kHandshaking:
      events_.push_back(ConnectFailed{
          fmt::format("{} closed the connection during the handshake", server_),
          CodeIfAny(data)});
      return;
    default:
      events_.push_back(
          Disconnected{DisconnectCode(data), before == State::kClosing});
      return;
  }
}

void Client::FailConnect(ConnectFailed failure) {
  if (reconnect_.active) {
    ScheduleReconnect(std::move(failure.reason));
    return;
  }
  if (transport_) transport_->DisconnectNow(0);
  Teardown(State::kClosed);
  events_.push_back(std::move(failure));
}

void Client::CopyTransportCounters() {
  if (enet_ == nullptr) return;
  const EnetTransport::Counters& transport = enet_->counters();
  const auto& earlier = retired_transport_counters_;
  counters_.foreign_presession =
      earlier.foreign_presession + transport.foreign_presession;
  counters_.enet_service_errors =
      earlier.service_errors + transport.service_errors;
}

void Client::RetireTransport() {
  if (enet_ != nullptr) {
    CopyTransportCounters();
    const EnetTransport::Counters& transport = enet_->counters();
    retired_transport_counters_.foreign_presession +=
        transport.foreign_presession;
    retired_transport_counters_.service_errors += transport.service_errors;
  }
  if (discovery_) {
    FinishDiscovery({false,
                     {},
                     nat::MappingBehaviour::kUnknown,
                     "the connection closed before NAT discovery finished"});
  }
  ResetDirectLinks();
  enet_ = nullptr;
  transport_.reset();
}

void Client::Teardown(State final_state) {
  RetireTransport();
  exchange_.reset();
  pending_.clear();
  ping_sent_ms_.clear();
  logged_in_username_.clear();
  state_ = final_state;
}

void Client::Close() {
  resume_username_.clear();
  reconnect_ = Reconnection{};
  switch (state_) {
    case State::kIdle:
    case State::kClosing:
    case State::kClosed:
      return;
    case State::kReconnectWait:
      Teardown(State::kClosed);
      events_.push_back(Disconnected{protocol::ErrorCode::kOk, true});
      return;
    case State::kAwaitingCookie:
    case State::kConnecting:
      transport_->DisconnectNow(0);
      Teardown(State::kClosed);
      events_.push_back(Disconnected{protocol::ErrorCode::kOk, true});
      return;
    case State::kHandshaking:
    case State::kSecured:
      transport_->Disconnect(0);
      state_ = State::kClosing;
      deadline_ms_ = SteadyNowMs() + kCloseTimeoutMs;
      return;
  }
}

// --- Reconnection ---

bool Client::ShouldReconnect() const {
  return options_.auto_reconnect && !resume_username_.empty();
}

void Client::ScheduleReconnect(std::string reason) {
  if (!reconnect_.active) {
    reconnect_.active = true;
    reconnect_.username = resume_username_;
  }
  if (transport_) transport_->DisconnectNow(0);
  Teardown(State::kReconnectWait);
  uint64_t delay =
      reconnect_.backoff.NextDelayMs(static_cast<uint32_t>(RandomU64()));
  deadline_ms_ = SteadyNowMs() + delay;
  events_.push_back(
      Reconnecting{reconnect_.backoff.attempts(), delay, std::move(reason)});
}

void Client::ResumeAfterReconnect() {
  Result<uint32_t> request = Resume(reconnect_.username);
  if (request.ok()) {
    reconnect_.resume_request_id = *request;
  } else if (request.status().IsNotFound()) {
    FailReconnect(fmt::format("cannot resume the session: {}",
                              request.status().message()),
                  std::nullopt);
  } else {
    ScheduleReconnect(request.status().message());
  }
}

void Client::OnReconnectResumed(const LoginResult& result) {
  if (result.error != protocol::ErrorCode::kOk) {
    std::string reason =
        fmt::format("the server refused to resume the session: {}",
                    protocol::ErrorCodeName(result.error));
    if (IsTransientEnd(result.error)) {
      ScheduleReconnect(std::move(reason));
    } else {
      FailReconnect(std::move(reason), result.error);
    }
    return;
  }
  resume_username_ = result.username;
  Reconnected reconnected;
  reconnected.user_id = result.user_id;
  reconnected.username = result.username;
  reconnected.observed_endpoint = result.observed_endpoint;
  reconnected.attempts = reconnect_.backoff.attempts();
  reconnected.transport = transport_->kind();
  reconnect_ = Reconnection{};
  // Also the ones refused for now: a new session judges them afresh.
  for (const Outbox::Entry& entry : outbox_.entries()) {
    if (Status status = SendOutboxMessage(entry.message); !status.ok()) {
      ScheduleReconnect(
          fmt::format("cannot resend messages: {}", status.message()));
      return;
    }
    ++reconnected.resent_messages;
  }
  outbox_.MarkAllSent();
  // A new socket may have a new mapping.
  nat_report_.reset();
  nat_mapping_ = protocol::MappingBehaviour::kUnknown;
  StartAutomaticDiscovery();
  events_.push_back(std::move(reconnected));
}

void Client::FailReconnect(std::string reason,
                           std::optional<protocol::ErrorCode> error) {
  if (transport_) transport_->DisconnectNow(0);
  Teardown(State::kClosed);
  reconnect_ = Reconnection{};
  resume_username_.clear();
  events_.push_back(ReconnectFailed{std::move(reason), error});
}

bool Client::HasStoredToken(std::string_view username) const {
  Result<std::optional<StoredToken>> token =
      token_store_.Find(server_, username, UnixNow());
  return token.ok() && token->has_value();
}

Result<std::vector<std::string>> Client::UsersWithStoredTokens() const {
  return token_store_.Usernames(server_, UnixNow());
}

// --- Requests ---

Status Client::RequireSecured() const {
  if (state_ != State::kSecured) {
    return Status::InvalidArgument(
        "not connected: requests need a secured session (wait for Connected)");
  }
  return Status::Ok();
}

uint32_t Client::NextRequestId() {
  if (++last_request_id_ == 0) ++last_request_id_;
  return last_request_id_;
}

Result<uint32_t> Client::SendRequest(protocol::Message message,
                                     uint32_t request_id,
                                     PendingRequest pending) {
  if (Status status = transport_->Send(session_->Seal(message)); !status.ok()) {
    return status;
  }
  pending_.emplace(request_id, std::move(pending));
  return request_id;
}

namespace {

Status CheckPassword(std::string_view password) {
  if (!protocol::IsAcceptablePassword(password)) {
    return Status::InvalidArgument(
        "a password is 8..128 bytes of UTF-8 without NUL characters");
  }
  return Status::Ok();
}

}  // namespace

Result<uint32_t> Client::Register(std::string_view username,
                                  std::string_view password) {
  if (Status status = RequireSecured(); !status.ok()) return status;
  Result<std::string> canonical = CanonicalUsername(username);
  if (!canonical.ok()) return canonical.status();
  if (Status status = CheckPassword(password); !status.ok()) return status;
  protocol::RegisterRequest request;
  uint32_t request_id = NextRequestId();
  request.request_id = request_id;
  request.username = *canonical;
  request.password = std::string(password);
  return SendRequest(std::move(request), request_id,
                     {protocol::Kind::kRegisterRequest, *canonical});
}

Result<uint32_t> Client::Login(std::string_view username,
                               std::string_view password) {
  if (Status status = RequireSecured(); !status.ok()) return status;
  Result<std::string> canonical = CanonicalUsername(username);
  if (!canonical.ok()) return canonical.status();
  if (Status status = CheckPassword(password); !status.ok()) return status;
  protocol::LoginRequest request;
  uint32_t request_id = NextRequestId();
  request.request_id = request_id;
  request.username = *canonical;
  request.password = std::string(password);
  request.client_version = options_.client_version;
  request.lan_endpoint = transport_->lan_endpoint();
  return SendRequest(std::move(request), request_id,
                     {protocol::Kind::kLoginRequest, *canonical});
}

Result<uint32_t> Client::Resume(std::string_view username) {
  if (Status status = RequireSecured(); !status.ok()) return status;
  Result<std::string> canonical = CanonicalUsername(username);
  if (!canonical.ok()) return canonical.status();
  Result<std::optional<StoredToken>> stored =
      token_store_.Find(server_, *canonical, UnixNow());
  if (!stored.ok()) return stored.status();
  if (!stored->has_value()) {
    return Status::NotFound(
        fmt::format("no stored token for {} at {}", *canonical, server_));
  }
  protocol::ResumeRequest request;
  uint32_t request_id = NextRequestId();
  request.request_id = request_id;
  request.username = *canonical;
  request.token = (*stored)->token;
  request.client_version = options_.client_version;
  request.lan_endpoint = transport_->lan_endpoint();
  return SendRequest(std::move(request), request_id,
                     {protocol::Kind::kResumeRequest, *canonical});
}

Result<uint32_t> Client::Logout() {
  if (Status status = RequireSecured(); !status.ok()) return status;
  protocol::LogoutRequest request;
  uint32_t request_id = NextRequestId();
  request.request_id = request_id;
  return SendRequest(request, request_id, {protocol::Kind::kLogoutRequest, {}});
}

Result<uint32_t> Client::ChangePassword(std::string_view old_password,
                                        std::string_view new_password) {
  if (Status status = RequireSecured(); !status.ok()) return status;
  if (Status status = CheckPassword(new_password); !status.ok()) {
    return status;
  }
  protocol::ChangePasswordRequest request;
  uint32_t request_id = NextRequestId();
  request.request_id = request_id;
  request.old_password = std::string(old_password);
  request.new_password = std::string(new_password);
  return SendRequest(
      std::move(request), request_id,
      {protocol::Kind::kChangePasswordRequest, logged_in_username_});
}

Result<uint32_t> Client::DeleteAccount(std::string_view password) {
  if (Status status = RequireSecured(); !status.ok()) return status;
  protocol::DeleteAccountRequest request;
  uint32_t request_id = NextRequestId();
  request.request_id = request_id;
  request.password = std::string(password);
  return SendRequest(
      std::move(request), request_id,
      {protocol::Kind::kDeleteAccountRequest, logged_in_username_});
}

Result<uint32_t> Client::RequestSessionInfo() {
  if (Status status = RequireSecured(); !status.ok()) return status;
  protocol::SessionInfoRequest request;
  uint32_t request_id = NextRequestId();
  request.request_id = request_id;
  return SendRequest(request, request_id,
                     {protocol::Kind::kSessionInfoRequest, {}});
}

Result<uint64_t> Client::Ping() {
  if (Status status = RequireSecured(); !status.ok()) return status;
  protocol::Ping ping;
  ping.nonce = RandomU64();
  if (Status status = transport_->Send(session_->Seal(ping)); !status.ok()) {
    return status;
  }
  ping_sent_ms_[ping.nonce] = SteadyNowMs();
  return ping.nonce;
}

// --- Server messages ---

std::optional<Client::PendingRequest> Client::TakePending(
    uint32_t request_id, std::initializer_list<protocol::Kind> kinds) {
  auto it = pending_.find(request_id);
  if (it == pending_.end() ||
      std::find(kinds.begin(), kinds.end(), it->second.kind) == kinds.end()) {
    ++counters_.unmatched_replies;
    return std::nullopt;
  }
  PendingRequest pending = std::move(it->second);
  pending_.erase(it);
  return pending;
}

void Client::Handle(const protocol::ErrorMessage& message) {
  pending_.erase(message.request_id);
  events_.push_back(
      ErrorReply{message.request_id, message.offending_kind, message.error});
}

void Client::Handle(const protocol::Pong& message) {
  auto it = ping_sent_ms_.find(message.nonce);
  if (it == ping_sent_ms_.end()) {
    ++counters_.unmatched_replies;
    return;
  }
  uint64_t rtt = SteadyNowMs() - it->second;
  ping_sent_ms_.erase(it);
  events_.push_back(Pong{message.nonce, rtt});
}

void Client::Handle(const protocol::SessionEnded& message) {
  logged_in_username_.clear();
  if (!IsTransientEnd(message.reason)) resume_username_.clear();
  events_.push_back(SessionEnded{message.reason});
  // The server is going (or cannot serve this session): no need to wait
  // for its disconnect before trying again.
  if (state_ == State::kSecured && ShouldReconnect()) {
    ScheduleReconnect(fmt::format("{} ended the session ({})", server_,
                                  protocol::ErrorCodeName(message.reason)));
  }
}

void Client::Handle(const protocol::RegisterResult& message) {
  using protocol::Kind;
  if (!TakePending(message.request_id, {Kind::kRegisterRequest})) {
    return;
  }
  events_.push_back(Registered{message.request_id, message.error,
                               message.user_id, message.username,
                               message.retry_after_ms});
}

void Client::Handle(const protocol::LoginResult& message) {
  using protocol::ErrorCode;
  using protocol::Kind;
  std::optional<PendingRequest> pending = TakePending(
      message.request_id, {Kind::kLoginRequest, Kind::kResumeRequest});
  if (!pending) return;
  LoginResult result;
  result.request_id = message.request_id;
  result.error = message.error;
  result.user_id = message.user_id;
  result.username = message.username;
  result.observed_endpoint = message.observed_endpoint;
  result.resumed = pending->kind == Kind::kResumeRequest;
  result.retry_after_ms = message.retry_after_ms;
  Status stored = Status::Ok();
  if (message.error == ErrorCode::kOk) {
    logged_in_username_ = message.username;
    user_id_ = message.user_id;
    if (result.resumed && message.username != pending->username) {
      stored = token_store_.Remove(server_, pending->username, UnixNow());
    }
    // No token (expiry 0): the server could not store one (SPEC.md 14.3);
    // the stored token, if any, is still the newest.
    if (stored.ok() && message.token_expires_unix != 0) {
      stored = token_store_.Put({server_, message.username, message.token,
                                 message.token_expires_unix},
                                UnixNow());
    }
  } else if (result.resumed && message.error == ErrorCode::kTokenInvalid) {
    stored = token_store_.Remove(server_, pending->username, UnixNow());
  }
  if (!stored.ok()) result.token_storage_error = stored.message();
  if (reconnect_.active && message.request_id == reconnect_.resume_request_id) {
    OnReconnectResumed(result);
    return;
  }
  if (message.error == ErrorCode::kOk) {
    resume_username_ = message.username;
    ResendStoredMessages(&result);
    StartAutomaticDiscovery();
  }
  events_.push_back(std::move(result));
}

void Client::Handle(const protocol::LogoutResult& message) {
  using protocol::Kind;
  if (!TakePending(message.request_id, {Kind::kLogoutRequest})) return;
  if (message.error == protocol::ErrorCode::kOk) {
    logged_in_username_.clear();
    resume_username_.clear();
  }
  events_.push_back(LoggedOut{message.request_id, message.error});
}

void Client::Handle(const protocol::ChangePasswordResult& message) {
  using protocol::Kind;
  std::optional<PendingRequest> pending =
      TakePending(message.request_id, {Kind::kChangePasswordRequest});
  if (!pending) return;
  PasswordChanged result{
      message.request_id, message.error, message.retry_after_ms, {}};
  if (message.error == protocol::ErrorCode::kOk) {
    if (pending->username.empty()) {
      result.token_storage_error = "no logged-in username to store it under";
    } else if (Status stored =
                   token_store_.Put({server_, pending->username, message.token,
                                     message.token_expires_unix},
                                    UnixNow());
               !stored.ok()) {
      result.token_storage_error = stored.message();
    }
  }
  events_.push_back(std::move(result));
}

void Client::Handle(const protocol::DeleteAccountResult& message) {
  using protocol::Kind;
  std::optional<PendingRequest> pending =
      TakePending(message.request_id, {Kind::kDeleteAccountRequest});
  if (!pending) return;
  if (message.error == protocol::ErrorCode::kOk) {
    if (!pending->username.empty()) {
      // The server deleted every token; a failure here leaves a dead line.
      token_store_.Remove(server_, pending->username, UnixNow());
    }
    // A later account with the same name must not send these.
    if (outbox_file_) {
      std::error_code ignored;
      std::filesystem::remove(outbox_file_->file(), ignored);
      outbox_file_.reset();
    }
    restored_ids_.clear();
    logged_in_username_.clear();
    resume_username_.clear();
  }
  events_.push_back(AccountDeleted{message.request_id, message.error,
                                   message.retry_after_ms});
}

void Client::Handle(const protocol::SessionInfo& message) {
  using protocol::Kind;
  if (!TakePending(message.request_id, {Kind::kSessionInfoRequest})) {
    return;
  }
  SessionInfo info;
  info.request_id = message.request_id;
  info.user_id = message.user_id;
  info.username = message.username;
  info.observed_endpoint = message.observed_endpoint;
  info.lan_endpoint = message.lan_endpoint;
  info.client_version = message.client_version;
  info.login_unix = message.login_unix;
  events_.push_back(std::move(info));
}

}  // namespace hail::client
