// The alternate STUN port (SPEC.md 3.4.3): a plain non-blocking UDP socket
// that answers STUN Binding requests only, so that clients can compare the
// public endpoint their NAT gives them towards two server ports.
//
// Threading: serviced by shard 0's loop thread (its fd is in that loop's
// poll set). Answering is a parse and one sendto per datagram, never
// blocking, so it needs no thread of its own.
#ifndef HAIL_SERVER_STUN_SOCKET_H_
#define HAIL_SERVER_STUN_SOCKET_H_

#include <memory>

#include "protocol/endpoint.h"
#include "protocol/status.h"
#include "server/stun_responder.h"

namespace hail::server {

class StunSocket {
 public:
  // Binds `listen` (IPv4). Errors: IoError.
  static Result<std::unique_ptr<StunSocket>> Bind(
      const protocol::Endpoint& listen, StunResponder* responder);
  ~StunSocket();
  StunSocket(const StunSocket&) = delete;
  StunSocket& operator=(const StunSocket&) = delete;

  int fd() const { return fd_; }
  protocol::Endpoint bound() const { return bound_; }
  // Reads and answers every datagram already queued (at most a bounded
  // number per call, so that a flood cannot starve the loop).
  void Serve(uint64_t now_ms);

 private:
  StunSocket(int fd, protocol::Endpoint bound, StunResponder* responder)
      : fd_(fd), bound_(bound), responder_(responder) {}

  int fd_;
  protocol::Endpoint bound_;
  StunResponder* responder_;
};

}  // namespace hail::server

#endif  // HAIL_SERVER_STUN_SOCKET_H_
