// Issue #5: STUN against real implementations over loopback. haild answers
// turnutils_stunclient (RFC 5389) and Debian's `stun` (classic RFC 3489);
// our NAT discovery works against coturn's turnserver and against haild;
// the per-IP reply limit, the 1.6x budget and malformed input are checked
// on the real server; `hail doctor` reports what it found.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <fstream>
#include <optional>
#include <regex>
#include <thread>

#include "nat/mapping_discovery.h"
#include "protocol/stun.h"
#include "tests/integration/haild_process.h"

namespace hail::testing {
namespace {

using protocol::Bytes;
using protocol::Endpoint;

// The absolute path of a tool on PATH (RunCommand execs without a search),
// empty when it is not installed.
std::string ToolPath(const std::string& name) {
  CommandResult which = RunCommand({"/bin/sh", "-c", "command -v " + name});
  if (which.exit_code != 0) return "";
  std::string path = which.out;
  while (!path.empty() && std::isspace(static_cast<unsigned char>(path.back())))
    path.pop_back();
  return path;
}

bool HaveTool(const std::string& name) { return !ToolPath(name).empty(); }

// A UDP socket on 127.0.0.1 with an ephemeral port.
class UdpSocket {
 public:
  UdpSocket() {
    fd_ = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address);
    socklen_t length = sizeof address;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    local_ = Endpoint::Ipv4(INADDR_LOOPBACK, ntohs(address.sin_port));
  }
  ~UdpSocket() { close(fd_); }
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;

  const Endpoint& local() const { return local_; }
  void SendTo(const Endpoint& to, protocol::ByteSpan datagram) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(to.Ipv4HostOrder());
    address.sin_port = htons(to.port);
    sendto(fd_, datagram.data(), datagram.size(), 0,
           reinterpret_cast<sockaddr*>(&address), sizeof address);
  }
  // One datagram within timeout_ms, with its source.
  std::optional<std::pair<Endpoint, Bytes>> Receive(int timeout_ms) {
    pollfd in = {fd_, POLLIN, 0};
    if (poll(&in, 1, timeout_ms) <= 0) return std::nullopt;
    Bytes buffer(2048);
    sockaddr_in from{};
    socklen_t length = sizeof from;
    ssize_t n = recvfrom(fd_, buffer.data(), buffer.size(), 0,
                         reinterpret_cast<sockaddr*>(&from), &length);
    if (n < 0) return std::nullopt;
    buffer.resize(static_cast<size_t>(n));
    return std::make_pair(
        Endpoint::Ipv4(ntohl(from.sin_addr.s_addr), ntohs(from.sin_port)),
        buffer);
  }

 private:
  int fd_;
  Endpoint local_;
};

uint64_t NowMs() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

// Drives MappingDiscovery on `socket` until it is done (at most ~10 s).
nat::NatReport Discover(UdpSocket& socket, const Endpoint& primary,
                        const Endpoint& alternate) {
  nat::MappingDiscovery discovery(
      primary, alternate,
      [](std::span<uint8_t> out) { randombytes_buf(out.data(), out.size()); });
  for (const auto& d : discovery.Start(NowMs())) socket.SendTo(d.to, d.bytes);
  uint64_t give_up = NowMs() + 10000;
  while (!discovery.done() && NowMs() < give_up) {
    uint64_t now = NowMs();
    uint64_t next = discovery.next_timer_ms();
    int wait =
        next > now ? static_cast<int>(std::min<uint64_t>(next - now, 100)) : 0;
    if (auto received = socket.Receive(wait)) {
      std::vector<nat::MappingDiscovery::Datagram> out;
      discovery.OnDatagram(received->first, received->second, NowMs(), &out);
      for (const auto& d : out) socket.SendTo(d.to, d.bytes);
    }
    for (const auto& d : discovery.OnTimer(NowMs())) {
      socket.SendTo(d.to, d.bytes);
    }
  }
  EXPECT_TRUE(discovery.done());
  return discovery.report();
}

std::pair<int, int> EphemeralPortRange() {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  int low = 1024, high = 65535;
  in >> low >> high;
  return {low, high};
}

class StunInteropTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_GE(sodium_init(), 0); }
  void SetUp() override {
    alt_port_ = FreeUdpPort();
    haild_ =
        std::make_unique<HaildProcess>(dir_.path() / "data", FreeUdpPort());
    ASSERT_TRUE(haild_->Start({"--stun-alt-port", std::to_string(alt_port_)}))
        << haild_->log();
  }
  Endpoint Primary() const {
    return Endpoint::Ipv4(INADDR_LOOPBACK, haild_->port());
  }
  Endpoint Alternate() const {
    return Endpoint::Ipv4(INADDR_LOOPBACK, alt_port_);
  }

  TempDir dir_;
  uint16_t alt_port_ = 0;
  std::unique_ptr<HaildProcess> haild_;
};

