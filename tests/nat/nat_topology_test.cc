// Issue #5: the simulated NATs behave like home routers. haild in the public
// namespace sees a client behind router A as router A's WAN address; the
// routers drop unsolicited input, map ports as configured (cone keeps them,
// symmetric does not), block UDP when asked, and lose packets at the given
// rate. Needs root; skipped otherwise.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <sstream>
#include <thread>

#include "tests/integration/haild_process.h"
#include "tests/nat/netns_topology.h"
#include "tests/nat/ns_process.h"

namespace hail::testing {
namespace {

constexpr int kLineTimeoutMs = 3000;
const std::string kProbe =
    std::string(HAIL_SOURCE_DIR) + "/tests/nat/udp_probe.py";

// The words of one probe output line.
std::vector<std::string> Words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> words;
  for (std::string word; in >> word;) words.push_back(word);
  return words;
}

class NatTopologyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Status support = NetnsSupport();
    if (!support.ok()) GTEST_SKIP() << "netns unusable: " << support.message();
  }

  void TearDown() override {
    probes_.clear();
    haild_.reset();
    if (!topology_) return;
    std::vector<std::string> names = topology_->namespaces();
    topology_.reset();
    CommandResult list = RunCommand({FindTool("ip"), "netns", "list"});
    for (const std::string& ns : names) {
      EXPECT_EQ(list.out.find(ns), std::string::npos) << ns << " survived";
    }
  }

  void Build(const NatTopologyOptions& options) {
    Result<std::unique_ptr<NatTopology>> topology =
        NatTopology::Create(options);
    ASSERT_TRUE(topology.ok()) << topology.status().message();
    topology_ = std::move(*topology);
  }

  // A udp_probe.py in `ns` bound to `specs` (udp:PORT, tcp:PORT), ready.
  NsProcess* Probe(const std::string& ns, std::vector<std::string> specs) {
    specs.insert(specs.begin(), {"python3", "-u", kProbe});
    Result<std::unique_ptr<NsProcess>> probe = NsProcess::Start(ns, specs);
    EXPECT_TRUE(probe.ok()) << probe.status().message();
    if (!probe.ok()) return nullptr;
    NsProcess* raw = probe->get();
    probes_.push_back(std::move(*probe));
    EXPECT_EQ(raw->ReadLine(kLineTimeoutMs), "ready") << raw->log();
    return raw;
  }

  // Sends TEXT from the probe's udp:from to host:port.
  static void Send(NsProcess* probe, int from, const std::string& host,
                   int port, const std::string& text) {
    ASSERT_TRUE(probe->WriteLine("send " + std::to_string(from) + " " + host +
                                 " " + std::to_string(port) + " " + text));
    ASSERT_TRUE(probe->WaitForPrefix("sent", kLineTimeoutMs)) << probe->log();
  }

  // The "recv LPORT SRCIP SRCPORT TEXT" line carrying `text`, if it comes.
  static std::optional<std::vector<std::string>> Received(
      NsProcess* probe, const std::string& text, int timeout_ms) {
    std::optional<std::string> line = probe->WaitForLine(
        [&](const std::string& l) {
          std::vector<std::string> w = Words(l);
          return w.size() == 5 && w[0] == "recv" && w[4] == text;
        },
        timeout_ms);
    if (!line) return std::nullopt;
    return Words(*line);
  }

  // Datagrams udp:port has received, once the count stops growing.
  static int SettledCount(NsProcess* probe, int port) {
    int last = -1;
    for (int round = 0; round < 20; ++round) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      probe->WriteLine("count " + std::to_string(port));
      std::optional<std::string> line =
          probe->WaitForPrefix("count ", kLineTimeoutMs);
      if (!line) return -1;
      int now = std::stoi(Words(*line)[2]);
      if (now == last) return now;
      last = now;
    }
    return last;
  }

  std::unique_ptr<NatTopology> topology_;
  std::unique_ptr<HaildProcess> haild_;
  std::vector<std::unique_ptr<NsProcess>> probes_;
  TempDir dir_;
};

