// Issue #2: before ENet allocates a peer the client must prove it receives
// at its address, and no pre-session reply is larger than its request.
// Real haild over loopback; raw UDP sockets and a raw ENet host as clients.
#include <arpa/inet.h>
#include <enet/enet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "client/cookie_fetch.h"
#include "protocol/client_session.h"
#include "protocol/presession.h"
#include "protocol/stun.h"
#include "tests/integration/haild_process.h"
#include "tests/integration/test_client.h"

namespace hail::testing {
namespace {

using protocol::Bytes;

class AddressValidationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    enet_initialize();
    haild_ =
        std::make_unique<HaildProcess>(dir_.path() / "data", FreeUdpPort());
    ASSERT_TRUE(haild_->Start()) << haild_->log();
  }

  ENetAddress ServerAddress() const {
    ENetAddress address;
    enet_address_set_host_ip(&address, "127.0.0.1");
    address.port = haild_->port();
    return address;
  }

  // An ENet client host configured as Hail requires (CRC32, 2 channels).
  ENetHost* MakeClientHost() {
    ENetHost* host = enet_host_create(nullptr, 1, 2, 0, 0);
    host->checksum = enet_crc32;
    return host;
  }

  // Gets a cookie for `host`'s own socket address via HELLO/COOKIE.
  std::optional<uint32_t> FetchCookie(ENetHost* host) {
    return FetchCookie(host, ServerAddress());
  }
  std::optional<uint32_t> FetchCookie(ENetHost* host, ENetAddress server) {
    return client::FetchCookie(host->socket, server, 0x1122334455667788, 2000);
  }

  // Services `host` for `ms`; true when ENet reported a connection.
  bool Connects(ENetHost* host, int ms) {
    auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    ENetEvent event;
    while (std::chrono::steady_clock::now() < deadline) {
      if (enet_host_service(host, &event, 20) > 0 &&
          event.type == ENET_EVENT_TYPE_CONNECT) {
        return true;
      }
    }
    return false;
  }

  TempDir dir_;
  std::unique_ptr<HaildProcess> haild_;
};

TEST_F(AddressValidationTest, ConnectWithoutCookieAllocatesNoPeer) {
  ENetHost* host = MakeClientHost();
  ENetAddress server = ServerAddress();
  enet_host_connect(host, &server, 2, 0);
  EXPECT_FALSE(Connects(host, 1500));
  enet_host_destroy(host);
  EXPECT_GE(haild_->Stat("connects_rejected"), 1);
  EXPECT_EQ(haild_->Stat("peers_allocated"), 0);
  EXPECT_EQ(haild_->Stat("connects_accepted"), 0);
}

TEST_F(AddressValidationTest, ConnectWithWrongCookieAllocatesNoPeer) {
  ENetHost* host = MakeClientHost();
  std::optional<uint32_t> cookie = FetchCookie(host);
  ASSERT_TRUE(cookie.has_value());
  ENetAddress server = ServerAddress();
  enet_host_connect(host, &server, 2, *cookie ^ 0x5a5a5a5a);
  EXPECT_FALSE(Connects(host, 1500));
  enet_host_destroy(host);
  EXPECT_GE(haild_->Stat("connects_rejected"), 1);
  EXPECT_EQ(haild_->Stat("peers_allocated"), 0);
}

TEST_F(AddressValidationTest, CookieFromAnotherAddressAllocatesNoPeer) {
  ENetHost* fetcher = MakeClientHost();
  std::optional<uint32_t> cookie = FetchCookie(fetcher);
  ASSERT_TRUE(cookie.has_value());
  ENetHost* other = MakeClientHost();  // a different source port
  ENetAddress server = ServerAddress();
  enet_host_connect(other, &server, 2, *cookie);
  EXPECT_FALSE(Connects(other, 1500));
  enet_host_destroy(other);
  enet_host_destroy(fetcher);
  EXPECT_EQ(haild_->Stat("peers_allocated"), 0);
}

