#include "client/enet_transport.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <mutex>
#include <utility>

#include "protocol/enet_wire.h"
#include "protocol/p2p_link.h"
#include "protocol/presession.h"
#include "protocol/registry.h"

namespace hail::client {
namespace {

// ENetHost has no user-data field, so the intercept callback cannot be told
// which EnetTransport owns the host it is called for. ENet calls the
// intercept only from inside enet_host_service, synchronously, on the
// calling thread; Service therefore names itself here for the duration of
// that call (restoring the previous value afterwards, which keeps nested or
// interleaved transports on one thread correct). The callback also checks
// that the host matches and otherwise leaves the datagram to ENet.
thread_local EnetTransport* servicing_transport = nullptr;

class ServicingScope {
 public:
  explicit ServicingScope(EnetTransport* transport)
      : previous_(servicing_transport) {
    servicing_transport = transport;
  }
  ~ServicingScope() { servicing_transport = previous_; }
  ServicingScope(const ServicingScope&) = delete;
  ServicingScope& operator=(const ServicingScope&) = delete;

 private:
  EnetTransport* previous_;
};

struct PacketDeleter {
  void operator()(ENetPacket* packet) const { enet_packet_destroy(packet); }
};
using PacketPtr = std::unique_ptr<ENetPacket, PacketDeleter>;

Status InitializeEnetOnce() {
  static std::once_flag once;
  static int result = -1;
  std::call_once(once, [] { result = enet_initialize(); });
  if (result != 0) return Status::IoError("enet_initialize failed");
  return Status::Ok();
}

protocol::Endpoint ToEndpoint(const ENetAddress& address) {
  return protocol::Endpoint::Ipv4(ntohl(address.host), address.port);
}

// The local address the kernel would use to reach `server`: connecting a
// UDP socket sends nothing but fixes the route and source address.
protocol::Endpoint LanEndpointToward(const ENetAddress& server,
                                     uint16_t local_port) {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return {};
  sockaddr_in remote{};
  remote.sin_family = AF_INET;
  remote.sin_addr.s_addr = server.host;
  remote.sin_port = htons(server.port);
  sockaddr_in local{};
  socklen_t length = sizeof local;
  bool ok =
      ::connect(fd, reinterpret_cast<const sockaddr*>(&remote),
                sizeof remote) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) == 0 &&
      local.sin_family == AF_INET;
  ::close(fd);
  if (!ok) return {};
  return protocol::Endpoint::Ipv4(ntohl(local.sin_addr.s_addr), local_port);
}

bool ToEnetAddress(const protocol::Endpoint& endpoint, ENetAddress* out) {
  if (endpoint.family != protocol::Endpoint::Family::kIpv4) return false;
  out->host = htonl(endpoint.Ipv4HostOrder());
  out->port = endpoint.port;
  return true;
}

// Direct links are told apart from the server peer by ENet's per-peer
// data field, which holds the link id (the server peer's stays null).
uint32_t LinkIdOf(const ENetPeer* peer) {
  return static_cast<uint32_t>(reinterpret_cast<uintptr_t>(peer->data));
}

}  // namespace

Result<std::unique_ptr<EnetTransport>> EnetTransport::Open(
    const std::string& host, uint16_t port, const std::string& local_host) {
  if (Status status = InitializeEnetOnce(); !status.ok()) return status;
  ENetAddress server{};
  if (enet_address_set_host(&server, host.c_str()) != 0) {
    return Status::InvalidArgument(
        fmt::format("cannot resolve server host '{}'", host));
  }
  server.port = port;
  ENetAddress any{};
  any.host = ENET_HOST_ANY;
  any.port = ENET_PORT_ANY;
  if (!local_host.empty() &&
      enet_address_set_host_ip(&any, local_host.c_str()) != 0) {
    return Status::InvalidArgument(
        fmt::format("'{}' is not a local IPv4 address", local_host));
  }
  HostPtr enet_host(
      enet_host_create(&any, 1 + kMaxLinks, protocol::kChannelCount, 0, 0));
  if (!enet_host) {
    return Status::IoError("cannot open a UDP socket (enet_host_create)");
  }
  enet_host->checksum = enet_crc32;
  enet_host->intercept = &EnetTransport::Intercept;
  enet_host->maximumPacketSize = kMaximumPacketSize;
  protocol::Endpoint lan = LanEndpointToward(server, enet_host->address.port);
  return std::unique_ptr<EnetTransport>(
      new EnetTransport(std::move(enet_host), server, lan));
}