TEST_F(NatTopologyTest, HaildSeesClientBehindConeNatAsRouterWanAddress) {
  Build({});
  const uint16_t port = 4000;
  haild_ = std::make_unique<HaildProcess>(
      dir_.path() / "data", port,
      HaildPlacement{NatTopology::server_ip(), topology_->public_ns()});
  ASSERT_TRUE(haild_->Start()) << haild_->log();
  ASSERT_EQ(haild_->address(), "203.0.113.10:4000");

  CommandResult printed =
      RunCommand({HAILD_PATH, "--data-dir", haild_->data_dir().string(),
                  "--print-fingerprint"});
  ASSERT_EQ(printed.exit_code, 0) << printed.err;
  std::string fingerprint = printed.out.substr(0, printed.out.find('\n'));

  auto hail = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = {HAIL_PATH, "--server",  haild_->address(),
                                     "--trust", fingerprint, "--timeout",
                                     "5"};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(NetnsExec(topology_->client_ns(Home::kA), argv),
                      {{"HAIL_HOME", (dir_.path() / "alice").string()},
                       {"HAIL_PASSWORD", "alice-password"},
                       {"HAIL_KEYLOGFILE", ""}});
  };
  CommandResult reg = hail({"register", "alice"});
  ASSERT_EQ(reg.exit_code, 0) << reg.err << haild_->log();
  CommandResult ping = hail({"ping"});
  EXPECT_EQ(ping.exit_code, 0) << ping.err;
  CommandResult whoami = hail({"--json", "whoami", "alice"});
  ASSERT_EQ(whoami.exit_code, 0) << whoami.err;
  EXPECT_NE(whoami.out.find("\"observed_endpoint\":\"203.0.113.2:"),
            std::string::npos)
      << whoami.out;

  std::string user = haild_->AdminCommand("user alice");
  EXPECT_NE(user.find("\"observed_endpoint\":\"203.0.113.2:"),
            std::string::npos)
      << user;
  EXPECT_NE(user.find("\"lan_endpoint\":\"192.168.1.10:"), std::string::npos)
      << user;
  EXPECT_NE(user.find("\"behind_nat\":true"), std::string::npos) << user;
}

TEST_F(NatTopologyTest, UnsolicitedUdpIsDroppedUntilTheClientSendsFirst) {
  Build({});
  NsProcess* client = Probe(topology_->client_ns(Home::kA), {"udp:5000"});
  NsProcess* server = Probe(topology_->public_ns(), {"udp:6000", "udp:6001"});
  ASSERT_TRUE(client && server);
  const std::string wan = NatTopology::router_wan_ip(Home::kA);

  Send(server, 6000, wan, 5000, "unsolicited");
  EXPECT_FALSE(Received(client, "unsolicited", 300));

  Send(client, 5000, NatTopology::server_ip(), 6000, "hello");
  std::optional<std::vector<std::string>> hello =
      Received(server, "hello", kLineTimeoutMs);
  ASSERT_TRUE(hello) << server->transcript();
  EXPECT_EQ((*hello)[2], wan);
  int mapped = std::stoi((*hello)[3]);
  // Had the router accepted the unsolicited datagram, conntrack would hold
  // its tuple and MASQUERADE would have to pick another port here.
  EXPECT_EQ(mapped, 5000);

  Send(server, 6000, wan, mapped, "reply");
  std::optional<std::vector<std::string>> reply =
      Received(client, "reply", kLineTimeoutMs);
  ASSERT_TRUE(reply) << client->transcript();
  EXPECT_EQ((*reply)[2], NatTopology::server_ip());
  EXPECT_EQ((*reply)[3], "6000");

  // The hole is for 203.0.113.10:6000 only, not for its other ports.
  Send(server, 6001, wan, mapped, "other-port");
  EXPECT_FALSE(Received(client, "other-port", 300)) << client->transcript();
}

// The source port the server's udp:6000 and udp:6001 each see when client A
// sends to both from port 5000.
std::pair<std::string, std::string> MappedPorts(NsProcess* client,
                                                NsProcess* server) {
  for (int port : {6000, 6001}) {
    client->WriteLine("send 5000 " + NatTopology::server_ip() + " " +
                      std::to_string(port) + " to-" + std::to_string(port));
  }
  std::string ports[2];
  for (int i = 0; i < 2; ++i) {
    std::string text = "to-" + std::to_string(6000 + i);
    std::optional<std::string> line = server->WaitForLine(
        [&](const std::string& l) { return l.ends_with(" " + text); },
        kLineTimeoutMs);
    if (!line) return {};
    std::vector<std::string> words = Words(*line);
    EXPECT_EQ(words[2], NatTopology::router_wan_ip(Home::kA));
    ports[i] = words[3];
  }
  return {ports[0], ports[1]};
}

TEST_F(NatTopologyTest, ConeNatKeepsOneSourcePortForAllDestinations) {
  Build({});
  NsProcess* client = Probe(topology_->client_ns(Home::kA), {"udp:5000"});
  NsProcess* server = Probe(topology_->public_ns(), {"udp:6000", "udp:6001"});
  ASSERT_TRUE(client && server);
  auto [first, second] = MappedPorts(client, server);
  ASSERT_FALSE(first.empty()) << server->transcript();
  EXPECT_EQ(first, second);
  EXPECT_EQ(first, "5000");
}

TEST_F(NatTopologyTest, SymmetricNatPicksAPortPerDestination) {
  NatTopologyOptions options;
  options.a.nat = NatMode::kSymmetric;
  Build(options);
  NsProcess* client = Probe(topology_->client_ns(Home::kA), {"udp:5000"});
  NsProcess* server = Probe(topology_->public_ns(), {"udp:6000", "udp:6001"});
  ASSERT_TRUE(client && server);
  auto [first, second] = MappedPorts(client, server);
  ASSERT_FALSE(first.empty()) << server->transcript();
  EXPECT_NE(first, second);
}

