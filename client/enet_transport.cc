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

}  // namespace

Result<std::unique_ptr<EnetTransport>> EnetTransport::Open(
    const std::string& host, uint16_t port) {
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
  HostPtr enet_host(enet_host_create(&any, 1, protocol::kChannelCount, 0, 0));
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
  enet_peer_ping_interval(peer_, kPingIntervalMs);
  enet_peer_timeout(peer_, kTimeoutLimit, kTimeoutMinimumMs, kTimeoutMaximumMs);
  enet_host_flush(host_.get());
  return Status::Ok();
}

Status EnetTransport::Send(const protocol::OutgoingFrame& frame) {
  if (!connected_) return Status::InvalidArgument("not connected");
  if (frame.bytes.empty()) {
    return Status::InvalidArgument("a field is longer than SPEC.md allows");
  }
  PacketPtr packet(enet_packet_create(frame.bytes.data(), frame.bytes.size(),
                                      ENET_PACKET_FLAG_RELIABLE));
  if (!packet) return Status::IoError("cannot allocate an ENet packet");
  if (enet_peer_send(peer_, frame.channel, packet.get()) != 0) {
    return Status::IoError("ENet refused the packet");
  }
  packet.release();  // ENet owns a packet it accepted
  enet_host_flush(host_.get());
  return Status::Ok();
}

void EnetTransport::Disconnect(uint32_t data) {
  if (peer_ != nullptr) enet_peer_disconnect(peer_, data);
}

void EnetTransport::DisconnectNow(uint32_t data) {
  if (peer_ == nullptr) return;
  enet_peer_disconnect_now(peer_, data);
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
  switch (protocol::ClassifyDatagram(datagram)) {
    case protocol::DatagramClass::kEnet:
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
  const ENetAddress& source = host_->receivedAddress;
  if (source.host != server_address_.host ||
      source.port != server_address_.port) {
    ++counters_.foreign_presession;
    return 1;
  }
  Event event;
  event.type = Event::Type::kPresessionDatagram;
  event.data.assign(datagram.begin(), datagram.end());
  pending_.push_back(std::move(event));
  return 1;
}

EnetTransport::Event EnetTransport::Translate(const ENetEvent& enet_event) {
  Event event;
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

}  // namespace hail::client