TEST_F(StunInteropTest, TurnutilsStunclientSeesLoopbackAndAnEphemeralPort) {
  if (!HaveTool("turnutils_stunclient")) GTEST_SKIP() << "no coturn";
  CommandResult run = RunCommand({ToolPath("turnutils_stunclient"), "-p",
                                  std::to_string(haild_->port()), "127.0.0.1"},
                                 {}, 10000);
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  // It prints "0: : IPv4. UDP reflexive addr: 127.0.0.1:44506".
  std::smatch match;
  std::string text = run.out + run.err;
  ASSERT_TRUE(std::regex_search(
      text, match, std::regex(R"(UDP reflexive addr: ([0-9.]+):([0-9]+))")))
      << text;
  EXPECT_EQ(match[1], "127.0.0.1");
  int port = std::stoi(match[2]);
  auto [low, high] = EphemeralPortRange();
  EXPECT_GE(port, low);
  EXPECT_LE(port, high);
  EXPECT_GE(haild_->WaitForStat("stun_answered", 1), 1);
}

TEST_F(StunInteropTest, ClassicStunClientSeesItsExactSourcePort) {
  if (!HaveTool("stun")) GTEST_SKIP() << "no stun-client";
  // `stun` binds -p PORT and PORT + 1; find a free pair.
  uint16_t source = 0;
  for (int attempt = 0; attempt < 20 && source == 0; ++attempt) {
    uint16_t candidate = FreeUdpPort();
    if (candidate < 65535) source = candidate;
  }
  CommandResult run = RunCommand(
      {ToolPath("stun"), "127.0.0.1:" + std::to_string(haild_->port()), "-v",
       "-p", std::to_string(source)},
      {}, 15000);
  // Its exit code is its NAT verdict bitmask, not success; look at output.
  std::string text = run.out + run.err;
  EXPECT_NE(text.find("MappedAddress = 127.0.0.1:" + std::to_string(source)),
            std::string::npos)
      << "exit " << run.exit_code << ": " << text;
  EXPECT_GE(haild_->WaitForStat("stun_answered", 1), 1);
}

TEST_F(StunInteropTest, DiscoveryAgainstHaildFindsEndpointIndependentMapping) {
  UdpSocket socket;
  nat::NatReport report = Discover(socket, Primary(), Endpoint());
  EXPECT_TRUE(report.udp_works);
  EXPECT_EQ(report.public_endpoint, socket.local());
  EXPECT_EQ(report.mapping, nat::MappingBehaviour::kEndpointIndependent)
      << report.reason;
}

TEST_F(StunInteropTest, PaddedRequestGetsOtherAddressWithinTheBudget) {
  UdpSocket socket;
  protocol::stun::BindingRequest request;
  request.transaction.id = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  request.software_size = protocol::stun::kHailSoftwareSize;
  Bytes bytes = protocol::stun::EncodeBindingRequest(request);
  socket.SendTo(Primary(), bytes);
  auto received = socket.Receive(2000);
  ASSERT_TRUE(received);
  EXPECT_LE(received->second.size() * 5, bytes.size() * 8);
  auto response = protocol::stun::DecodeBindingResponse(received->second);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->mapped, socket.local());
  EXPECT_EQ(response->other, Alternate());
  EXPECT_EQ(response->response_origin, Primary());
  // A bare 20-byte request: 32 bytes back, no OTHER-ADDRESS.
  Bytes bare(bytes.begin(), bytes.begin() + 20);
  bare[3] = 0;
  socket.SendTo(Primary(), bare);
  received = socket.Receive(2000);
  ASSERT_TRUE(received);
  EXPECT_EQ(received->second.size(), 32u);
}

TEST_F(StunInteropTest, BurstOfThirtyGetsAboutTenAnswers) {
  UdpSocket socket;
  for (int i = 0; i < 30; ++i) {
    protocol::stun::BindingRequest request;
    request.transaction.id[0] = static_cast<uint8_t>(i);
    socket.SendTo(Primary(), protocol::stun::EncodeBindingRequest(request));
  }
  int answers = 0;
  while (socket.Receive(300)) ++answers;
  EXPECT_GE(answers, 10);
  EXPECT_LE(answers, 12);  // the burst, plus what refills meanwhile
  EXPECT_GE(haild_->WaitForStat("stun_rate_limited", 18), 18);
}

