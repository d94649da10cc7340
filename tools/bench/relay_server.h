// The bare ENet relay of `hail-bench --baseline` (run as `hail-bench relay`):
// the same ENet settings as Hail but no cookie, no crypto and no store.
// A client joins with its index; a packet [kRelayForward][u32 recipient]...
// is forwarded unchanged to that recipient's peer. One thread, epoll over
// `ports` ENet hosts on consecutive ports (4000 peers each, since one host
// holds at most 4095). Runs until SIGTERM or SIGINT.
#ifndef HAIL_TOOLS_BENCH_RELAY_SERVER_H_
#define HAIL_TOOLS_BENCH_RELAY_SERVER_H_

#include <cstdint>

namespace hail::bench {

// Binds 127.0.0.1 ports first_port.. (0: any free run of ports), prints
// "ready PORT" on stdout, serves, and returns the process exit code.
int RunRelay(uint16_t first_port, uint32_t ports);

}  // namespace hail::bench

#endif  // HAIL_TOOLS_BENCH_RELAY_SERVER_H_
