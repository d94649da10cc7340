#include "tests/integration/udp_relay.h"

#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <utility>

namespace hail::testing {
namespace {

int BoundLoopbackSocket(uint16_t* port) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  if (port) *port = ntohs(address.sin_port);
  return fd;
}

}  // namespace

UdpRelay::UdpRelay(uint16_t server_port) {
  client_side_ = BoundLoopbackSocket(&port_);
  server_side_ = BoundLoopbackSocket(nullptr);
  server_.sin_family = AF_INET;
  server_.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  server_.sin_port = htons(server_port);
  thread_ = std::thread([this] { Run(); });
}

UdpRelay::~UdpRelay() {
  stop_ = true;
  thread_.join();
  close(client_side_);
  close(server_side_);
}

void UdpRelay::set_drop_to_server(DropFilter filter) {
  std::lock_guard<std::mutex> lock(mutex_);
  drop_to_server_ = std::move(filter);
}

void UdpRelay::set_drop_to_client_filter(DropFilter filter) {
  std::lock_guard<std::mutex> lock(mutex_);
  drop_to_client_filter_ = std::move(filter);
}

std::vector<UdpRelay::Datagram> UdpRelay::captured() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return captured_;
}

void UdpRelay::Run() {
  sockaddr_in client{};
  bool have_client = false;
  std::vector<uint8_t> buf(65536);
  while (!stop_) {
    pollfd fds[2] = {{client_side_, POLLIN, 0}, {server_side_, POLLIN, 0}};
    if (poll(fds, 2, 20) <= 0) continue;
    if (fds[0].revents & POLLIN) {
      socklen_t length = sizeof client;
      ssize_t n = recvfrom(client_side_, buf.data(), buf.size(), 0,
                           reinterpret_cast<sockaddr*>(&client), &length);
      if (n >= 0) {
        have_client = true;
        size_t trigger = drop_trigger_;
        if (trigger != 0 && static_cast<size_t>(n) >= trigger) {
          drop_to_client_ = true;
          drop_trigger_ = 0;
        }
        std::vector<uint8_t> datagram(buf.begin(), buf.begin() + n);
        // Captured before it is sent on: whoever sees the effect of a
        // datagram finds it in captured() already.
        {
          std::lock_guard<std::mutex> lock(mutex_);
          if (drop_to_server_ && drop_to_server_(datagram)) {
            ++dropped_to_server_;
            continue;
          }
          captured_.push_back({true, std::move(datagram)});
        }
        sendto(server_side_, buf.data(), static_cast<size_t>(n), 0,
               reinterpret_cast<sockaddr*>(&server_), sizeof server_);
      }
    }
    if (fds[1].revents & POLLIN) {
      ssize_t n = recv(server_side_, buf.data(), buf.size(), 0);
      if (n >= 0 && have_client && !drop_to_client_) {
        {
          std::lock_guard<std::mutex> lock(mutex_);
          std::vector<uint8_t> datagram(buf.begin(), buf.begin() + n);
          if (drop_to_client_filter_ && drop_to_client_filter_(datagram)) {
            ++dropped_to_client_;
            continue;
          }
          captured_.push_back({false, std::move(datagram)});
        }
        sendto(client_side_, buf.data(), static_cast<size_t>(n), 0,
               reinterpret_cast<sockaddr*>(&client), sizeof client);
      }
    }
  }
}

}  // namespace hail::testing