TEST_F(StunInteropTest, MalformedStunIsCountedAndNeverAnswered) {
  UdpSocket socket;
  protocol::stun::BindingRequest request;
  Bytes good = protocol::stun::EncodeBindingRequest(request);
  Bytes bad_fingerprint = good;
  bad_fingerprint.back() ^= 0xff;
  Bytes overrun = {0x00, 0x01, 0x00, 0x08, 0x21, 0x12, 0xa4, 0x42, 1,  2,
                   3,    4,    5,    6,    7,    8,    9,    10,   11, 12,
                   0x80, 0x22, 0x00, 0x40, 'a',  'b',  'c',  'd'};
  Bytes bad_address_length = {
      0x00, 0x01, 0x00, 0x08, 0x21, 0x12, 0xa4, 0x42, 1,    2,    3, 4, 5, 6,
      7,    8,    9,    10,   11,   12,   0x00, 0x03, 0x00, 0x02, 0, 0, 0, 0};
  for (const Bytes& datagram : {bad_fingerprint, overrun, bad_address_length}) {
    socket.SendTo(Primary(), datagram);
    socket.SendTo(Alternate(), datagram);
  }
  EXPECT_FALSE(socket.Receive(300));
  EXPECT_GE(haild_->WaitForStat("stun_malformed", 6), 6);
  // Still serving.
  socket.SendTo(Primary(), good);
  EXPECT_TRUE(socket.Receive(2000));
}

TEST_F(StunInteropTest, HailDoctorReportsUdpAndTheMapping) {
  CommandResult run =
      RunCommand({HAIL_PATH, "--server", haild_->address(), "doctor", "--json"},
                 {{"HAIL_HOME", (dir_.path() / "home").string()}});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find(R"("udp_works":true)"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find(R"("mapping":"endpoint-independent")"),
            std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find(R"("public_endpoint":"127.0.0.1:)"), std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("direct links possible"), std::string::npos);
}

TEST(StunDoctorTest, WithoutAlternatePortTheMappingIsUnknown) {
  TempDir dir;
  HaildProcess haild(dir.path() / "data", FreeUdpPort());
  ASSERT_TRUE(haild.Start({"--stun-alt-port", "0"})) << haild.log();
  CommandResult run =
      RunCommand({HAIL_PATH, "--server", haild.address(), "doctor"},
                 {{"HAIL_HOME", (dir.path() / "home").string()}});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("udp:              works"), std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("unknown"), std::string::npos) << run.out;
}

TEST(StunDoctorTest, NoServerMeansUdpBlockedAndExitThree) {
  TempDir dir;
  CommandResult run = RunCommand(
      {HAIL_PATH, "--server", "127.0.0.1:" + std::to_string(FreeUdpPort()),
       "doctor", "--json"},
      {{"HAIL_HOME", (dir.path() / "home").string()}});
  EXPECT_EQ(run.exit_code, 3) << run.out << run.err;
  EXPECT_NE(run.out.find(R"("udp_works":false)"), std::string::npos) << run.out;
}

// coturn as the server: a turnserver of our own on a free loopback port
// (the packaged one on 3478, if running, is left alone).
class Turnserver {
 public:
  Turnserver(const std::filesystem::path& dir, uint16_t port) {
    pid_ = fork();
    if (pid_ == 0) {
      std::string p = std::to_string(port);
      std::string pidfile = (dir / "turnserver.pid").string();
      std::string db = (dir / "turndb.sqlite").string();
      std::string log = (dir / "turnserver.log").string();
      execlp("turnserver", "turnserver", "-n", "--listening-ip", "127.0.0.1",
             "--listening-port", p.c_str(), "--no-tls", "--no-dtls", "--no-cli",
             "--no-auth", "--log-file", log.c_str(), "--simple-log",
             "--pidfile", pidfile.c_str(), "--userdb", db.c_str(),
             static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  ~Turnserver() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status;
      for (int i = 0; i < 50; ++i) {
        if (waitpid(pid_, &status, WNOHANG) == pid_) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
    }
  }
  Turnserver(const Turnserver&) = delete;
  Turnserver& operator=(const Turnserver&) = delete;

 private:
  pid_t pid_ = -1;
};

TEST(CoturnInteropTest, DiscoveryAgainstCoturnMapsToOurOwnSocket) {
  if (!HaveTool("turnserver")) GTEST_SKIP() << "no coturn";
  ASSERT_GE(sodium_init(), 0);
  TempDir dir;
  uint16_t port = FreeUdpPort();
  Turnserver turnserver(dir.path(), port);
  Endpoint server = Endpoint::Ipv4(INADDR_LOOPBACK, port);
  // turnserver needs a moment to listen: retry discovery until it answers.
  nat::NatReport report;
  UdpSocket socket;
  for (int attempt = 0; attempt < 5 && !report.udp_works; ++attempt) {
    report = Discover(socket, server, Endpoint());
  }
  ASSERT_TRUE(report.udp_works) << report.reason;
  EXPECT_EQ(report.public_endpoint, socket.local());
  // With one listening IP coturn offers no OTHER-ADDRESS.
  EXPECT_EQ(report.mapping, nat::MappingBehaviour::kUnknown) << report.reason;
}

}  // namespace
}  // namespace hail::testing
