// A TCP port on 127.0.0.1 that was free a moment ago, for the gateway
// daemons the tests start (aiosmtpd, Kannel, HylaFAX). Another process may
// take it before the daemon binds it; the fixtures then fail to start with
// the daemon's own message.
#ifndef HAIL_TESTS_SUPPORT_FREE_PORT_H_
#define HAIL_TESTS_SUPPORT_FREE_PORT_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>

namespace hail::testing {

// 0 if no port could be had.
inline uint16_t FreeTcpPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  ::close(fd);
  return port;
}

}  // namespace hail::testing

#endif  // HAIL_TESTS_SUPPORT_FREE_PORT_H_
