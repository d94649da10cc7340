// The intercept's judgement of datagrams addressed to ENet peers, and the
// checksum function that lets ENet reuse the CRC computed there.
#include "server/peer_datagram_check.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "protocol/enet_wire.h"

namespace hail::server {
namespace {

constexpr enet_uint32 kConnectId = 0x01020304;

class PeerDatagramCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(enet_initialize(), 0);
    ENetAddress local{};
    enet_address_set_host_ip(&local, "127.0.0.1");
    host_ = enet_host_create(&local, 4, 2, 0, 0);
    ASSERT_NE(host_, nullptr);
    host_->checksum = PeerChecksum;
    enet_address_set_host_ip(&peer_address_, "127.0.0.1");
    peer_address_.port = 40000;
    ENetPeer& peer = host_->peers[1];
    peer.state = ENET_PEER_STATE_CONNECTED;
    peer.address = peer_address_;
    peer.connectID = kConnectId;
    peer.incomingSessionID = 2;
    peer.outgoingPeerID = 7;
  }
  void TearDown() override {
    ForgetVerifiedDatagram();
    host_->peers[1].state = ENET_PEER_STATE_DISCONNECTED;
    enet_host_destroy(host_);
    enet_deinitialize();
  }

  // A datagram for peer 1, session 2, with a PING command, its CRC
  // computed as ENet does (connect id in the checksum field), then placed
  // in the host's receive buffer as if it had just arrived.
  protocol::enet_wire::Header Receive(bool corrupt_checksum) {
    std::vector<uint8_t> datagram = {0x20, 0x01,           // session 2, peer 1
                                     0,    0,    0,    0,  // checksum
                                     0x85, 0xff, 0x00, 0x01};  // PING
    enet_uint32 id = kConnectId;
    std::memcpy(datagram.data() + 2, &id, sizeof id);
    ENetBuffer buffer{datagram.data(), datagram.size()};
    enet_uint32 crc = enet_crc32(&buffer, 1);
    if (corrupt_checksum) crc ^= 1;
    sent_checksum_ = crc;
    std::memcpy(datagram.data() + 2, &crc, sizeof crc);
    std::memcpy(received_, datagram.data(), datagram.size());
    host_->receivedData = received_;
    host_->receivedDataLength = datagram.size();
    host_->receivedAddress = peer_address_;
    auto header = protocol::enet_wire::ParseHeader(
        protocol::ByteSpan(received_, datagram.size()), true);
    EXPECT_TRUE(header.has_value());
    return *header;
  }

  // What ENet computes when it checks the received datagram.
  enet_uint32 EnetsCheck() {
    uint8_t* field = host_->receivedData + 2;
    enet_uint32 id = kConnectId;
    std::memcpy(field, &id, sizeof id);
    ENetBuffer buffer{host_->receivedData, host_->receivedDataLength};
    return host_->checksum(&buffer, 1);
  }

  ENetHost* host_ = nullptr;
  ENetAddress peer_address_{};
  uint8_t received_[64] = {};
  enet_uint32 sent_checksum_ = 0;  // as it is in the datagram
};

TEST_F(PeerDatagramCheckTest,
       PassedDatagramsCrcIsReusedByEnetOnceThenComputed) {
  protocol::enet_wire::Header header = Receive(/*corrupt_checksum=*/false);
  ASSERT_EQ(JudgePeerDatagram(host_, header), PeerDatagramVerdict::kPass);
  enet_uint32 verified = sent_checksum_;
  // Change a command byte: a reused CRC still matches the original bytes,
  // a computed one does not.
  received_[9] ^= 0x40;
  EXPECT_EQ(EnetsCheck(), verified);
  EXPECT_NE(EnetsCheck(), verified);
}

TEST_F(PeerDatagramCheckTest, BadChecksumIsJudgedAndNothingIsRemembered) {
  protocol::enet_wire::Header header = Receive(/*corrupt_checksum=*/true);
  EXPECT_EQ(JudgePeerDatagram(host_, header),
            PeerDatagramVerdict::kBadChecksum);
  EXPECT_NE(EnetsCheck(), sent_checksum_);
}