TEST_F(AddressValidationTest, ConnectWithValidCookieAllocatesOnePeer) {
  ENetHost* host = MakeClientHost();
  std::optional<uint32_t> cookie = FetchCookie(host);
  ASSERT_TRUE(cookie.has_value());
  ENetAddress server = ServerAddress();
  enet_host_connect(host, &server, 2, *cookie);
  EXPECT_TRUE(Connects(host, 3000));
  // The server's peer completes when our acknowledgement arrives.
  enet_host_flush(host);
  EXPECT_EQ(haild_->WaitForStat("peers_allocated", 1), 1);
  enet_host_destroy(host);
  EXPECT_EQ(haild_->Stat("connects_rejected"), 0);
}

// Issue 10: about 70 addresses holding valid cookies filled ENet's peer
// slots with half-open connections (one per connect id, 64 per address),
// and nobody else could connect. SPEC.md 4.3: one half-open peer per source
// address and port, 8 per IP address and a quarter of the slots per ENet
// host; reset after 4 s.
TEST_F(AddressValidationTest, CookieHoldersCannotFillThePeerSlots) {
  HaildProcess small(dir_.path() / "small", FreeUdpPort());
  ASSERT_TRUE(small.Start({"--max-clients=128"})) << small.log();
  ENetAddress server;
  enet_address_set_host_ip(&server, "127.0.0.1");
  server.port = small.port();
  std::vector<ENetHost*> attackers;
  // Sends `connects` CONNECTs with one cookie from a new port of `ip`, never
  // completed (the host is never serviced again).
  auto attack = [&](const std::string& ip, int connects) {
    ENetAddress bind;
    enet_address_set_host_ip(&bind, ip.c_str());
    bind.port = 0;
    ENetHost* host = enet_host_create(&bind, connects, 2, 0, 0);
    ASSERT_NE(host, nullptr);
    host->checksum = enet_crc32;
    attackers.push_back(host);
    std::optional<uint32_t> cookie = FetchCookie(host, server);
    ASSERT_TRUE(cookie.has_value());
    for (int k = 0; k < connects; ++k) {
      ASSERT_NE(enet_host_connect(host, &server, 2, *cookie), nullptr);
    }
    enet_host_flush(host);
  };
  // 8 addresses with 64 connect ids on one cookie each, and one address
  // with a cookie on each of 16 ports: 528 connects for 128 slots.
  for (int i = 0; i < 8; ++i) attack("127.0.0." + std::to_string(60 + i), 64);
  for (int port = 0; port < 16; ++port) attack("127.0.0.70", 1);
  // One per cookie: the further connect ids, sent at once, find the
  // address and port's half-open peer young and are dropped (they would
  // replace it after 1 s, never add to it); the 16 ports of one address
  // meet the 8-per-address limit (per ENet host: with several loops the 16
  // ports spread over hosts, see HalfOpenGuardTest).
  EXPECT_GE(small.WaitForStat("connects_refused_half_open", 8 * 63), 8 * 63);
  EXPECT_GE(small.WaitForStat("peers_half_open", 1), 1);  // swept
  EXPECT_LE(small.Stat("peers_half_open"), 8 + 16);
  // Meanwhile a real client connects over UDP and registers.
  client::ClientOptions options;
  options.server_host = "127.0.0.1";
  options.server_port = small.port();
  options.home = dir_.path() / "client";
  options.transport = client::TransportChoice::kUdp;
  TestClient client(options);
  ASSERT_TRUE(client.Connect(10000)) << small.log();
  EXPECT_TRUE(client.Register("carol", "correct horse battery").has_value());
  // Nothing the attackers started holds a slot for long.
  EXPECT_EQ(small.WaitForStatAtMost("peers_half_open", 0, 15000), 0);
  EXPECT_GT(small.Stat("half_open_expired"), 0);
  EXPECT_EQ(small.Stat("peers_current"), 1);  // carol
  for (ENetHost* host : attackers) enet_host_destroy(host);
}

// Sends `datagram` from a fresh UDP socket; returns the sizes of all replies
// that arrive within 150 ms.
std::vector<size_t> ReplySizes(uint16_t port, const Bytes& datagram) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sendto(fd, datagram.data(), datagram.size(), 0,
         reinterpret_cast<sockaddr*>(&to), sizeof to);
  std::vector<size_t> sizes;
  uint8_t buf[65536];
  pollfd in = {fd, POLLIN, 0};
  while (poll(&in, 1, 150) > 0) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0) break;
    sizes.push_back(static_cast<size_t>(n));
  }
  close(fd);
  return sizes;
}

