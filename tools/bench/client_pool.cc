#include "tools/bench/client_pool.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "client/enet_transport.h"
#include "protocol/presession.h"
#include "protocol/registry.h"

namespace hail::bench {
namespace {

// ENetHost has no user-data field: the pool servicing a host on this
// thread names itself (and the host) here for the duration of the
// enet_host_service call, which is when ENet calls the intercept.
struct Servicing {
  ClientPool* pool = nullptr;
  uint32_t host = 0;
};
thread_local Servicing servicing;

// The client's ENet settings (SPEC.md 4.7), as the client library has them.
constexpr uint32_t kPingIntervalMs = client::EnetTransport::kPingIntervalMs;
constexpr uint32_t kTimeoutLimit = client::EnetTransport::kTimeoutLimit;
constexpr uint32_t kTimeoutMinimumMs = client::EnetTransport::kTimeoutMinimumMs;
constexpr uint32_t kTimeoutMaximumMs = client::EnetTransport::kTimeoutMaximumMs;
constexpr size_t kMaximumPacketSize = 65536;
constexpr size_t kMaxErrorLines = 20;
// First source address: 127.1.0.1; one per group of clients_per_address.
constexpr uint32_t kFirstSourceAddress = 0x7f010001;

}  // namespace

ClientPool::ClientPool(PoolOptions options, const BenchState* state,
                       std::vector<Account> accounts,
                       std::optional<protocol::PublicKey> identity)
    : options_(options),
      state_(state),
      accounts_(std::move(accounts)),
      identity_(identity),
      ledger_(options.run, options.clients),
      picker_(options.clients, options.group_size, options.seed) {
  accounts_.resize(options_.end);
  uint32_t count = options_.end - options_.begin;
  wanted_.assign(count, false);
  for (uint32_t i = 0; i < count; ++i) {
    clients_.push_back(std::make_unique<SimClient>(
        this, options_.begin + i, i, &accounts_[options_.begin + i]));
  }
}

ClientPool::~ClientPool() {
  for (Host& h : hosts_) {
    if (h.host != nullptr) enet_host_destroy(h.host);
  }
  if (epoll_fd_ >= 0) close(epoll_fd_);
}

Status ClientPool::Open() {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) return Status::IoError("epoll_create1 failed");
  uint32_t per = options_.clients_per_address;
  uint32_t count = options_.end - options_.begin;
  uint32_t host_count = (count + per - 1) / per;
  hosts_.resize(host_count);
  UpdateClock();
  for (uint32_t h = 0; h < host_count; ++h) {
    Host& host = hosts_[h];
    // Global host number: stable across pools and runs for a client.
    host.address = kFirstSourceAddress + options_.begin / per + h;
    ENetAddress bind{};
    bind.host = htonl(host.address);
    bind.port = ENET_PORT_ANY;
    // A few spare slots: a disconnected peer is reused only once reset.
    host.host = enet_host_create(&bind, per + 4, protocol::kChannelCount, 0, 0);
    if (host.host == nullptr) {
      return Status::IoError(
          fmt::format("cannot bind an ENet host to {}.{}.{}.{}",
                      host.address >> 24, (host.address >> 16) & 255,
                      (host.address >> 8) & 255, host.address & 255));
    }
    host.host->checksum = enet_crc32;
    host.host->intercept = &ClientPool::Intercept;
    host.host->maximumPacketSize = kMaximumPacketSize;
    for (uint32_t i = h * per; i < std::min(count, (h + 1) * per); ++i) {
      host.locals.push_back(i);
    }
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u32 = h;
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, host.host->socket, &event) != 0) {
      return Status::IoError("epoll_ctl failed");
    }
    // Stagger periodic services over the interval.
    host.next_service_ms =
        static_cast<int64_t>(now_ms_) + h % kServiceIntervalMs;
    services_.push({host.next_service_ms, h});
  }
  return Status::Ok();
}

void ClientPool::UpdateClock() {
  now_ns_ = std::chrono::duration_cast<std::chrono::nanoseconds>(
                Clock::now().time_since_epoch())
                .count();
  now_ms_ = static_cast<uint64_t>(now_ns_ / 1'000'000);
}

int64_t ClientPool::ClockNowNs() {
  UpdateClock();
  return now_ns_;
}

void ClientPool::Error(std::string line) {
  ++error_count_;
  if (errors_.size() < kMaxErrorLines) errors_.push_back(std::move(line));
}

protocol::Endpoint ClientPool::LocalEndpoint(const SimClient& client) const {
  const Host& host = HostOf(client);
  return protocol::Endpoint::Ipv4(host.address, host.host->address.port);
}

void ClientPool::SendHello(const SimClient& client,
                           protocol::ByteSpan datagram) {
  ENetAddress server{htonl(options_.server_host), options_.server_port};
  ENetBuffer buffer;
  buffer.data = const_cast<uint8_t*>(datagram.data());
  buffer.dataLength = datagram.size();
  enet_socket_send(HostOf(client).host->socket, &server, &buffer, 1);
}