TEST_F(PeerDatagramCheckTest, ForgottenDatagramsCrcIsComputedAgain) {
  protocol::enet_wire::Header header = Receive(/*corrupt_checksum=*/false);
  ASSERT_EQ(JudgePeerDatagram(host_, header), PeerDatagramVerdict::kPass);
  ForgetVerifiedDatagram();
  received_[9] ^= 0x40;
  EXPECT_NE(EnetsCheck(), sent_checksum_);
}

TEST_F(PeerDatagramCheckTest, DatagramFromAnotherPortIsWrongSource) {
  protocol::enet_wire::Header header = Receive(/*corrupt_checksum=*/false);
  host_->receivedAddress.port = 40001;
  EXPECT_EQ(JudgePeerDatagram(host_, header),
            PeerDatagramVerdict::kWrongSource);
}

TEST_F(PeerDatagramCheckTest, DatagramOfAnEarlierSessionIsWrongSession) {
  protocol::enet_wire::Header header = Receive(/*corrupt_checksum=*/false);
  host_->peers[1].incomingSessionID = 1;
  EXPECT_EQ(JudgePeerDatagram(host_, header),
            PeerDatagramVerdict::kWrongSession);
}

TEST_F(PeerDatagramCheckTest, DatagramForAFreeSlotHasNoPeer) {
  protocol::enet_wire::Header header = Receive(/*corrupt_checksum=*/false);
  host_->peers[1].state = ENET_PEER_STATE_DISCONNECTED;
  EXPECT_EQ(JudgePeerDatagram(host_, header), PeerDatagramVerdict::kNoSuchPeer);
}

// A datagram for peer 1, session 2: an ACKNOWLEDGE, then one fragment of a
// `total_length`-byte packet (`command` 8: SEND_FRAGMENT, 12: unreliable).
protocol::Bytes FragmentDatagram(uint8_t command, uint32_t total_length) {
  protocol::Bytes datagram;
  protocol::ByteWriter w(&datagram);
  w.U16(0x2001);  // session 2, peer 1
  w.U32(0);       // checksum (not judged here)
  w.U8(0x01);     // ACKNOWLEDGE
  w.U8(0xff);     // channel
  w.U16(1);       // reliable sequence number
  w.U16(5);       // received reliable sequence number
  w.U16(0x1234);  // received sent time
  w.U8(0x80 | command);
  w.U8(0);                              // channel 0
  w.U16(6);                             // reliable sequence number
  w.U16(6);                             // start sequence number
  w.U16(4);                             // data length
  w.U32((total_length + 1391) / 1392);  // fragment count
  w.U32(0);                             // fragment number
  w.U32(total_length);
  w.U32(0);           // fragment offset
  w.U32(0xaabbccdd);  // the 4 data bytes
  return datagram;
}

// Issue 12: ENet refuses a packet over host->maximumPacketSize without a
// word, and the session died by timeout; the intercept now sees it.
TEST(OversizedPacketTest, FragmentOfAPacketOverTheLimitIsFound) {
  EXPECT_EQ(OversizedPacketLength(FragmentDatagram(8, 70000), 65536), 70000u);
  EXPECT_EQ(OversizedPacketLength(FragmentDatagram(12, 65537), 65536), 65537u);
}

TEST(OversizedPacketTest, FragmentOfAPacketAtTheLimitIsNot) {
  EXPECT_EQ(OversizedPacketLength(FragmentDatagram(8, 65536), 65536),
            std::nullopt);
  EXPECT_EQ(OversizedPacketLength(FragmentDatagram(8, 4199), 65536),
            std::nullopt);
}

TEST(OversizedPacketTest, DatagramWithoutFragmentsHasNone) {
  protocol::Bytes datagram = {0x20, 0x01, 0, 0, 0, 0, 0x85, 0xff, 0x00, 0x01};
  EXPECT_EQ(OversizedPacketLength(datagram, 65536), std::nullopt);
}

}  // namespace
}  // namespace hail::server
