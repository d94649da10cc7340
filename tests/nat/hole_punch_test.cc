#include "nat/hole_punch.h"

#include <gtest/gtest.h>

namespace hail::nat {
namespace {

using protocol::Endpoint;
using protocol::LinkRole;

constexpr uint64_t kSession = 0x1122334455667788;

protocol::LinkKeys Keys() {
  protocol::SessionKey key;
  key.fill(0x55);
  return protocol::DeriveLinkKeys(key, kSession);
}

PunchPlan Plan(LinkRole role) {
  PunchPlan plan;
  plan.session_id = kSession;
  plan.role = role;
  plan.peer_public = *Endpoint::Parse("203.0.113.3:40001");
  plan.peer_lan = *Endpoint::Parse("192.168.2.10:40001");
  plan.probe_key = Keys().probe;
  return plan;
}

protocol::Bytes ProbeFrom(LinkRole role, uint32_t seq = 0) {
  return protocol::EncodeProbe({kSession, role, seq}, Keys().probe);
}

TEST(HolePunchTest, ProbesEveryCandidateOnSchedule) {
  HolePunch punch(Plan(LinkRole::kListener), 1000);
  HolePunch::Output out = punch.Start(1000);
  ASSERT_EQ(out.datagrams.size(), 2u);
  EXPECT_EQ(out.datagrams[0].first.ToString(), "203.0.113.3:40001");
  EXPECT_EQ(out.datagrams[1].first.ToString(), "192.168.2.10:40001");
  EXPECT_EQ(punch.next_deadline_ms(), 1000 + HolePunch::kFastIntervalMs);
  // Fast for the first second, then slow.
  out = punch.OnTimer(1020);
  EXPECT_EQ(out.datagrams.size(), 2u);
  EXPECT_EQ(punch.next_deadline_ms(), 1040u);
  out = punch.OnTimer(2100);
  EXPECT_EQ(punch.next_deadline_ms(), 2100 + HolePunch::kSlowIntervalMs);
  // The seq counts rounds.
  auto probe = protocol::DecodeProbe(out.datagrams[0].second, Keys().probe);
  ASSERT_TRUE(probe);
  EXPECT_EQ(probe->seq, 2u);
  EXPECT_EQ(probe->sender_role, LinkRole::kListener);
}

TEST(HolePunchTest, SameLanAndPublicEndpointIsProbedOnce) {
  PunchPlan plan = Plan(LinkRole::kListener);
  plan.peer_lan = plan.peer_public;
  HolePunch punch(plan, 0);
  EXPECT_EQ(punch.Start(0).datagrams.size(), 1u);
}

TEST(HolePunchTest, ConnectorConnectsToTheSourceOfTheFirstValidProbe) {
  HolePunch punch(Plan(LinkRole::kConnector), 0);
  punch.Start(0);
  Endpoint mapped = *Endpoint::Parse("203.0.113.3:61000");  // NAT's choice
  // Forged, own-role and other-session probes do not count.
  protocol::Bytes forged = ProbeFrom(LinkRole::kListener);
  forged.back() ^= 1;
  EXPECT_FALSE(punch.OnProbe(mapped, forged, 5).connect_to);
  EXPECT_FALSE(
      punch.OnProbe(mapped, ProbeFrom(LinkRole::kConnector), 5).connect_to);
  EXPECT_EQ(punch.probes_invalid(), 2u);
  HolePunch::Output out =
      punch.OnProbe(mapped, ProbeFrom(LinkRole::kListener), 6);
  ASSERT_TRUE(out.connect_to);
  EXPECT_EQ(*out.connect_to, mapped);
  EXPECT_EQ(punch.state(), HolePunch::State::kConnecting);
  // Connecting once is enough; a failed connection tries the next source.
  Endpoint other = *Endpoint::Parse("192.168.2.10:40001");
  EXPECT_FALSE(
      punch.OnProbe(other, ProbeFrom(LinkRole::kListener, 1), 7).connect_to);
  out = punch.OnConnectFailed(8);
  ASSERT_TRUE(out.connect_to);
  EXPECT_EQ(*out.connect_to, other);
}

TEST(HolePunchTest, ListenerNeverConnectsAndAdmitsOnlyKnownSources) {
  HolePunch punch(Plan(LinkRole::kListener), 0);
  punch.Start(0);
  Endpoint mapped = *Endpoint::Parse("203.0.113.3:61000");
  Endpoint stranger = *Endpoint::Parse("198.51.100.9:4444");
  EXPECT_TRUE(punch.AdmitsConnect(*Endpoint::Parse("203.0.113.3:40001")));
  EXPECT_FALSE(punch.AdmitsConnect(mapped));
  EXPECT_FALSE(
      punch.OnProbe(mapped, ProbeFrom(LinkRole::kConnector), 3).connect_to);
  EXPECT_TRUE(punch.AdmitsConnect(mapped));
  EXPECT_FALSE(punch.AdmitsConnect(stranger));
  punch.OnLinkUp();
  EXPECT_FALSE(punch.AdmitsConnect(mapped));  // one link per attempt
}

TEST(HolePunchTest, GivesUpAfterFiveSecondsAndSaysWhy) {
  HolePunch silent(Plan(LinkRole::kConnector), 0);
  silent.Start(0);
  silent.OnTimer(HolePunch::kGiveUpMs);
  EXPECT_EQ(silent.state(), HolePunch::State::kFailed);
  EXPECT_NE(silent.failure().find("no PROBE"), std::string::npos);
  EXPECT_TRUE(silent.OnTimer(HolePunch::kGiveUpMs + 100).datagrams.empty());

  HolePunch heard(Plan(LinkRole::kListener), 0);
  heard.Start(0);
  heard.OnProbe(*Endpoint::Parse("203.0.113.3:40001"),
                ProbeFrom(LinkRole::kConnector), 10);
  heard.OnTimer(HolePunch::kGiveUpMs);
  EXPECT_EQ(heard.state(), HolePunch::State::kFailed);
  EXPECT_NE(heard.failure().find("PROBEs arrived"), std::string::npos);
}

TEST(HolePunchTest, NoCandidateFailsAtOnce) {
  PunchPlan plan = Plan(LinkRole::kConnector);
  plan.peer_public = {};
  plan.peer_lan = {};
  HolePunch punch(plan, 0);
  EXPECT_TRUE(punch.Start(0).datagrams.empty());
  EXPECT_EQ(punch.state(), HolePunch::State::kFailed);
}

}  // namespace
}  // namespace hail::nat