TEST_F(AddressValidationTest, EveryPresessionReplyIsNoLargerThanItsRequest) {
  std::vector<Bytes> requests;
  protocol::HelloDatagram hello;
  hello.client_nonce = 42;
  requests.push_back(protocol::EncodeHello(hello));
  hello.version = 9;  // unsupported: answered with REJECT
  requests.push_back(protocol::EncodeHello(hello));
  Bytes short_hail = {0x48, 0x41, 0x49, 0x4c, 0x01, 0x01};
  requests.push_back(short_hail);
  Bytes long_hello = protocol::EncodeHello({});
  long_hello.resize(1200, 0);
  requests.push_back(long_hello);
  // A bare STUN Binding request: answered, within the 1.6x STUN budget.
  requests.push_back({0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42, 1,  2,
                      3,    4,    5,    6,    7,    8,    9,    10,   11, 12});
  // An ENet CONNECT-looking datagram to no peer, and random bytes.
  Bytes peerless(52, 0);
  peerless[0] = 0x0f;
  peerless[1] = 0xff;
  peerless[6] = 0x82;
  requests.push_back(peerless);
  std::mt19937 random(2);
  for (size_t size : {1, 2, 3, 7, 20, 64, 100, 500}) {
    Bytes noise(size);
    for (auto& b : noise) b = static_cast<uint8_t>(random());
    requests.push_back(noise);
  }
  int replies = 0;
  for (const Bytes& request : requests) {
    size_t limit =
        protocol::ClassifyDatagram(request) == protocol::DatagramClass::kStun
            ? protocol::stun::ResponseBudget(request.size())
            : request.size();
    for (size_t reply : ReplySizes(haild_->port(), request)) {
      ++replies;
      EXPECT_LE(reply, limit) << "reply of " << reply << " bytes to a "
                              << request.size() << "-byte datagram";
    }
  }
  EXPECT_EQ(replies, 3) << "one COOKIE, one REJECT, one STUN answer expected";
  EXPECT_EQ(haild_->Stat("cookies_sent"), 1);
  EXPECT_EQ(haild_->Stat("presession_rejects_sent"), 1);
  EXPECT_GE(haild_->Stat("presession_malformed"), 2);
  EXPECT_EQ(haild_->Stat("stun_answered"), 1);
  EXPECT_EQ(haild_->Stat("peers_allocated"), 0);
}

// Issue 9: a draining server minted cookies for CONNECTs it then refused,
// so reconnecting clients lost a connect timeout before finding the next
// server (SPEC.md 3.7).
TEST_F(AddressValidationTest, DrainingServerAnswersNoHello) {
  // Two peers: `keeper` never acknowledges, so the drain lasts its ~3 s;
  // `observer` is serviced and sees the drain begin (its disconnect).
  ENetAddress server = ServerAddress();
  ENetHost* keeper = MakeClientHost();
  ENetHost* observer = MakeClientHost();
  for (ENetHost* host : {keeper, observer}) {
    std::optional<uint32_t> cookie = FetchCookie(host);
    ASSERT_TRUE(cookie.has_value());
    enet_host_connect(host, &server, 2, *cookie);
    ASSERT_TRUE(Connects(host, 3000));
    enet_host_flush(host);
  }
  ASSERT_EQ(haild_->WaitForStat("peers_allocated", 2), 2);
  protocol::HelloDatagram hello;
  hello.client_nonce = 42;
  Bytes datagram = protocol::EncodeHello(hello);
  EXPECT_EQ(ReplySizes(haild_->port(), datagram),
            std::vector<size_t>{protocol::kCookieSize});

  haild_->BeginStop();
  bool draining = false;
  ENetEvent event;
  for (int i = 0; i < 150 && !draining; ++i) {
    draining = enet_host_service(observer, &event, 20) > 0 &&
               event.type == ENET_EVENT_TYPE_DISCONNECT;
  }
  ASSERT_TRUE(draining);
  EXPECT_TRUE(ReplySizes(haild_->port(), datagram).empty())
      << "a draining server sent a cookie";
  EXPECT_TRUE(haild_->Alive()) << "the drain ended before the HELLO";
  enet_host_destroy(observer);
  enet_host_destroy(keeper);
  EXPECT_EQ(haild_->Stop(), 0);
}

