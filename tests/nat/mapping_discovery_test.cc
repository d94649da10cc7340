#include "nat/mapping_discovery.h"

#include "gtest/gtest.h"
#include "protocol/stun.h"

namespace hail::nat {
namespace {

using protocol::Endpoint;
using Datagrams = std::vector<MappingDiscovery::Datagram>;

Endpoint Ep(std::string_view text) { return *Endpoint::Parse(text); }

const Endpoint kPrimary = Ep("203.0.113.5:4000");
const Endpoint kAlternate = Ep("203.0.113.5:4001");

// Deterministic "random" bytes: a counter.
MappingDiscovery::RandomFill CountingRandom() {
  auto next = std::make_shared<uint8_t>(0);
  return [next](std::span<uint8_t> out) {
    for (uint8_t& b : out) b = (*next)++;
  };
}

// A server's answer to `request`, as seen from `mapped`.
protocol::Bytes Answer(const MappingDiscovery::Datagram& request,
                       const Endpoint& mapped, const Endpoint& other) {
  protocol::stun::ServerReply reply =
      protocol::stun::AnswerBinding(request.bytes, mapped, request.to, other);
  EXPECT_EQ(reply.outcome, protocol::stun::ServerReply::Outcome::kAnswered);
  return reply.datagram;
}

TEST(MappingDiscoveryTest, SameMappingFromBothPortsIsEndpointIndependent) {
  MappingDiscovery d(kPrimary, Endpoint(), CountingRandom());
  Datagrams out = d.Start(0);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].to, kPrimary);
  const Endpoint mapped = Ep("198.51.100.7:51000");
  Datagrams next;
  ASSERT_TRUE(
      d.OnDatagram(kPrimary, Answer(out[0], mapped, kAlternate), 30, &next));
  EXPECT_EQ(d.state(), MappingDiscovery::State::kProbingAlternate);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].to, kAlternate);
  EXPECT_NE(next[0].bytes, out[0].bytes);  // a new transaction id
  Datagrams none;
  ASSERT_TRUE(
      d.OnDatagram(kAlternate, Answer(next[0], mapped, Endpoint()), 60, &none));
  EXPECT_TRUE(none.empty());
  ASSERT_TRUE(d.done());
  EXPECT_TRUE(d.report().udp_works);
  EXPECT_EQ(d.report().public_endpoint, mapped);
  EXPECT_EQ(d.report().mapping, MappingBehaviour::kEndpointIndependent);
  EXPECT_NE(d.report().reason.find("198.51.100.7:51000"), std::string::npos);
}

TEST(MappingDiscoveryTest, NewMappingPerPortIsEndpointDependent) {
  MappingDiscovery d(kPrimary, kAlternate, CountingRandom());
  Datagrams out = d.Start(0);
  Datagrams next;
  ASSERT_TRUE(d.OnDatagram(kPrimary,
                           Answer(out[0], Ep("198.51.100.7:51000"), Endpoint()),
                           10, &next));
  ASSERT_EQ(next.size(), 1u);
  Datagrams none;
  ASSERT_TRUE(d.OnDatagram(
      kAlternate, Answer(next[0], Ep("198.51.100.7:51002"), Endpoint()), 20,
      &none));
  EXPECT_EQ(d.report().mapping, MappingBehaviour::kEndpointDependent);
  EXPECT_EQ(d.report().public_endpoint, Ep("198.51.100.7:51000"));
}

TEST(MappingDiscoveryTest, RetransmitsAtDoublingIntervalsThenGivesUp) {
  MappingDiscovery d(kPrimary, kAlternate, CountingRandom());
  Datagrams first = d.Start(0);
  std::vector<uint64_t> sent_at = {0};
  for (uint64_t t = 1; t <= 5000 && !d.done(); ++t) {
    Datagrams out = d.OnTimer(t);
    for (const auto& datagram : out) {
      EXPECT_EQ(datagram.bytes, first[0].bytes);  // same transaction
      sent_at.push_back(t);
    }
  }
  EXPECT_EQ(sent_at, (std::vector<uint64_t>{0, 100, 300, 700, 1500}));
  ASSERT_TRUE(d.done());
  EXPECT_FALSE(d.report().udp_works);
  EXPECT_TRUE(d.report().public_endpoint.empty());
  EXPECT_EQ(d.report().mapping, MappingBehaviour::kUnknown);
  EXPECT_EQ(d.next_timer_ms(), UINT64_MAX);
}

