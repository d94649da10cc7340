// The bare ENet relay of `hail-bench --baseline` (run as `hail-bench relay`):
// the same ENet settings as Hail but no cookie, no crypto and no store.
// A client joins with its index; a packet [kRelayForward][u32 recipient]...
// is forwarded unchanged to that recipient's peer. One thread, epoll over
// `ports` ENet hosts on consecutive ports (clients are spread 4000 per port,
// since one host holds at most 4095), each with `peers` slots. ENet's
// service and flush walk every slot of a host, so the scenario sizes them to
// the run, as haild sizes its hosts to --max-clients. Runs until SIGTERM or
// SIGINT.
#ifndef HAIL_TOOLS_BENCH_RELAY_SERVER_H_
#define HAIL_TOOLS_BENCH_RELAY_SERVER_H_

#include <cstdint>

namespace hail::bench {

// Binds 127.0.0.1 ports first_port.. (0: any free run of ports) with
// `peers` slots each (clamped to 1..4095), prints "ready PORT" on stdout,
// serves, and returns the process exit code.
int RunRelay(uint16_t first_port, uint32_t ports, uint32_t peers);

}  // namespace hail::bench

#endif  // HAIL_TOOLS_BENCH_RELAY_SERVER_H_