EnetTransport::EnetTransport(HostPtr host, ENetAddress server,
                             protocol::Endpoint lan_endpoint)
    : host_(std::move(host)),
      server_address_(server),
      lan_endpoint_(lan_endpoint) {}

EnetTransport::~EnetTransport() {
  while (!links_.empty()) CloseLink(links_.begin()->first);
  if (peer_ != nullptr) DisconnectNow(0);
}

protocol::Endpoint EnetTransport::server_endpoint() const {
  return ToEndpoint(server_address_);
}

Status EnetTransport::SendRaw(protocol::ByteSpan datagram) {
  ENetBuffer buffer;
  buffer.data = const_cast<uint8_t*>(datagram.data());
  buffer.dataLength = datagram.size();
  if (enet_socket_send(host_->socket, &server_address_, &buffer, 1) < 0) {
    return Status::IoError("cannot send a datagram to the server");
  }
  return Status::Ok();
}

Status EnetTransport::SendRawTo(const protocol::Endpoint& to,
                                protocol::ByteSpan datagram) {
  if (to.family != protocol::Endpoint::Family::kIpv4) {
    return Status::InvalidArgument("raw datagrams go to IPv4 only");
  }
  ENetAddress address;
  address.host = htonl(to.Ipv4HostOrder());
  address.port = to.port;
  ENetBuffer buffer;
  buffer.data = const_cast<uint8_t*>(datagram.data());
  buffer.dataLength = datagram.size();
  if (enet_socket_send(host_->socket, &address, &buffer, 1) < 0) {
    return Status::IoError("cannot send a datagram to " + to.ToString());
  }
  return Status::Ok();
}

Status EnetTransport::Connect(uint32_t connect_data) {
  if (peer_ != nullptr) {
    return Status::InvalidArgument("already connected or connecting");
  }
  peer_ = enet_host_connect(host_.get(), &server_address_,
                            protocol::kChannelCount, connect_data);
  if (peer_ == nullptr) return Status::IoError("enet_host_connect failed");
  last_server_datagram_ = enet_time_get();
  last_serviced_ = last_server_datagram_;
  enet_peer_ping_interval(peer_, kPingIntervalMs);
  enet_peer_timeout(peer_, kTimeoutLimit, kTimeoutMinimumMs, kTimeoutMaximumMs);
  enet_host_flush(host_.get());
  return Status::Ok();
}

Status EnetTransport::Send(const protocol::OutgoingFrame& frame) {
  if (!connected_) return Status::InvalidArgument("not connected");
  return SendPacket(peer_, frame);
}

Status EnetTransport::SendPacket(ENetPeer* peer,
                                 const protocol::OutgoingFrame& frame) {
  if (frame.bytes.empty()) {
    return Status::InvalidArgument("a field is longer than SPEC.md allows");
  }
  PacketPtr packet(enet_packet_create(frame.bytes.data(), frame.bytes.size(),
                                      ENET_PACKET_FLAG_RELIABLE));
  if (!packet) return Status::IoError("cannot allocate an ENet packet");
  if (enet_peer_send(peer, frame.channel, packet.get()) != 0) {
    return Status::IoError("ENet refused the packet");
  }
  packet.release();  // ENet owns a packet it accepted
  enet_host_flush(host_.get());
  return Status::Ok();
}

Result<uint32_t> EnetTransport::ConnectLink(const protocol::Endpoint& to,
                                            uint32_t data) {
  ENetAddress address{};
  if (!ToEnetAddress(to, &address)) {
    return Status::InvalidArgument("direct links are IPv4 only");
  }
  if (links_.size() >= kMaxLinks) {
    return Status::IoError("too many direct links");
  }
  ENetPeer* peer =
      enet_host_connect(host_.get(), &address, protocol::kChannelCount, data);
  if (peer == nullptr) return Status::IoError("enet_host_connect failed");
  uint32_t link = RegisterLink(peer);
  enet_host_flush(host_.get());
  return link;
}