// Issue 12: ENet refuses a packet over the host's largest (65536 bytes,
// SPEC.md 4.6) without a word and never acknowledges its fragments; the
// session died by timeout 15-20 s later with nothing counted or logged.
class PacketLimitTest : public AddressValidationTest {};

TEST_F(PacketLimitTest, PacketOverTheLimitEndsTheSessionWithMalformed) {
  ENetHost* host = MakeClientHost();
  std::optional<uint32_t> cookie = FetchCookie(host);
  ASSERT_TRUE(cookie.has_value());
  ENetAddress server = ServerAddress();
  ENetPeer* peer = enet_host_connect(host, &server, 2, *cookie);
  ASSERT_TRUE(Connects(host, 3000));
  // The secure handshake, so that the server can say SESSION_ENDED.
  protocol::ClientSession session(std::nullopt);
  protocol::OutgoingFrame hello = session.Start();
  enet_peer_send(peer, hello.channel,
                 enet_packet_create(hello.bytes.data(), hello.bytes.size(),
                                    ENET_PACKET_FLAG_RELIABLE));
  ENetEvent event;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (session.state() == protocol::ClientSession::State::kHandshaking &&
         std::chrono::steady_clock::now() < deadline) {
    if (enet_host_service(host, &event, 20) > 0 &&
        event.type == ENET_EVENT_TYPE_RECEIVE) {
      session.OnPacket(
          event.channelID,
          protocol::ByteSpan(event.packet->data, event.packet->dataLength));
      enet_packet_destroy(event.packet);
    }
  }
  ASSERT_EQ(session.state(), protocol::ClientSession::State::kSecured);

  std::vector<uint8_t> big(70000, 0x02);
  enet_peer_send(
      peer, protocol::kChannelControl,
      enet_packet_create(big.data(), big.size(), ENET_PACKET_FLAG_RELIABLE));
  std::optional<protocol::ErrorCode> ended;
  std::optional<enet_uint32> disconnect_data;
  // Well within the 5 s before ENet could give the peer up by itself.
  deadline = std::chrono::steady_clock::now() + std::chrono::seconds(4);
  while (!disconnect_data && std::chrono::steady_clock::now() < deadline) {
    if (enet_host_service(host, &event, 20) <= 0) continue;
    if (event.type == ENET_EVENT_TYPE_RECEIVE) {
      protocol::ClientSession::Output out = session.OnPacket(
          event.channelID,
          protocol::ByteSpan(event.packet->data, event.packet->dataLength));
      enet_packet_destroy(event.packet);
      if (out.message) {
        if (auto* e = std::get_if<protocol::SessionEnded>(&*out.message)) {
          ended = e->reason;
        }
      }
    } else if (event.type == ENET_EVENT_TYPE_DISCONNECT) {
      disconnect_data = event.data;
    }
  }
  enet_host_destroy(host);
  EXPECT_EQ(ended, protocol::ErrorCode::kMalformed) << haild_->log();
  EXPECT_EQ(disconnect_data,
            static_cast<enet_uint32>(protocol::ErrorCode::kMalformed));
  EXPECT_EQ(haild_->Stat("sessions_packet_too_large"), 1);
  EXPECT_GE(haild_->Stat("peer_datagrams_packet_too_large"), 1);
  EXPECT_NE(haild_->log().find("70000-byte packet, over the 65536-byte limit"),
            std::string::npos)
      << haild_->log();
}

TEST(DataDirTest, SecondHaildOnSameDataDirRefusesToStart) {
  TempDir dir;
  HaildProcess first(dir.path() / "data", FreeUdpPort());
  ASSERT_TRUE(first.Start()) << first.log();
  CommandResult second =
      RunCommand({HAILD_PATH, "--data-dir", (dir.path() / "data").string(),
                  "--listen", "127.0.0.1:" + std::to_string(FreeUdpPort())});
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_NE(second.err.find("in use by another haild"), std::string::npos)
      << second.err;
  // The first one is unharmed.
  EXPECT_GE(first.Stat("peers_current"), 0);
  EXPECT_EQ(first.Stop(), 0);
}

}  // namespace
}  // namespace hail::testing
