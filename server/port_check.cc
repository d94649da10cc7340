#include "server/port_check.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>

namespace hail::server {

Status CheckPortFree(const protocol::Endpoint& endpoint, PortKind kind) {
  if (endpoint.port == 0) return Status::Ok();
  const char* name = kind == PortKind::kUdp ? "UDP" : "TCP";
  int fd =
      socket(AF_INET, kind == PortKind::kUdp ? SOCK_DGRAM : SOCK_STREAM, 0);
  if (fd < 0) {
    return Status::IoError(std::string("socket for the ") + name +
                           " port check: " + std::strerror(errno));
  }
  if (kind == PortKind::kTcp) {
    // Connections of an earlier haild lingering in TIME_WAIT do not hold
    // the port; a listening socket does, SO_REUSEADDR or not.
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(endpoint.Ipv4HostOrder());
  address.sin_port = htons(endpoint.port);
  int rc =
      ::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address);
  int error = errno;
  close(fd);
  if (rc == 0) return Status::Ok();
  if (error == EADDRINUSE) {
    return Status::IoError(std::string(name) + " port " + endpoint.ToString() +
                           " is already in use by another process (another "
                           "haild?); stop it or choose another port");
  }
  return Status::IoError(std::string("cannot bind ") + name + " " +
                         endpoint.ToString() + ": " + std::strerror(error));
}

}  // namespace hail::server