uint32_t EnetTransport::RegisterLink(ENetPeer* peer) {
  uint32_t link = next_link_++;
  peer->data = reinterpret_cast<void*>(static_cast<uintptr_t>(link));
  enet_peer_ping_interval(peer, kLinkPingIntervalMs);
  enet_peer_timeout(peer, kTimeoutLimit, kLinkTimeoutMinimumMs,
                    kLinkTimeoutMaximumMs);
  links_[link] = peer;
  return link;
}

Status EnetTransport::SendOnLink(uint32_t link,
                                 const protocol::OutgoingFrame& frame) {
  auto it = links_.find(link);
  if (it == links_.end() || it->second->state != ENET_PEER_STATE_CONNECTED) {
    return Status::InvalidArgument("no such direct link");
  }
  return SendPacket(it->second, frame);
}

void EnetTransport::CloseLink(uint32_t link) {
  auto it = links_.find(link);
  if (it == links_.end()) return;
  ENetPeer* peer = it->second;
  links_.erase(it);
  peer->data = nullptr;
  enet_peer_disconnect_now(peer, 0);
}

uint64_t EnetTransport::ServerSilenceMs() const {
  if (peer_ == nullptr) return 0;
  // As of the last look at the socket: datagrams still unread there (the
  // owner did not poll for a while) must not count as silence. ENet's clock
  // is a wrapping u32 of milliseconds.
  return static_cast<uint32_t>(last_serviced_ - last_server_datagram_);
}

void EnetTransport::ProbeServer() {
  if (!connected_) return;
  enet_peer_ping(peer_);
  enet_host_flush(host_.get());
}

void EnetTransport::Disconnect(uint32_t data) {
  if (peer_ != nullptr) enet_peer_disconnect(peer_, data);
}

void EnetTransport::DisconnectNow(uint32_t data) {
  if (peer_ == nullptr) return;
  if (connected_) {
    enet_peer_disconnect_now(peer_, data);
  } else {
    // Still connecting: the server's peer (if it has one) has no id yet
    // that a DISCONNECT could address, so there is nothing to send.
    enet_peer_reset(peer_);
  }
  // Nothing queued from this connection may surface after it is gone (a
  // new one may start at once, Client::RetryEnetConnect).
  std::erase_if(pending_, [](const Event& event) {
    return event.link == kServerLink &&
           (event.type == Event::Type::kConnected ||
            event.type == Event::Type::kPacket ||
            event.type == Event::Type::kDisconnected);
  });
  peer_ = nullptr;
  connected_ = false;
}

EnetTransport::Event EnetTransport::Service(uint32_t timeout_ms) {
  if (pending_.empty()) {
    ENetEvent event{};
    int result;
    {
      ServicingScope scope(this);
      result = enet_host_service(host_.get(), &event, timeout_ms);
    }
    last_serviced_ = enet_time_get();
    if (result < 0) ++counters_.service_errors;
    if (result > 0) pending_.push_back(Translate(event));
  }
  if (pending_.empty()) return Event{};
  Event next = std::move(pending_.front());
  pending_.pop_front();
  return next;
}

int ENET_CALLBACK EnetTransport::Intercept(ENetHost* host, ENetEvent*) {
  EnetTransport* self = servicing_transport;
  if (self == nullptr || self->host_.get() != host) return 0;
  return self->OnRawDatagram();
}

