// hail-dissect finds the server without --port (issue 12): the pre-session
// HELLO and COOKIE and the ENet CONNECT name the server's endpoint, as in
// the Wireshark plugin; --port overrides what is learnt.
#include <string>

#include "gtest/gtest.h"
#include "protocol/messages.h"
#include "protocol/presession.h"
#include "protocol/registry.h"
#include "tests/tools/dissect_packets.h"
#include "tools/dissect/dissector.h"

namespace hail::dissect {
namespace {

namespace packets = hail::testing::dissect_packets;
using protocol::Bytes;

constexpr uint16_t kServer = 47311;  // not the default 4000
constexpr uint16_t kClient = 51000;

// A PLAIN CLIENT_HELLO in one reliable ENet command.
Bytes ClientHelloDatagram() {
  Bytes frame = {protocol::kFramePlain};
  Bytes message = protocol::EncodeMessage(protocol::ClientHello{});
  frame.insert(frame.end(), message.begin(), message.end());
  return packets::Enet(0, packets::SendReliable(0, 1, frame));
}

class DissectorServerPortTest : public ::testing::Test {
 protected:
  DatagramResult Dissect(Dissector* dissector, uint16_t source,
                         uint16_t destination, const Bytes& payload) {
    // frame.data points into datagrams_, which outlives the call.
    datagrams_.push_back(packets::Ipv4Udp(source, destination, payload));
    CapturedFrame frame;
    frame.link_type = packets::kLinkRaw;
    frame.data = datagrams_.back();
    frame.original_length = frame.data.size();
    return dissector->Dissect(frame);
  }

  std::vector<Bytes> datagrams_;
};

TEST_F(DissectorServerPortTest, NothingNamesTheServerSoOtherPortsStayOther) {
  Dissector dissector({});
  DatagramResult r =
      Dissect(&dissector, kClient, kServer, ClientHelloDatagram());
  EXPECT_EQ(r.datagram_class, DatagramClass::kOther);
  EXPECT_TRUE(r.hail.empty());
}

TEST_F(DissectorServerPortTest, HelloNamesItsDestinationAsTheServer) {
  Dissector dissector({});
  protocol::HelloDatagram hello;
  hello.version = 1;
  DatagramResult h =
      Dissect(&dissector, kClient, kServer, protocol::EncodeHello(hello));
  EXPECT_EQ(h.datagram_class, DatagramClass::kPresession);
  EXPECT_TRUE(h.to_server);
  DatagramResult r =
      Dissect(&dissector, kClient, kServer, ClientHelloDatagram());
  EXPECT_EQ(r.datagram_class, DatagramClass::kEnet);
  EXPECT_TRUE(r.to_server);
  ASSERT_EQ(r.hail.size(), 1u);
  EXPECT_EQ(r.hail[0].kind, "CLIENT_HELLO");
}

TEST_F(DissectorServerPortTest, CookieNamesItsSourceAsTheServer) {
  Dissector dissector({});
  protocol::CookieDatagram cookie;
  cookie.version = 1;
  Dissect(&dissector, kServer, kClient, protocol::EncodeCookie(cookie));
  DatagramResult r =
      Dissect(&dissector, kClient, kServer, ClientHelloDatagram());
  EXPECT_EQ(r.datagram_class, DatagramClass::kEnet);
  EXPECT_TRUE(r.to_server);
  ASSERT_EQ(r.hail.size(), 1u);
}

TEST_F(DissectorServerPortTest, EnetConnectNamesItsDestinationAsTheServer) {
  Dissector dissector({});
  Bytes connect;
  protocol::ByteWriter w(&connect);
  w.U8(0x82);                            // CONNECT, acknowledge flag
  w.U8(0xff);                            // channel
  w.U16(1);                              // reliable sequence number
  for (int i = 0; i < 44; ++i) w.U8(0);  // CONNECT's 44 bytes of fields
  Dissect(&dissector, kClient, kServer, packets::Enet(0xfff, connect));
  DatagramResult r =
      Dissect(&dissector, kClient, kServer, ClientHelloDatagram());
  EXPECT_EQ(r.datagram_class, DatagramClass::kEnet);
  ASSERT_EQ(r.hail.size(), 1u);
  EXPECT_EQ(r.hail[0].kind, "CLIENT_HELLO");
}

TEST_F(DissectorServerPortTest, PortOptionOverridesWhatTheTrafficNames) {
  Dissector dissector({.server_port = 5000});
  protocol::HelloDatagram hello;
  hello.version = 1;
  Dissect(&dissector, kClient, kServer, protocol::EncodeHello(hello));
  DatagramResult r =
      Dissect(&dissector, kClient, kServer, ClientHelloDatagram());
  EXPECT_EQ(r.datagram_class, DatagramClass::kOther);
}

}  // namespace
}  // namespace hail::dissect
