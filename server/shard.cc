#include "server/shard.h"

#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cassert>
#include <chrono>
#include <cstdlib>
#include <utility>

#include "protocol/enet_wire.h"
#include "server/peer_datagram_check.h"
#include "server/store_bridge.h"
#include "server/stun_responder.h"

namespace hail::server {

using protocol::ErrorCode;
using protocol::ServerSession;

namespace {

// The shard whose loop runs on this thread; ENet's intercept callback has no
// user-data argument, and each host is serviced by exactly one thread.
thread_local Shard* current_shard = nullptr;

constexpr uint64_t kTimerIntervalMs = 250;
constexpr uint64_t kDrainTimeoutMs = 3000;
constexpr int kPollTimeoutMs = 50;
constexpr int kMaxEventsPerTurn = 4096;
// A host with nothing to read is serviced this often, for ENet's timers.
constexpr uint64_t kIdleServiceMs = 10;
// A TCP connection must finish the secure handshake this soon: it passed
// no cookie check (SPEC.md 3.8).
constexpr uint64_t kTcpHandshakeDeadlineMs = 5000;

}  // namespace

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

KeyLogWriter::KeyLogWriter(const std::string& path)
    : file_(std::fopen(path.c_str(), "a")) {}

KeyLogWriter::~KeyLogWriter() {
  if (file_) std::fclose(file_);
}

void KeyLogWriter::Append(std::string_view line) {
  MutexLock lock(&mutex_);
  if (!file_) return;
  std::fwrite(line.data(), 1, line.size(), file_);
  std::fflush(file_);
}

namespace {

core::CoreServices ServicesOf(const SharedState* shared) {
  core::CoreServices services;
  services.directory = shared->directory;
  services.undecided = shared->undecided;
  services.counters = shared->counters;
  services.p2p_broker = shared->p2p_broker;
  services.p2p_per_pair = shared->p2p_per_pair;
  return services;
}

}  // namespace

Shard::Shard(unsigned index, SharedState* shared)
    : index_(index), shared_(shared), core_(index, ServicesOf(shared), this) {
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

Shard::~Shard() {
  Join();
  if (wake_fd_ >= 0) close(wake_fd_);
}

Status Shard::Bind(const protocol::Endpoint& listen, size_t hosts,
                   size_t peers_per_host) {
  if (wake_fd_ < 0) return Status::IoError("eventfd failed");
  assert(hosts > 0 && hosts_.empty());
  EnetHostLimits limits;
  limits.peers = peers_per_host;
  limits.peers_per_ip = shared_->config->max_peers_per_ip;
  protocol::Endpoint at = listen;
  hosts_.reserve(hosts);  // HostSlot addresses are kept by EnetLinks
  for (size_t i = 0; i < hosts; ++i) {
    Result<std::unique_ptr<EnetHost>> host = EnetHost::Bind(at, limits);
    if (!host.ok()) return host.status();
    at.port = (*host)->bound().port;  // later hosts join the same port
    (*host)->get()->intercept = &Shard::InterceptThunk;
    HalfOpenGuard::Limits half_open;
    half_open.per_address = shared_->config->max_half_open_per_ip;
    half_open.per_host = HalfOpenGuard::PerHostLimit(peers_per_host);
    hosts_.push_back(HostSlot{std::move(*host), HalfOpenGuard(half_open)});
  }
  return Status::Ok();
}

Shard::HostSlot& Shard::SlotOf(const ENetHost* host) {
  for (HostSlot& slot : hosts_) {
    if (slot.host->get() == host) return slot;
  }
  std::abort();  // every host this loop services is one of its own
}

Status Shard::ListenTcp(const protocol::Endpoint& listen) {
  TcpListener::Callbacks callbacks;
  callbacks.opened = [this](const protocol::Endpoint& observed) {
    return OnTcpOpened(observed);
  };
  callbacks.frame = [this](uint64_t id, uint8_t channel,
                           protocol::ByteSpan frame) {
    OnTcpFrame(id, channel, frame);
  };
  callbacks.closed = [this](uint64_t id) { OnTcpClosed(id); };
  Result<std::unique_ptr<TcpListener>> tcp = TcpListener::Listen(
      listen, std::move(callbacks), shared_->counters, shared_->tcp_per_ip);
  if (!tcp.ok()) return tcp.status();
  tcp_ = std::move(*tcp);
  return Status::Ok();
}

void Shard::Start() {
  thread_ = std::thread([this] { Run(); });
}

void Shard::Post(std::function<void()> task) {
  {
    MutexLock lock(&posted_mutex_);
    posted_.push_back(std::move(task));
  }
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = write(wake_fd_, &one, sizeof one);
}

void Shard::PostEnvelopes(std::vector<core::Envelope> envelopes) {
  bool wake;
  {
    MutexLock lock(&posted_mutex_);
    // One wake-up per batch: a loop already woken needs no other.
    wake = inbox_.empty();
    if (wake) {
      inbox_ = std::move(envelopes);
    } else {
      for (core::Envelope& e : envelopes) inbox_.push_back(std::move(e));
    }
  }
  if (!wake) return;
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = write(wake_fd_, &one, sizeof one);
}

void Shard::BeginDrain() {
  Post([this] {
    if (draining_) return;
    draining_ = true;
    drain_deadline_ms_ = SteadyNowMs() + kDrainTimeoutMs;
    for (auto& [id, s] : sessions_) EndSession(*s, ErrorCode::kShuttingDown);
  });
}

void Shard::Join() {
  if (thread_.joinable()) thread_.join();
}

void Shard::Run() {
  std::string name = "hail-loop" + std::to_string(index_);
  pthread_setname_np(pthread_self(), name.c_str());
  current_shard = this;
  owner_.Bind();
  outgoing_.resize(shared_->shards.size());
  while (!stop_) {
    // [wake, alternate STUN (fd -1 is ignored), hosts..., TCP...]
    poll_fds_.clear();
    poll_fds_.push_back({wake_fd_, POLLIN, 0});
    poll_fds_.push_back({stun_socket_ ? stun_socket_->fd() : -1, POLLIN, 0});
    for (HostSlot& slot : hosts_) {
      poll_fds_.push_back({slot.host->socket_fd(), POLLIN, 0});
    }
    const size_t tcp_first = poll_fds_.size();
    if (tcp_) tcp_->AddPollFds(&poll_fds_);
    poll(poll_fds_.data(), poll_fds_.size(), kPollTimeoutMs);
    now_ms_ = SteadyNowMs();
    if (stun_socket_ && (poll_fds_[1].revents & POLLIN)) {
      stun_socket_->Serve(now_ms_);
    }
    if (poll_fds_[0].revents & POLLIN) {
      uint64_t count;
      [[maybe_unused]] ssize_t n = read(wake_fd_, &count, sizeof count);
    }
    RunPostedTasks();
    RunPostedEnvelopes();
    for (size_t i = 0; i < hosts_.size(); ++i) {
      // ENet's service walks every peer slot of the host: a quiet host is
      // serviced only for its timers (retransmits, pings), every
      // kIdleServiceMs.
      bool readable = poll_fds_[2 + i].revents & POLLIN;
      if (readable || now_ms_ - hosts_[i].serviced_ms >= kIdleServiceMs) {
        ServiceEnet(hosts_[i]);
      }
    }
    if (tcp_) {
      tcp_->Service(std::span<const pollfd>(poll_fds_).subspan(tcp_first),
                    now_ms_);
    }
    if (now_ms_ - last_timer_ms_ >= kTimerIntervalMs) {
      last_timer_ms_ = now_ms_;
      CheckTimers(now_ms_);
    }
    FlushOutgoing();
    FlushHosts();
    if (draining_ && (sessions_.empty() || now_ms_ >= drain_deadline_ms_)) {
      stop_ = true;
    }
  }
  RunPostedTasks();
  RunPostedEnvelopes();
  FlushOutgoing();
  for (HostSlot& slot : hosts_) slot.dirty = true;
  FlushHosts();
  current_shard = nullptr;
}

void Shard::FlushHosts() {
  for (HostSlot& slot : hosts_) {
    if (!slot.dirty) continue;
    slot.dirty = false;
    enet_host_flush(slot.host->get());
  }
}

void Shard::RunPostedTasks() {
  owner_.Check();
  std::vector<std::function<void()>> tasks;
  {
    MutexLock lock(&posted_mutex_);
    tasks.swap(posted_);
  }
  for (auto& task : tasks) task();
}

void Shard::RunPostedEnvelopes() {
  std::vector<core::Envelope> envelopes;
  {
    MutexLock lock(&posted_mutex_);
    envelopes.swap(inbox_);
  }
  for (core::Envelope& e : envelopes) core_.Receive(std::move(e), now_ms_);
}

void Shard::FlushOutgoing() {
  owner_.Check();
  for (size_t loop = 0; loop < outgoing_.size(); ++loop) {
    if (outgoing_[loop].empty()) continue;
    std::vector<core::Envelope> batch;
    batch.swap(outgoing_[loop]);
    shared_->shards[loop]->PostEnvelopes(std::move(batch));
  }
}

// --- core::Effects ---

void Shard::Send(uint64_t session, const protocol::Message& message) {
  if (PeerSession* s = Find(session)) SendMessage(*s, message);
}

void Shard::Post(core::Envelope envelope) {
  owner_.Check();
  outgoing_[envelope.to.loop].push_back(std::move(envelope));
}

void Shard::Store(core::StoreRequest request) {
  RunStore(shared_, std::move(request));
}

void Shard::RunStore(SharedState* shared, core::StoreRequest request) {
  RunStoreRequest(
      shared->chats, std::move(request), [shared](core::StoreDone done) {
        uint32_t loop =
            core::LoopCore::CompletionLoop(&done, *shared->directory);
        std::vector<core::Envelope> one;
        one.push_back(core::Envelope{{loop, 0, 0}, std::move(done)});
        shared->shards[loop]->PostEnvelopes(std::move(one));
      });
}

void Shard::EndSession(uint64_t session, ErrorCode reason) {
  if (PeerSession* s = Find(session)) EndSession(*s, reason);
}

void Shard::LoadLogin(const core::SessionAddress& address) {
  if (PeerSession* s = Find(address.session)) LoadLoginState(*s, address);
}

void Shard::ServiceEnet(HostSlot& slot) {
  slot.serviced_ms = now_ms_;
  ENetEvent event;
  for (int i = 0; i < kMaxEventsPerTurn; ++i) {
    int rc = enet_host_service(slot.host->get(), &event, 0);
    if (rc == 0) return;
    if (rc < 0) {
      // ENet reports a received datagram over its 4096-byte buffer (and
      // socket errors) this way; the datagram is gone, the host is fine.
      shared_->counters->enet_service_errors++;
      return;
    }
    switch (event.type) {
      case ENET_EVENT_TYPE_CONNECT:
        OnConnect(event.peer);
        break;
      case ENET_EVENT_TYPE_RECEIVE:
        OnReceive(event.peer, event.channelID, event.packet);
        enet_packet_destroy(event.packet);
        break;
      case ENET_EVENT_TYPE_DISCONNECT:
        OnDisconnect(event.peer);
        break;
      case ENET_EVENT_TYPE_NONE:
        break;
    }
  }
}

void Shard::SweepHalfOpen(uint64_t now_ms) {
  for (HostSlot& slot : hosts_) {
    size_t expired = 0;
    size_t now = slot.half_open.Sweep(slot.host->get(), now_ms, &expired);
    shared_->counters->half_open_expired += expired;
    shared_->counters->peers_half_open +=
        static_cast<int64_t>(now) - static_cast<int64_t>(slot.half_open_now);
    slot.half_open_now = now;
  }
}

void Shard::CheckTimers(uint64_t now_ms) {
  core_.Tick(now_ms);
  SweepHalfOpen(now_ms);
  std::vector<PeerSession*> all;
  all.reserve(sessions_.size());
  for (auto& [id, s] : sessions_) all.push_back(s.get());
  for (PeerSession* s : all) {
    if (s->link->kind() == Link::Kind::kTcp &&
        s->session.state() == ServerSession::State::kAwaitingHello &&
        now_ms - s->opened_ms >= kTcpHandshakeDeadlineMs) {
      shared_->counters->tcp_closed_handshake_timeout++;
      EndSession(*s, ErrorCode::kTimeout);
      continue;
    }
    ServerSession::Output out = s->session.OnTimer(now_ms);
    if (out.close == ErrorCode::kTimeout)
      shared_->counters->sessions_timed_out++;
    Apply(*s, std::move(out));
  }
}

void Shard::OnConnect(ENetPeer* peer) {
  if (draining_) {
    enet_peer_disconnect_now(
        peer, static_cast<enet_uint32>(ErrorCode::kShuttingDown));
    return;
  }
  shared_->counters->peers_allocated++;
  shared_->counters->peers_current++;
  enet_peer_ping_interval(peer, kPeerPingIntervalMs);
  enet_peer_timeout(peer, kPeerTimeoutLimit, kPeerTimeoutMinimumMs,
                    kPeerTimeoutMaximumMs);
  uint64_t id = next_session_id_++;
  auto s = std::make_unique<PeerSession>(
      id, std::make_unique<EnetLink>(peer, &SlotOf(peer->host).dirty),
      shared_->identity, now_ms_);
  s->observed = ToEndpoint(peer->address);
  s->session.set_send_fault(shared_->faults);
  peer->data = s.get();
  sessions_.emplace(id, std::move(s));
  session_count_ = sessions_.size();
}

void Shard::OnReceive(ENetPeer* peer, uint8_t channel, ENetPacket* packet) {
  auto* s = static_cast<PeerSession*>(peer->data);
  if (s == nullptr) return;
  ServerSession::Output out = s->session.OnPacket(
      channel, protocol::ByteSpan(packet->data, packet->dataLength), now_ms_);
  Apply(*s, std::move(out));
}

void Shard::Apply(PeerSession& s, ServerSession::Output out) {
  Counters& counters = *shared_->counters;
  switch (out.drop) {
    case protocol::DropReason::kNone:
      break;
    case protocol::DropReason::kBadTag:
      counters.frames_bad_tag++;
      break;
    case protocol::DropReason::kReplayed:
      counters.frames_replayed++;
      break;
    case protocol::DropReason::kBadFrame:
    case protocol::DropReason::kUnexpectedPlain:
      counters.frames_bad++;
      break;
  }
  if (out.answered_error) counters.errors_answered++;
  if (out.key_log_line && shared_->key_log) {
    shared_->key_log->Append(*out.key_log_line);
  }
  for (const protocol::OutgoingFrame& frame : out.frames) {
    if (shared_->faults && !frame.bytes.empty() &&
        frame.bytes[0] == protocol::kFramePlain) {
      protocol::OutgoingFrame changed = frame;
      shared_->faults->ChangeHandshakeFrame(changed.bytes);
      Send(s, changed);
      continue;
    }
    Send(s, frame);
  }
  if (out.close) {
    Forget(s);
    s.link->CloseLater(*out.close);
    return;
  }
  if (out.request) HandleRequest(s, std::move(*out.request));
}

void Shard::Send(PeerSession& s, const protocol::OutgoingFrame& frame) {
  if (frame.bytes.empty()) {
    // Only a server bug can produce an over-long field; never send it cut.
    shared_->logger->Error("refused to send an over-long message to session {}",
                           s.id);
    return;
  }
  s.link->Send(frame);
}

void Shard::SendMessage(PeerSession& s, const protocol::Message& message) {
  Send(s, s.session.Seal(message));
}

void Shard::EndSession(PeerSession& s, ErrorCode reason) {
  ServerSession::State state = s.session.state();
  if (state == ServerSession::State::kClosed) return;
  if (state != ServerSession::State::kAwaitingHello) {
    SendMessage(s, protocol::SessionEnded{reason});
  }
  Forget(s);
  s.link->CloseLater(reason);
}

void Shard::Forget(PeerSession& s) {
  if (s.session.state() == ServerSession::State::kLoggedIn) EndLogin(s);
  s.session.Close();
}

Shard::PeerSession* Shard::Find(uint64_t session_id) {
  auto it = sessions_.find(session_id);
  if (it == sessions_.end()) return nullptr;
  if (it->second->session.state() == ServerSession::State::kClosed) {
    return nullptr;
  }
  return it->second.get();
}

int Shard::InterceptThunk(ENetHost* host, ENetEvent*) {
  return current_shard ? current_shard->OnRawDatagram(host) : 0;
}

int Shard::OnRawDatagram(ENetHost* host) {
  ForgetVerifiedDatagram();
  EnetHost& raw = *SlotOf(host).host;
  protocol::ByteSpan datagram(host->receivedData, host->receivedDataLength);
  Counters& counters = *shared_->counters;
  const ENetAddress& from = host->receivedAddress;
  protocol::Endpoint source = ToEndpoint(from);
  switch (
      protocol::ClassifyDatagram(datagram, ClassicStunAllowed(host, from))) {
    case protocol::DatagramClass::kHail: {
      if (auto hello = protocol::DecodeHello(datagram)) {
        counters.hello_received++;
        if (draining_) {
          // A cookie now would only earn a CONNECT this server refuses:
          // silence sends the client's retry to the next server.
          counters.hellos_dropped_draining++;
          return 1;
        }
        if (hello->version != protocol::kPresessionVersion) {
          protocol::PresessionRejectDatagram reject;
          reject.client_nonce = hello->client_nonce;
          protocol::Bytes reply = protocol::EncodePresessionReject(reject);
          if (shared_->faults) shared_->faults->ChangePresessionReply(reply);
          raw.SendRaw(from, reply);
          counters.presession_rejects_sent++;
          return 1;
        }
        protocol::CookieDatagram cookie;
        cookie.client_nonce = hello->client_nonce;
        cookie.cookie = shared_->cookies->Mint(source, UnixNow());
        protocol::Bytes reply = protocol::EncodeCookie(cookie);
        static_assert(protocol::kCookieSize <= protocol::kHelloSize);
        if (shared_->faults) shared_->faults->ChangePresessionReply(reply);
        raw.SendRaw(from, reply);
        counters.cookies_sent++;
        return 1;
      }
      counters.presession_malformed++;
      return 1;
    }
    case protocol::DatagramClass::kStun:
      if (std::optional<protocol::Bytes> reply = shared_->stun->Answer(
              datagram, source, /*on_alternate=*/false, SteadyNowMs())) {
        raw.SendRaw(from, *reply);
      }
      return 1;
    case protocol::DatagramClass::kEnet:
      break;
  }
  std::optional<protocol::enet_wire::Header> header =
      protocol::enet_wire::ParseHeader(datagram, /*with_checksum=*/true);
  if (!header) {
    counters.peerless_malformed++;
    return 1;
  }
  if (header->peer_id != protocol::enet_wire::kNoPeerId) {
    // For a peer: what ENet would drop without a word is dropped and
    // counted here (SPEC.md 4.3).
    switch (JudgePeerDatagram(host, *header)) {
      case PeerDatagramVerdict::kPass:
        if (std::optional<uint32_t> total =
                OversizedPacketLength(datagram, host->maximumPacketSize)) {
          // ENet still reads the datagram (its acknowledgements come first)
          // and refuses the fragment; the session ends (SPEC.md 4.6).
          counters.peer_datagrams_packet_too_large++;
          OnOversizedPacket(host->peers[header->peer_id], *total);
        }
        return 0;
      case PeerDatagramVerdict::kNoSuchPeer:
        counters.peer_datagrams_no_peer++;
        return 1;
      case PeerDatagramVerdict::kWrongSource:
      case PeerDatagramVerdict::kWrongSession:
        counters.peer_datagrams_wrong_source++;
        return 1;
      case PeerDatagramVerdict::kCompressed:
      case PeerDatagramVerdict::kBadChecksum:
        counters.peer_datagrams_bad_checksum++;
        return 1;
    }
  }
  std::optional<protocol::enet_wire::Connect> connect =
      protocol::enet_wire::ParsePeerlessConnect(datagram, true);
  if (!connect) {
    counters.peerless_malformed++;
    return 1;
  }
  if (draining_ ||
      (!shared_->cookies->Verify(source, connect->data, UnixNow()) &&
       !(shared_->faults && shared_->faults->AdmitsAnyCookie()))) {
    counters.connects_rejected++;
    return 1;
  }
  // SPEC.md 4.3: a cookie does not buy a peer slot per connect id.
  HalfOpenGuard::Judgement judged =
      SlotOf(host).half_open.Judge(host, from, connect->connect_id, now_ms_);
  switch (judged.verdict) {
    case HalfOpenGuard::Verdict::kRetransmit:
      return 0;  // ENet ignores it
    case HalfOpenGuard::Verdict::kOneAtATime:
    case HalfOpenGuard::Verdict::kTooManyFromAddress:
    case HalfOpenGuard::Verdict::kTooManyOnHost:
      counters.connects_refused_half_open++;
      return 1;
    case HalfOpenGuard::Verdict::kReplace:
      // The client started over: no event was ever reported for the old
      // one, and resetting it frees its slot without a word.
      enet_peer_reset(&host->peers[judged.stale_slot]);
      counters.half_open_replaced++;
      break;
    case HalfOpenGuard::Verdict::kAdmit:
      break;
  }
  counters.connects_accepted++;
  return 0;
}

void Shard::OnOversizedPacket(ENetPeer& peer, uint32_t total_length) {
  auto* s = static_cast<PeerSession*>(peer.data);
  if (s == nullptr || s->session.state() == ServerSession::State::kClosed) {
    return;  // counted; the session is already ending
  }
  shared_->counters->sessions_packet_too_large++;
  shared_->logger->Warn(
      "session {} from {} sent a {}-byte packet, over the {}-byte limit: "
      "ending it with MALFORMED",
      s->id, s->observed.ToString(), total_length,
      peer.host->maximumPacketSize);
  EndSession(*s, ErrorCode::kMalformed);
}

bool Shard::ClassicStunAllowed(const ENetHost* host, const ENetAddress& from) {
  // A classic request starts 00 01: peer id 1, session 0. ENet drops it
  // unless the host's peer 1 is in use by exactly this source address.
  if (host->peerCount < 2) return true;
  const ENetPeer& peer = host->peers[1];
  bool in_use = peer.state != ENET_PEER_STATE_DISCONNECTED &&
                peer.state != ENET_PEER_STATE_ZOMBIE;
  return !in_use || peer.address.host != from.host ||
         peer.address.port != from.port;
}

void Shard::OnDisconnect(ENetPeer* peer) {
  auto* s = static_cast<PeerSession*>(peer->data);
  peer->data = nullptr;
  if (s == nullptr) return;
  shared_->counters->peers_current--;
  OnLinkGone(*s);
}

void Shard::OnLinkGone(PeerSession& s) {
  if (s.session.state() == ServerSession::State::kLoggedIn) EndLogin(s);
  sessions_.erase(s.id);
  session_count_ = sessions_.size();
}

uint64_t Shard::OnTcpOpened(const protocol::Endpoint& observed) {
  if (draining_) return 0;
  uint64_t id = next_session_id_++;
  auto s = std::make_unique<PeerSession>(
      id, std::make_unique<TcpLink>(tcp_.get(), id), shared_->identity,
      now_ms_);
  s->observed = observed;
  s->session.set_send_fault(shared_->faults);
  sessions_.emplace(id, std::move(s));
  session_count_ = sessions_.size();
  return id;
}

void Shard::OnTcpFrame(uint64_t session_id, uint8_t channel,
                       protocol::ByteSpan frame) {
  auto it = sessions_.find(session_id);
  if (it == sessions_.end()) return;
  PeerSession& s = *it->second;
  Apply(s, s.session.OnPacket(channel, frame, now_ms_));
}

void Shard::OnTcpClosed(uint64_t session_id) {
  auto it = sessions_.find(session_id);
  if (it != sessions_.end()) OnLinkGone(*it->second);
}

}  // namespace hail::server
