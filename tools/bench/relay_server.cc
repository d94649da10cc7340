#include "tools/bench/relay_server.h"

#include <arpa/inet.h>
#include <enet/enet.h>
#include <signal.h>
#include <sys/epoll.h>

#include <algorithm>
#include <cstdio>
#include <unordered_map>
#include <vector>

#include "tools/bench/client_pool.h"

namespace hail::bench {
namespace {

volatile sig_atomic_t stop_requested = 0;
void OnStopSignal(int) { stop_requested = 1; }

uint32_t ReadU32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) |
         (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

class RelayServer {
 public:
  ~RelayServer() {
    for (ENetHost* h : hosts_) enet_host_destroy(h);
  }

  bool Open(uint16_t first_port, uint32_t ports, uint32_t peers) {
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    for (uint32_t i = 0; i < ports; ++i) {
      ENetAddress address{
          htonl(INADDR_LOOPBACK),
          static_cast<uint16_t>(first_port ? first_port + i : 0)};
      if (first_port == 0 && i > 0) {
        address.port = static_cast<uint16_t>(hosts_[0]->address.port + i);
      }
      ENetHost* host = enet_host_create(
          &address, std::clamp<uint32_t>(peers, 1, 4095), 2, 0, 0);
      if (host == nullptr) return false;
      host->checksum = enet_crc32;
      host->maximumPacketSize = 65536;
      hosts_.push_back(host);
      epoll_event event{};
      event.events = EPOLLIN;
      event.data.u32 = i;
      epoll_ctl(epoll_, EPOLL_CTL_ADD, host->socket, &event);
    }
    return true;
  }

  uint16_t port() const { return hosts_[0]->address.port; }

  void Serve() {
    epoll_event events[64];
    while (!stop_requested) {
      int n = epoll_wait(epoll_, events, 64, 20);
      if (n <= 0) {
        for (uint32_t i = 0; i < hosts_.size(); ++i) Service(i);
      } else {
        for (int i = 0; i < n; ++i) Service(events[i].data.u32);
      }
      for (ENetHost* h : dirty_) enet_host_flush(h);
      dirty_.clear();
    }
  }

 private:
  void Service(uint32_t index) {
    ENetEvent event;
    for (int i = 0; i < 4096; ++i) {
      int result = enet_host_service(hosts_[index], &event, 0);
      if (result < 0) continue;
      if (result == 0) break;
      if (event.type == ENET_EVENT_TYPE_CONNECT) {
        // As haild's peers (SPEC.md 4.7): the clients do the pinging.
        enet_peer_ping_interval(event.peer, 15000);
        enet_peer_timeout(event.peer, 32, 5000, 15000);
      } else if (event.type == ENET_EVENT_TYPE_RECEIVE) {
        OnPacket(event.peer, event.channelID, event.packet);
      } else if (event.type == ENET_EVENT_TYPE_DISCONNECT) {
        auto it = by_peer_.find(event.peer);
        if (it != by_peer_.end()) {
          peers_.erase(it->second);
          by_peer_.erase(it);
        }
      }
    }
  }

  void OnPacket(ENetPeer* from, uint8_t channel, ENetPacket* packet) {
    const uint8_t* data = packet->data;
    size_t size = packet->dataLength;
    if (size == 5 && data[0] == kRelayJoin) {
      uint32_t index = ReadU32(data + 1);
      peers_[index] = from;
      by_peer_[from] = index;
      uint8_t joined = kRelayJoined;
      Send(from, 0, enet_packet_create(&joined, 1, ENET_PACKET_FLAG_RELIABLE));
      enet_packet_destroy(packet);
      return;
    }
    if (size >= 5 && data[0] == kRelayForward) {
      auto it = peers_.find(ReadU32(data + 1));
      if (it != peers_.end()) {
        Send(it->second, channel, packet);  // forwarded as is
        return;
      }
    }
    enet_packet_destroy(packet);
  }

  void Send(ENetPeer* to, uint8_t channel, ENetPacket* packet) {
    if (enet_peer_send(to, channel, packet) != 0) enet_packet_destroy(packet);
    dirty_.push_back(to->host);
  }

  int epoll_ = -1;
  std::vector<ENetHost*> hosts_;
  std::vector<ENetHost*> dirty_;
  std::unordered_map<uint32_t, ENetPeer*> peers_;
  std::unordered_map<ENetPeer*, uint32_t> by_peer_;
};

}  // namespace

int RunRelay(uint16_t first_port, uint32_t ports, uint32_t peers) {
  signal(SIGTERM, OnStopSignal);
  signal(SIGINT, OnStopSignal);
  if (enet_initialize() != 0) return 1;
  RelayServer relay;
  if (!relay.Open(first_port, std::max<uint32_t>(ports, 1), peers)) {
    std::fprintf(stderr, "hail-bench relay: cannot bind its ports\n");
    return 1;
  }
  std::printf("ready %u\n", relay.port());
  std::fflush(stdout);
  relay.Serve();
  return 0;
}

}  // namespace hail::bench
