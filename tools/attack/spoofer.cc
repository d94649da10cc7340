#include "tools/attack/spoofer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

namespace hail::attack {

Spoofer::~Spoofer() {
  if (fd_ >= 0) close(fd_);
}

Status Spoofer::Open() {
  fd_ = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);  // implies IP_HDRINCL
  if (fd_ < 0) {
    return Status::IoError(std::string("raw socket (needs root): ") +
                           std::strerror(errno));
  }
  return Status::Ok();
}

bool Spoofer::Send(const protocol::Endpoint& from, const protocol::Endpoint& to,
                   protocol::ByteSpan payload) {
  std::vector<uint8_t> packet(sizeof(iphdr) + sizeof(udphdr) + payload.size());
  auto* ip = reinterpret_cast<iphdr*>(packet.data());
  ip->version = 4;
  ip->ihl = 5;
  ip->ttl = 64;
  ip->protocol = IPPROTO_UDP;
  ip->tot_len = htons(static_cast<uint16_t>(packet.size()));
  ip->saddr = htonl(from.Ipv4HostOrder());
  ip->daddr = htonl(to.Ipv4HostOrder());  // the kernel fills id and checksum
  auto* udp = reinterpret_cast<udphdr*>(packet.data() + sizeof(iphdr));
  udp->source = htons(from.port);
  udp->dest = htons(to.port);
  udp->len = htons(static_cast<uint16_t>(sizeof(udphdr) + payload.size()));
  udp->check = 0;  // optional in IPv4
  std::memcpy(packet.data() + sizeof(iphdr) + sizeof(udphdr), payload.data(),
              payload.size());
  sockaddr_in dst{};
  dst.sin_family = AF_INET;
  dst.sin_addr.s_addr = ip->daddr;
  return sendto(fd_, packet.data(), packet.size(), 0,
                reinterpret_cast<sockaddr*>(&dst),
                sizeof dst) == static_cast<ssize_t>(packet.size());
}

}  // namespace hail::attack