TEST_F(NatTopologyTest, UdpBlockedHomeReachesTheServerOnlyOverTcp) {
  NatTopologyOptions options;
  options.a.udp_blocked = true;
  Build(options);
  NsProcess* client = Probe(topology_->client_ns(Home::kA), {"udp:5000"});
  NsProcess* server = Probe(topology_->public_ns(), {"udp:4000", "tcp:4000"});
  ASSERT_TRUE(client && server);

  Send(client, 5000, NatTopology::server_ip(), 4000, "over-udp");
  EXPECT_FALSE(Received(server, "over-udp", 500)) << server->transcript();

  client->WriteLine("tcp " + NatTopology::server_ip() + " 4000");
  EXPECT_EQ(client->WaitForPrefix("tcp-", kLineTimeoutMs), "tcp-ok");
  std::optional<std::string> accepted =
      server->WaitForPrefix("accept 4000 ", kLineTimeoutMs);
  ASSERT_TRUE(accepted) << server->transcript();
  EXPECT_EQ(Words(*accepted)[2], NatTopology::router_wan_ip(Home::kA));

  // Home B is unaffected.
  NsProcess* other = Probe(topology_->client_ns(Home::kB), {"udp:5000"});
  ASSERT_TRUE(other);
  Send(other, 5000, NatTopology::server_ip(), 4000, "from-b");
  EXPECT_TRUE(Received(server, "from-b", kLineTimeoutMs))
      << server->transcript();
}

TEST_F(NatTopologyTest, LossDropsAboutThatShareOfPacketsUntilCleared) {
  NatTopologyOptions options;
  options.a.loss = 0.2;
  Build(options);
  NsProcess* client = Probe(topology_->client_ns(Home::kA), {"udp:5000"});
  NsProcess* server = Probe(topology_->public_ns(), {"udp:6000", "udp:6001"});
  ASSERT_TRUE(client && server);

  client->WriteLine("burst 5000 " + NatTopology::server_ip() + " 6000 500");
  ASSERT_TRUE(client->WaitForPrefix("burst-done", 10000));
  int lossy = SettledCount(server, 6000);
  EXPECT_GE(lossy, 350);  // 500 * (1 - 0.3)
  EXPECT_LE(lossy, 450);  // 500 * (1 - 0.1)

  ASSERT_TRUE(topology_->ClearLoss(Home::kA).ok());
  client->WriteLine("burst 5000 " + NatTopology::server_ip() + " 6001 200");
  ASSERT_TRUE(client->WaitForPrefix("burst-done", 10000));
  EXPECT_EQ(SettledCount(server, 6001), 200);

  ASSERT_TRUE(topology_->AddLoss(Home::kA, 1.0).ok());
  Send(client, 5000, NatTopology::server_ip(), 6001, "lost");
  EXPECT_FALSE(Received(server, "lost", 300));
  EXPECT_FALSE(topology_->AddLoss(Home::kA, 1.5).ok());
}

TEST_F(NatTopologyTest, RunInReportsTheFailingCommandAndItsStderr) {
  Build({});
  Status ok = topology_->RunIn(topology_->router_ns(Home::kB),
                               {"ip", "addr", "show", "dev", "wan"});
  EXPECT_TRUE(ok.ok()) << ok.message();
  Status failed = topology_->RunIn(topology_->client_ns(Home::kB),
                                   {"ip", "link", "show", "no-such-link"});
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.message().find("no-such-link"), std::string::npos)
      << failed.message();
}

TEST_F(NatTopologyTest, SweepDeletesNamespacesOfDeadOwners) {
  pid_t dead = fork();
  if (dead == 0) _exit(0);
  ASSERT_GT(dead, 0);
  waitpid(dead, nullptr, 0);
  std::string stale = "hailnat-" + std::to_string(dead) + "-0-pub";
  std::string live = "hailnat-" + std::to_string(getpid()) + "-sweep-pub";
  ASSERT_EQ(RunCommand({FindTool("ip"), "netns", "add", stale}).exit_code, 0);
  ASSERT_EQ(RunCommand({FindTool("ip"), "netns", "add", live}).exit_code, 0);
  EXPECT_GE(SweepStaleNamespaces(), 1);
  CommandResult list = RunCommand({FindTool("ip"), "netns", "list"});
  EXPECT_EQ(list.out.find(stale), std::string::npos) << list.out;
  EXPECT_NE(list.out.find(live), std::string::npos) << list.out;
  RunCommand({FindTool("ip"), "netns", "del", live});
  RunCommand({FindTool("ip"), "netns", "del", stale});
}

}  // namespace
}  // namespace hail::testing
