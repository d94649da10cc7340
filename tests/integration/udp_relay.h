// A recording UDP relay for one client: datagrams sent to port() go on to
// the server from the relay's own socket, replies come back. Every datagram
// is kept, so tests can inspect exactly what crossed the wire.
#ifndef HAIL_TESTS_INTEGRATION_UDP_RELAY_H_
#define HAIL_TESTS_INTEGRATION_UDP_RELAY_H_

#include <netinet/in.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace hail::testing {

class UdpRelay {
 public:
  struct Datagram {
    bool to_server = false;
    std::vector<uint8_t> bytes;
  };

  explicit UdpRelay(uint16_t server_port);
  ~UdpRelay();
  UdpRelay(const UdpRelay&) = delete;
  UdpRelay& operator=(const UdpRelay&) = delete;

  uint16_t port() const { return port_; }
  // While set, datagrams from the server are dropped instead of relayed (a
  // one-way outage).
  void set_drop_to_client(bool drop) { drop_to_client_ = drop; }
  // Once a datagram of at least `bytes` has gone to the server, drops
  // everything from the server (set_drop_to_client(true) at that moment):
  // the server gets a request but its answer never arrives. 0: off.
  void DropToClientAfterDatagramOf(size_t bytes) { drop_trigger_ = bytes; }
  // Decides, on the relay's thread, whether a datagram from the client is
  // dropped instead of relayed: a deterministic loss pattern (for example
  // "the first five CONNECTs"). Dropped datagrams are counted, not captured.
  using DropFilter = std::function<bool(const std::vector<uint8_t>& datagram)>;
  void set_drop_to_server(DropFilter filter);
  size_t dropped_to_server() const { return dropped_to_server_; }
  // The same for datagrams from the server (for example "everything over
  // 100 bytes": a path that passes only small datagrams).
  void set_drop_to_client_filter(DropFilter filter);
  size_t dropped_to_client() const { return dropped_to_client_; }
  std::vector<Datagram> captured() const;

 private:
  void Run();

  int client_side_;
  int server_side_;
  uint16_t port_;
  sockaddr_in server_{};
  std::atomic<bool> stop_{false};
  std::atomic<bool> drop_to_client_{false};
  std::atomic<size_t> drop_trigger_{0};
  mutable std::mutex mutex_;
  std::vector<Datagram> captured_;
  DropFilter drop_to_server_;         // guarded by mutex_
  DropFilter drop_to_client_filter_;  // guarded by mutex_
  std::atomic<size_t> dropped_to_server_{0};
  std::atomic<size_t> dropped_to_client_{0};
  std::thread thread_;
};

}  // namespace hail::testing

#endif  // HAIL_TESTS_INTEGRATION_UDP_RELAY_H_