ENetPeer* ClientPool::Connect(SimClient& client, uint32_t data) {
  ENetAddress server{htonl(options_.server_host), options_.server_port};
  if (options_.mode == PoolMode::kRelay) {
    server.port = static_cast<uint16_t>(options_.server_port +
                                        client.index() / kRelayPeersPerPort);
  }
  Host& host = HostOf(client);
  ENetPeer* peer =
      enet_host_connect(host.host, &server, protocol::kChannelCount, data);
  if (peer == nullptr) return nullptr;
  peer->data = &client;
  enet_peer_ping_interval(peer, kPingIntervalMs);
  enet_peer_timeout(peer, kTimeoutLimit, kTimeoutMinimumMs, kTimeoutMaximumMs);
  Send(client, 0, {});  // marks the host for a flush
  return peer;
}

void ClientPool::Send(const SimClient& client, uint8_t channel,
                      protocol::ByteSpan bytes) {
  uint32_t h = client.local() / options_.clients_per_address;
  if (!hosts_[h].dirty) {
    hosts_[h].dirty = true;
    dirty_.push_back(h);
  }
  if (bytes.empty() || client.peer() == nullptr) return;
  ENetPacket* packet =
      enet_packet_create(bytes.data(), bytes.size(), ENET_PACKET_FLAG_RELIABLE);
  if (packet == nullptr ||
      enet_peer_send(client.peer(), channel, packet) != 0) {
    if (packet != nullptr) enet_packet_destroy(packet);
    Error(fmt::format("client {}: ENet refused a packet", client.index()));
  }
}

void ClientPool::Schedule(const SimClient& client, uint64_t at_ms) {
  timers_.push({static_cast<int64_t>(at_ms), client.local()});
}

void ClientPool::QueueStart(const SimClient& client) {
  start_queue_.push(client.local());
}

void ClientPool::OnStateChange(SimClient& client, SimClient::State from,
                               SimClient::State to) {
  bool was_connecting = from != SimClient::State::kOffline &&
                        from != SimClient::State::kReady &&
                        from != SimClient::State::kClosing;
  bool is_connecting = client.connecting();
  if (was_connecting && !is_connecting) --in_progress_;
  if (!was_connecting && is_connecting) ++in_progress_;
  if (to == SimClient::State::kReady) {
    progress_.ready.fetch_add(1, std::memory_order_relaxed);
    picker_.SetOnline(client.index(), true);
  } else if (from == SimClient::State::kReady) {
    progress_.ready.fetch_sub(1, std::memory_order_relaxed);
    picker_.SetOnline(client.index(), false);
  }
}

void ClientPool::SetWanted(const Selector& which, bool online) {
  for (auto& c : clients_) {
    if (!which(c->index()) || wanted_[c->local()] == online) continue;
    wanted_[c->local()] = online;
    if (online && c->state() == SimClient::State::kOffline) QueueStart(*c);
    if (!online) c->Leave();
  }
}

uint32_t ClientPool::Count(const Selector& which) const {
  uint32_t n = 0;
  for (const auto& c : clients_) n += which(c->index()) ? 1 : 0;
  return n;
}

uint32_t ClientPool::ReadyCount(const Selector& which) const {
  uint32_t n = 0;
  for (const auto& c : clients_) {
    if (which(c->index()) && c->state() == SimClient::State::kReady) ++n;
  }
  return n;
}

void ClientPool::AskContacts() {
  contacts_wanted_ = true;
  for (auto& c : clients_) {
    if (c->state() == SimClient::State::kReady) c->FixContacts();
  }
}

uint32_t ClientPool::ConnectedCount() const {
  uint32_t n = 0;
  for (const auto& c : clients_) n += c->peer() != nullptr ? 1 : 0;
  return n;
}

uint32_t ClientPool::ContactsCompleteCount(const Selector& which) const {
  uint32_t n = 0;
  for (const auto& c : clients_) {
    if (which(c->index()) && c->state() == SimClient::State::kReady &&
        c->contacts_complete())
      ++n;
  }
  return n;
}

bool ClientPool::SeesOffline(const Selector& which,
                             const Selector& mates) const {
  for (const auto& c : clients_) {
    if (!which(c->index())) continue;
    if (c->state() == SimClient::State::kReady && !c->sees_offline(mates))
      return false;
  }
  return true;
}

void ClientPool::SendFrom(uint32_t sender, uint32_t recipient, int64_t now_ns) {
  MessageStamp stamp = ledger_.RecordSend(sender, recipient, now_ns);
  progress_.sent.fetch_add(1, std::memory_order_relaxed);
  client(sender)->SendChat(recipient,
                           EncodeStamp(stamp, options_.message_size));
}

bool ClientPool::SendRandom(int64_t now_ns) {
  std::optional<Pair> pair = picker_.Pick();
  if (!pair) return false;
  SendFrom(pair->sender, pair->recipient, now_ns);
  return true;
}

