// A bare UDP socket for the rules about datagrams outside ENet: pre-session
// (SPEC.md 3.5-3.7) and STUN (3.4). It sends exact bytes and collects every
// datagram that comes back, so a rule can count answers and their sizes.
#ifndef HAIL_TOOLS_CONFORM_UDP_PROBE_H_
#define HAIL_TOOLS_CONFORM_UDP_PROBE_H_

#include <memory>
#include <optional>
#include <string>

#include "protocol/byte_io.h"
#include "protocol/endpoint.h"
#include "protocol/status.h"

namespace hail::conform {

class UdpProbe {
 public:
  // A socket on an ephemeral port of `local_host` (any when empty) that
  // sends to host:port. Errors: InvalidArgument, IoError.
  static Result<std::unique_ptr<UdpProbe>> Open(const std::string& host,
                                                uint16_t port,
                                                const std::string& local_host);
  ~UdpProbe();

  Status Send(protocol::ByteSpan datagram);
  // The next datagram from the target within `timeout_ms`.
  std::optional<protocol::Bytes> Receive(int timeout_ms);
  // This socket's address as the target sees it (on loopback).
  const protocol::Endpoint& local() const { return local_; }

 private:
  UdpProbe(int fd, protocol::Endpoint local);
  int fd_;
  protocol::Endpoint local_;
};

}  // namespace hail::conform

#endif  // HAIL_TOOLS_CONFORM_UDP_PROBE_H_
