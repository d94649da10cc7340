// Sends UDP datagrams with any IPv4 source address and port (a raw socket
// with our own IP header; root only), as an attacker spoofing its victims
// would. Loopback and test namespaces only: the attack tool refuses other
// destinations.
#ifndef HAIL_TOOLS_ATTACK_SPOOFER_H_
#define HAIL_TOOLS_ATTACK_SPOOFER_H_

#include "protocol/byte_io.h"
#include "protocol/endpoint.h"
#include "protocol/status.h"

namespace hail::attack {

class Spoofer {
 public:
  Spoofer() = default;
  ~Spoofer();
  Spoofer(const Spoofer&) = delete;
  Spoofer& operator=(const Spoofer&) = delete;

  Status Open();
  // One datagram from `from` to `to`; false if the kernel refused it.
  bool Send(const protocol::Endpoint& from, const protocol::Endpoint& to,
            protocol::ByteSpan payload);

 private:
  int fd_ = -1;
};

}  // namespace hail::attack

#endif  // HAIL_TOOLS_ATTACK_SPOOFER_H_