int ENET_CALLBACK ClientPool::Intercept(ENetHost* host, ENetEvent*) {
  ClientPool* pool = servicing.pool;
  if (pool == nullptr) return 0;
  Host& slot = pool->hosts_[servicing.host];
  if (slot.host != host) return 0;
  protocol::ByteSpan datagram(host->receivedData, host->receivedDataLength);
  if (protocol::ClassifyDatagram(datagram) != protocol::DatagramClass::kHail) {
    return 0;  // ENet's
  }
  for (uint32_t local : slot.locals) {
    if (pool->clients_[local]->OnPresession(datagram, pool->now_ms_)) break;
  }
  return 1;
}

void ClientPool::Dispatch(const ENetEvent& event) {
  auto* c = static_cast<SimClient*>(event.peer->data);
  switch (event.type) {
    case ENET_EVENT_TYPE_CONNECT:
      if (c != nullptr) c->OnConnected(event.peer);
      break;
    case ENET_EVENT_TYPE_RECEIVE:
      if (c != nullptr) {
        c->OnReceive(
            event.channelID,
            protocol::ByteSpan(event.packet->data, event.packet->dataLength));
      }
      enet_packet_destroy(event.packet);
      break;
    case ENET_EVENT_TYPE_DISCONNECT:
      event.peer->data = nullptr;
      if (c != nullptr && c->peer() == event.peer)
        c->OnDisconnected(event.data);
      break;
    case ENET_EVENT_TYPE_NONE:
      break;
  }
}

void ClientPool::ServiceHost(uint32_t h) {
  Host& host = hosts_[h];
  Servicing saved = servicing;
  servicing = Servicing{this, h};
  ENetEvent event;
  for (int i = 0; i < 4096; ++i) {
    int result = enet_host_service(host.host, &event, 0);
    if (result < 0) {
      // An oversized datagram (ENet's 4096-byte receive buffer) or a socket
      // error: counted; the datagram is gone, keep draining.
      progress_.service_errors.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    if (result == 0) break;
    Dispatch(event);
  }
  servicing = saved;
  host.next_service_ms = static_cast<int64_t>(now_ms_) + kServiceIntervalMs;
}

void ClientPool::StartQueued() {
  while (!start_queue_.empty() && in_progress_ < options_.login_concurrency) {
    SimClient& c = *clients_[start_queue_.front()];
    start_queue_.pop();
    if (wanted_[c.local()] && c.state() == SimClient::State::kOffline) {
      c.Start(now_ms_);
    }
  }
}

void ClientPool::FireTimers() {
  while (!timers_.empty() &&
         timers_.top().first <= static_cast<int64_t>(now_ms_)) {
    uint32_t local = timers_.top().second;
    timers_.pop();
    clients_[local]->OnTimer(now_ms_);
  }
}

void ClientPool::ServiceDueHosts() {
  while (!services_.empty() &&
         services_.top().first <= static_cast<int64_t>(now_ms_)) {
    auto [due, h] = services_.top();
    services_.pop();
    if (hosts_[h].next_service_ms > due) {
      services_.push({hosts_[h].next_service_ms, h});  // serviced meanwhile
      continue;
    }
    ServiceHost(h);
    services_.push({hosts_[h].next_service_ms, h});
  }
}

void ClientPool::FlushDirty() {
  for (uint32_t h : dirty_) {
    hosts_[h].dirty = false;
    enet_host_flush(hosts_[h].host);
  }
  dirty_.clear();
}

bool ClientPool::RunUntil(const std::function<bool()>& done,
                          Clock::time_point deadline,
                          const std::function<void(int64_t)>& tick,
                          const std::function<int64_t()>& next_tick_ns) {
  epoll_event events[256];
  // done() may walk every client (O(clients)); at 50,000 clients it is
  // checked every kDoneCheckMs rather than on every loop iteration.
  uint64_t next_check_ms = 0;
  while (true) {
    UpdateClock();
    if (now_ms_ >= next_check_ms) {
      if (done()) return true;
      next_check_ms = now_ms_ + kDoneCheckMs;
    }
    if (Clock::now() >= deadline) return false;
    StartQueued();
    if (tick) tick(now_ns_);
    FireTimers();
    ServiceDueHosts();
    FlushDirty();
    int64_t wake_ms = static_cast<int64_t>(now_ms_) + kServiceIntervalMs;
    if (!timers_.empty()) wake_ms = std::min(wake_ms, timers_.top().first);
    if (!services_.empty()) wake_ms = std::min(wake_ms, services_.top().first);
    int timeout = static_cast<int>(
        std::max<int64_t>(0, wake_ms - static_cast<int64_t>(now_ms_)));
    if (next_tick_ns) {
      int64_t due = next_tick_ns();
      if (due > 0) {
        int64_t until = (due - now_ns_ + 999'999) / 1'000'000;
        timeout = static_cast<int>(
            std::clamp<int64_t>(until, 0, static_cast<int64_t>(timeout)));
      }
    }
    if (!start_queue_.empty() && in_progress_ < options_.login_concurrency) {
      timeout = 0;
    }
    int n = epoll_wait(epoll_fd_, events, 256, timeout);
    UpdateClock();
    for (int i = 0; i < n; ++i) ServiceHost(events[i].data.u32);
    FlushDirty();
  }
}

}  // namespace hail::bench
