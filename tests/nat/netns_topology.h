// Test harness for issue #5: a simulated Internet of network namespaces with
// two NATed homes, built with `ip` and `iptables` (root only).
//
//   public ns: bridge br0, 203.0.113.10/24 (the server lives here)
//     |-- router A: wan 203.0.113.2 | lan 192.168.1.1/24 -- client A .1.10
//     `-- router B: wan 203.0.113.3 | lan 192.168.2.1/24 -- client B .2.10
//
// Each router masquerades LAN traffic (cone or symmetric mapping), forwards
// only LAN->WAN plus ESTABLISHED/RELATED replies, and drops unsolicited WAN
// input, as home routers do. Namespace names are hailnat-PID-N-ROLE, so
// tests may run in parallel and a later run can sweep what a crashed one
// left behind. Interfaces are created inside the namespaces, never in the
// caller's, so their short fixed names cannot collide.
#ifndef HAIL_TESTS_NAT_NETNS_TOPOLOGY_H_
#define HAIL_TESTS_NAT_NETNS_TOPOLOGY_H_

#include <memory>
#include <string>
#include <vector>

#include "protocol/status.h"

namespace hail::testing {

enum class NatMode {
  kCone,       // MASQUERADE: keeps the source port while it is free
  kSymmetric,  // MASQUERADE --random-fully: a new port per destination
};

struct HomeOptions {
  NatMode nat = NatMode::kCone;
  bool udp_blocked = false;  // the router forwards no UDP from LAN to WAN
  double loss = 0.0;         // drop probability per forwarded packet, both ways
};

struct NatTopologyOptions {
  HomeOptions a;
  HomeOptions b;
};

enum class Home { kA, kB };

// The absolute path of a tool such as "ip" or "iptables" (PATH, then the
// sbin directories); the bare name when it is nowhere.
std::string FindTool(const std::string& name);

// argv prefixed with `ip netns exec NS`; argv unchanged when ns is empty.
std::vector<std::string> NetnsExec(const std::string& ns,
                                   std::vector<std::string> argv);

// Ok when this process can build a topology: it is root, `ip netns` works
// and iptables (with nat and conntrack) works inside a namespace. Probed
// once per process; the message says what is missing.
Status NetnsSupport();

// Deletes hailnat-PID-* namespaces whose PID is no longer alive, first
// killing whatever still runs in them. Returns how many it deleted.
int SweepStaleNamespaces();

// The namespaces, links and firewall rules of one simulated Internet. Owns
// them: the destructor kills every process left in its namespaces and
// deletes the namespaces. Not thread-safe; one test thread drives it.
class NatTopology {
 public:
  // Sweeps stale namespaces, then builds. On failure nothing is left behind
  // and the Status carries the failing command and its stderr.
  static Result<std::unique_ptr<NatTopology>> Create(
      const NatTopologyOptions& options = {});
  ~NatTopology();
  NatTopology(const NatTopology&) = delete;
  NatTopology& operator=(const NatTopology&) = delete;

  const std::string& public_ns() const { return public_ns_; }
  const std::string& router_ns(Home home) const;
  const std::string& client_ns(Home home) const;
  // Every namespace this topology owns.
  std::vector<std::string> namespaces() const;

  static std::string server_ip() { return "203.0.113.10"; }
  static std::string router_wan_ip(Home home);
  static std::string router_lan_ip(Home home);
  static std::string client_ip(Home home);

  // Runs argv (argv[0] a tool name or path) inside `ns` and waits for it.
  // Not ok when it exits non-zero; the message holds the command and stderr.
  Status RunIn(const std::string& ns,
               const std::vector<std::string>& argv) const;

  // Replaces the home router's random loss with probability p (0..1), in
  // both directions of forwarded traffic. ClearLoss removes it.
  Status AddLoss(Home home, double p);
  Status ClearLoss(Home home);

 private:
  NatTopology();
  Status Build(const NatTopologyOptions& options);
  Status BuildHome(Home home, const HomeOptions& options);
  Status Iptables(Home home, std::vector<std::string> args) const;

  std::string prefix_;
  std::string public_ns_;
  std::string router_ns_[2];
  std::string client_ns_[2];
  std::vector<std::string> created_;  // in creation order
};

}  // namespace hail::testing

#endif  // HAIL_TESTS_NAT_NETNS_TOPOLOGY_H_