int EnetTransport::OnRawDatagram() {
  protocol::ByteSpan datagram(host_->receivedData, host_->receivedDataLength);
  const ENetAddress& source = host_->receivedAddress;
  bool from_server = source.host == server_address_.host &&
                     source.port == server_address_.port;
  switch (protocol::ClassifyDatagram(datagram)) {
    case protocol::DatagramClass::kEnet:
      if (!from_server) return FilterPeerless(datagram);
      last_server_datagram_ = enet_time_get();
      return 0;
    case protocol::DatagramClass::kStun: {
      Event event;
      event.type = Event::Type::kRawDatagram;
      event.from = ToEndpoint(host_->receivedAddress);
      event.data.assign(datagram.begin(), datagram.end());
      pending_.push_back(std::move(event));
      return 1;
    }
    case protocol::DatagramClass::kHail:
      break;
  }
  if (!from_server) {
    if (!protocol::PeekProbeSession(datagram)) {
      ++counters_.foreign_presession;
      return 1;
    }
    Event event;
    event.type = Event::Type::kRawDatagram;
    event.from = ToEndpoint(source);
    event.data.assign(datagram.begin(), datagram.end());
    pending_.push_back(std::move(event));
    return 1;
  }
  Event event;
  event.type = Event::Type::kPresessionDatagram;
  event.data.assign(datagram.begin(), datagram.end());
  pending_.push_back(std::move(event));
  return 1;
}

int EnetTransport::FilterPeerless(protocol::ByteSpan datagram) {
  std::optional<protocol::enet_wire::Header> header =
      protocol::enet_wire::ParseHeader(datagram, /*with_checksum=*/true);
  if (!header) return 0;  // ENet drops it
  if (header->peer_id != protocol::enet_wire::kNoPeerId) return 0;
  std::optional<protocol::enet_wire::Connect> connect =
      protocol::enet_wire::ParsePeerlessConnect(datagram, true);
  if (connect && connect_filter_ && links_.size() < kMaxLinks &&
      connect_filter_(ToEndpoint(host_->receivedAddress), connect->data)) {
    return 0;
  }
  ++counters_.connects_refused;
  return 1;
}

EnetTransport::Event EnetTransport::Translate(const ENetEvent& enet_event) {
  Event event;
  if (enet_event.peer != nullptr && enet_event.peer != peer_) {
    return TranslateLink(enet_event);
  }
  switch (enet_event.type) {
    case ENET_EVENT_TYPE_NONE:
      break;
    case ENET_EVENT_TYPE_CONNECT:
      connected_ = true;
      event.type = Event::Type::kConnected;
      break;
    case ENET_EVENT_TYPE_RECEIVE: {
      PacketPtr packet(enet_event.packet);
      event.type = Event::Type::kPacket;
      event.channel = enet_event.channelID;
      event.data.assign(packet->data, packet->data + packet->dataLength);
      break;
    }
    case ENET_EVENT_TYPE_DISCONNECT:
      peer_ = nullptr;
      connected_ = false;
      event.type = Event::Type::kDisconnected;
      event.disconnect_data = enet_event.data;
      break;
  }
  return event;
}

EnetTransport::Event EnetTransport::TranslateLink(const ENetEvent& enet_event) {
  Event event;
  ENetPeer* peer = enet_event.peer;
  switch (enet_event.type) {
    case ENET_EVENT_TYPE_NONE:
      break;
    case ENET_EVENT_TYPE_CONNECT:
      if (peer->data == nullptr) RegisterLink(peer);  // accepted
      event.type = Event::Type::kConnected;
      event.link = LinkIdOf(peer);
      event.disconnect_data = enet_event.data;
      event.from = ToEndpoint(peer->address);
      break;
    case ENET_EVENT_TYPE_RECEIVE: {
      PacketPtr packet(enet_event.packet);
      if (peer->data == nullptr) break;  // closed meanwhile
      event.type = Event::Type::kPacket;
      event.link = LinkIdOf(peer);
      event.channel = enet_event.channelID;
      event.data.assign(packet->data, packet->data + packet->dataLength);
      break;
    }
    case ENET_EVENT_TYPE_DISCONNECT:
      if (peer->data == nullptr) break;  // closed by us
      event.type = Event::Type::kDisconnected;
      event.link = LinkIdOf(peer);
      event.disconnect_data = enet_event.data;
      links_.erase(event.link);
      peer->data = nullptr;
      break;
  }
  return event;
}

}  // namespace hail::client
