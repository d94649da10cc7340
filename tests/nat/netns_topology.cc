#include "tests/nat/netns_topology.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "tests/integration/haild_process.h"

namespace hail::testing {
namespace {

constexpr char kPrefix[] = "hailnat-";
constexpr char kLossChain[] = "hail-loss";
constexpr int kToolTimeoutMs = 10000;

int Index(Home home) { return home == Home::kA ? 0 : 1; }

std::string Join(const std::vector<std::string>& words) {
  std::string text;
  for (const std::string& word : words) {
    if (!text.empty()) text += ' ';
    text += word;
  }
  return text;
}

// Runs argv in this namespace; not ok on a non-zero exit.
Status Run(std::vector<std::string> argv) {
  argv[0] = FindTool(argv[0]);
  CommandResult result = RunCommand(argv, {}, kToolTimeoutMs);
  if (result.exit_code == 0) return Status::Ok();
  return Status::IoError("`" + Join(argv) + "` exited " +
                         std::to_string(result.exit_code) + ": " + result.err);
}

std::filesystem::path NetnsDir() {
  return std::filesystem::exists("/run/netns") ? "/run/netns"
                                               : "/var/run/netns";
}

bool IsOurs(const std::string& ns) { return ns.rfind(kPrefix, 0) == 0; }

// The pid in a hailnat-PID-... name, or -1.
pid_t OwnerOf(const std::string& ns) {
  if (!IsOurs(ns)) return -1;
  char* end = nullptr;
  long pid = std::strtol(ns.c_str() + sizeof kPrefix - 1, &end, 10);
  if (end == nullptr || *end != '-' || pid <= 0) return -1;
  return static_cast<pid_t>(pid);
}

// SIGKILLs every process in ns, then deletes it. Best effort.
void KillAndDelete(const std::string& ns) {
  CommandResult pids =
      RunCommand({FindTool("ip"), "netns", "pids", ns}, {}, kToolTimeoutMs);
  std::istringstream lines(pids.out);
  pid_t pid;
  while (lines >> pid) {
    if (pid > 0 && pid != getpid()) kill(pid, SIGKILL);
  }
  RunCommand({FindTool("ip"), "netns", "del", ns}, {}, kToolTimeoutMs);
}

std::string FormatProbability(double p) {
  std::ostringstream out;
  out.precision(6);
  out << std::fixed << p;
  return out.str();
}

}  // namespace

std::string FindTool(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  std::string dirs = getenv("PATH") ? getenv("PATH") : "";
  dirs += ":/usr/sbin:/sbin:/usr/bin:/bin";
  std::istringstream split(dirs);
  std::string dir;
  while (std::getline(split, dir, ':')) {
    if (dir.empty()) continue;
    std::filesystem::path candidate = std::filesystem::path(dir) / name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  return name;
}

std::vector<std::string> NetnsExec(const std::string& ns,
                                   std::vector<std::string> argv) {
  if (ns.empty()) return argv;
  std::vector<std::string> wrapped = {FindTool("ip"), "netns", "exec", ns};
  wrapped.insert(wrapped.end(), argv.begin(), argv.end());
  return wrapped;
}

Status NetnsSupport() {
  static const Status support = [] {
    if (geteuid() != 0) return Status::PermissionDenied("not root");
    std::string ns = kPrefix + std::to_string(getpid()) + "-probe";
    Status status = Run({"ip", "netns", "add", ns});
    if (!status.ok()) return status;
    for (const std::vector<std::string>& argv :
         {std::vector<std::string>{"iptables", "-w", "-t", "nat", "-A",
                                   "POSTROUTING", "-j", "MASQUERADE",
                                   "--random-fully"},
          std::vector<std::string>{"iptables", "-w", "-A", "FORWARD", "-m",
                                   "conntrack", "--ctstate",
                                   "ESTABLISHED,RELATED", "-j", "ACCEPT"},
          std::vector<std::string>{"iptables", "-w", "-A", "FORWARD", "-m",
                                   "statistic", "--mode", "random",
                                   "--probability", "0.5", "-j", "DROP"}}) {
      if (status.ok()) status = Run(NetnsExec(ns, argv));
    }
    KillAndDelete(ns);
    return status;
  }();
  return support;
}

int SweepStaleNamespaces() {
  int deleted = 0;
  std::error_code ec;
  for (const auto& entry :
       std::filesystem::directory_iterator(NetnsDir(), ec)) {
    std::string ns = entry.path().filename().string();
    pid_t owner = OwnerOf(ns);
    if (owner <= 0 || owner == getpid()) continue;
    if (kill(owner, 0) == 0 || errno != ESRCH) continue;
    KillAndDelete(ns);
    ++deleted;
  }
  return deleted;
}

NatTopology::NatTopology() {
  static std::atomic<int> counter{0};
  prefix_ = kPrefix + std::to_string(getpid()) + "-" +
            std::to_string(counter.fetch_add(1)) + "-";
  public_ns_ = prefix_ + "pub";
  router_ns_[0] = prefix_ + "ra";
  router_ns_[1] = prefix_ + "rb";
  client_ns_[0] = prefix_ + "ca";
  client_ns_[1] = prefix_ + "cb";
}

NatTopology::~NatTopology() {
  for (auto it = created_.rbegin(); it != created_.rend(); ++it) {
    KillAndDelete(*it);
  }
}

Result<std::unique_ptr<NatTopology>> NatTopology::Create(
    const NatTopologyOptions& options) {
  SweepStaleNamespaces();
  std::unique_ptr<NatTopology> topology(new NatTopology());
  Status status = topology->Build(options);
  if (!status.ok()) return status;  // the destructor removes the pieces
  return topology;
}

const std::string& NatTopology::router_ns(Home home) const {
  return router_ns_[Index(home)];
}

const std::string& NatTopology::client_ns(Home home) const {
  return client_ns_[Index(home)];
}

std::vector<std::string> NatTopology::namespaces() const {
  return {public_ns_, router_ns_[0], client_ns_[0], router_ns_[1],
          client_ns_[1]};
}

std::string NatTopology::router_wan_ip(Home home) {
  return home == Home::kA ? "203.0.113.2" : "203.0.113.3";
}

std::string NatTopology::router_lan_ip(Home home) {
  return home == Home::kA ? "192.168.1.1" : "192.168.2.1";
}

std::string NatTopology::client_ip(Home home) {
  return home == Home::kA ? "192.168.1.10" : "192.168.2.10";
}

Status NatTopology::RunIn(const std::string& ns,
                          const std::vector<std::string>& argv) const {
  return Run(NetnsExec(ns, argv));
}

Status NatTopology::Build(const NatTopologyOptions& options) {
  for (const std::string& ns : namespaces()) {
    Status status = Run({"ip", "netns", "add", ns});
    if (!status.ok()) return status;
    created_.push_back(ns);
    status = Run({"ip", "-n", ns, "link", "set", "lo", "up"});
    if (!status.ok()) return status;
  }
  const std::string& pub = public_ns_;
  for (const std::vector<std::string>& argv :
       {std::vector<std::string>{"ip", "-n", pub, "link", "add", "br0", "type",
                                 "bridge"},
        std::vector<std::string>{"ip", "-n", pub, "addr", "add",
                                 server_ip() + "/24", "dev", "br0"},
        std::vector<std::string>{"ip", "-n", pub, "link", "set", "br0",
                                 "up"}}) {
    Status status = Run(argv);
    if (!status.ok()) return status;
  }
  Status status = BuildHome(Home::kA, options.a);
  if (status.ok()) status = BuildHome(Home::kB, options.b);
  return status;
}

Status NatTopology::BuildHome(Home home, const HomeOptions& options) {
  const std::string& router = router_ns(home);
  const std::string& client = client_ns(home);
  // The router's WAN port as the public bridge sees it.
  const std::string uplink = home == Home::kA ? "ra" : "rb";
  std::vector<std::vector<std::string>> commands = {
      {"ip", "-n", router, "link", "add", "wan", "type", "veth", "peer", "name",
       uplink, "netns", public_ns_},
      {"ip", "-n", public_ns_, "link", "set", uplink, "master", "br0", "up"},
      {"ip", "-n", router, "addr", "add", router_wan_ip(home) + "/24", "dev",
       "wan"},
      {"ip", "-n", router, "link", "set", "wan", "up"},
      {"ip", "-n", router, "link", "add", "lan", "type", "veth", "peer", "name",
       "eth0", "netns", client},
      {"ip", "-n", router, "addr", "add", router_lan_ip(home) + "/24", "dev",
       "lan"},
      {"ip", "-n", router, "link", "set", "lan", "up"},
      {"ip", "-n", client, "addr", "add", client_ip(home) + "/24", "dev",
       "eth0"},
      {"ip", "-n", client, "link", "set", "eth0", "up"},
      {"ip", "-n", client, "route", "add", "default", "via",
       router_lan_ip(home)},
  };
  for (const auto& argv : commands) {
    Status status = Run(argv);
    if (!status.ok()) return status;
  }
  Status status = RunIn(router, {"sysctl", "-qw", "net.ipv4.ip_forward=1"});
  if (!status.ok()) return status;

  std::vector<std::string> masquerade = {"-t", "nat", "-A", "POSTROUTING",
                                         "-o", "wan", "-j", "MASQUERADE"};
  if (options.nat == NatMode::kSymmetric)
    masquerade.push_back("--random-fully");
  std::vector<std::vector<std::string>> rules = {
      masquerade,
      // Unsolicited WAN input dies here. Were it accepted, conntrack would
      // record it and later clash with the mapping a hole punch needs.
      {"-P", "INPUT", "DROP"},
      {"-A", "INPUT", "-i", "lo", "-j", "ACCEPT"},
      {"-A", "INPUT", "-i", "lan", "-j", "ACCEPT"},
      {"-A", "INPUT", "-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED",
       "-j", "ACCEPT"},
      {"-P", "FORWARD", "DROP"},
      {"-N", kLossChain},
      {"-A", "FORWARD", "-j", kLossChain},
  };
  if (options.udp_blocked) {
    rules.push_back(
        {"-A", "FORWARD", "-i", "lan", "-o", "wan", "-p", "udp", "-j", "DROP"});
  }
  rules.push_back({"-A", "FORWARD", "-m", "conntrack", "--ctstate",
                   "ESTABLISHED,RELATED", "-j", "ACCEPT"});
  rules.push_back({"-A", "FORWARD", "-i", "lan", "-o", "wan", "-j", "ACCEPT"});
  for (auto& rule : rules) {
    status = Iptables(home, std::move(rule));
    if (!status.ok()) return status;
  }
  return options.loss > 0 ? AddLoss(home, options.loss) : Status::Ok();
}

Status NatTopology::Iptables(Home home, std::vector<std::string> args) const {
  args.insert(args.begin(), {"iptables", "-w"});
  return RunIn(router_ns(home), args);
}

Status NatTopology::AddLoss(Home home, double p) {
  if (!(p >= 0.0 && p <= 1.0)) {
    return Status::InvalidArgument("loss probability must be in 0..1");
  }
  Status status = ClearLoss(home);
  if (!status.ok() || p == 0.0) return status;
  return Iptables(home,
                  {"-A", kLossChain, "-m", "statistic", "--mode", "random",
                   "--probability", FormatProbability(p), "-j", "DROP"});
}

Status NatTopology::ClearLoss(Home home) {
  return Iptables(home, {"-F", kLossChain});
}

}  // namespace hail::testing