TEST(MappingDiscoveryTest, SilentAlternateLeavesMappingUnknown) {
  MappingDiscovery d(kPrimary, kAlternate, CountingRandom());
  Datagrams out = d.Start(0);
  Datagrams next;
  ASSERT_TRUE(d.OnDatagram(kPrimary,
                           Answer(out[0], Ep("198.51.100.7:51000"), Endpoint()),
                           10, &next));
  for (uint64_t t = 11; t <= 4000; ++t) d.OnTimer(t);
  ASSERT_TRUE(d.done());
  EXPECT_TRUE(d.report().udp_works);
  EXPECT_EQ(d.report().public_endpoint, Ep("198.51.100.7:51000"));
  EXPECT_EQ(d.report().mapping, MappingBehaviour::kUnknown);
  EXPECT_NE(d.report().reason.find("alternate"), std::string::npos);
}

TEST(MappingDiscoveryTest, NoAlternateKnownEndsAfterThePrimary) {
  MappingDiscovery d(kPrimary, Endpoint(), CountingRandom());
  Datagrams out = d.Start(0);
  Datagrams next;
  ASSERT_TRUE(d.OnDatagram(kPrimary,
                           Answer(out[0], Ep("198.51.100.7:51000"), Endpoint()),
                           10, &next));
  EXPECT_TRUE(next.empty());
  ASSERT_TRUE(d.done());
  EXPECT_TRUE(d.report().udp_works);
  EXPECT_EQ(d.report().mapping, MappingBehaviour::kUnknown);
}

TEST(MappingDiscoveryTest, IgnoresWrongSourceAndWrongTransaction) {
  MappingDiscovery d(kPrimary, kAlternate, CountingRandom());
  Datagrams out = d.Start(0);
  Datagrams next;
  protocol::Bytes answer = Answer(out[0], Ep("198.51.100.7:51000"), Endpoint());
  EXPECT_FALSE(d.OnDatagram(Ep("203.0.113.9:4000"), answer, 5, &next));
  protocol::Bytes other_transaction = answer;
  other_transaction[19] ^= 1;
  EXPECT_FALSE(d.OnDatagram(kPrimary, other_transaction, 5, &next));
  EXPECT_FALSE(d.OnDatagram(kPrimary, protocol::Bytes{1, 2, 3}, 5, &next));
  EXPECT_EQ(d.state(), MappingDiscovery::State::kProbingPrimary);
  EXPECT_TRUE(d.OnDatagram(kPrimary, answer, 5, &next));
}

TEST(MappingDiscoveryTest, ErrorAnswerProvesUdpButNoMapping) {
  MappingDiscovery d(kPrimary, kAlternate, CountingRandom());
  Datagrams out = d.Start(0);
  // The server's 420 to our request with an unknown attribute (USERNAME,
  // empty) in front and its FINGERPRINT left off; same transaction.
  protocol::Bytes request = out[0].bytes;
  request.resize(request.size() - 8);
  protocol::Bytes attribute = {0x00, 0x06, 0x00, 0x00};
  request.insert(request.begin() + 20, attribute.begin(), attribute.end());
  request[3] = static_cast<uint8_t>(request.size() - 20);
  protocol::stun::ServerReply reply = protocol::stun::AnswerBinding(
      request, Ep("198.51.100.7:51000"), kPrimary, Endpoint());
  ASSERT_EQ(reply.outcome,
            protocol::stun::ServerReply::Outcome::kErrorAnswered);
  Datagrams next;
  ASSERT_TRUE(d.OnDatagram(kPrimary, reply.datagram, 5, &next));
  ASSERT_TRUE(d.done());
  EXPECT_TRUE(d.report().udp_works);
  EXPECT_TRUE(d.report().public_endpoint.empty());
}

}  // namespace
}  // namespace hail::nat
