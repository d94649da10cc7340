// Issue 11, SMS: KannelGateway against a real Kannel (bearerbox, smsbox and
// the fake SMSC client fakesmsc) on loopback, and Kannel's delivery reports
// coming back to a loopback listener standing in for haild's.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>

#include "server/forward/kannel_delivery_report.h"
#include "server/forward/kannel_gateway.h"
#include "server/forward/sms_text.h"
#include "tests/support/http_request_catcher.h"
#include "tests/support/kannel_fixture.h"

namespace hail::server::forward {
namespace {

using namespace std::chrono_literals;
using testing::FakeSmscMessage;
using testing::ReassembledUcs2Text;

constexpr char kNumber[] = "+4915112345678";

class KannelGatewayIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(kannel_.Start()) << kannel_.failure(); }

  KannelConfig Config() const {
    KannelConfig config;
    config.sendsms_url = kannel_.sendsms_url();
    config.username = kannel_.options().username;
    config.password = kannel_.options().password;
    config.sender_id = "Hail";
    config.dlr_url = dlr_.base_url() + std::string(kDeliveryReportPath);
    config.max_messages = kannel_.options().max_messages;
    config.timeout = 5s;
    return config;
  }

  static ForwardJob Job(std::string key, std::string text) {
    ForwardJob job;
    job.job_key = std::move(key);
    job.address = kNumber;
    job.sender = "alice";
    job.recipient = "bob";
    job.text = std::move(text);
    return job;
  }

  testing::KannelFixture kannel_;
  testing::HttpRequestCatcher dlr_;
};

std::string Repeat(std::string_view piece, size_t times) {
  std::string out;
  for (size_t i = 0; i < times; ++i) out += piece;
  return out;
}

TEST_F(KannelGatewayIntegrationTest,
       UmlautsCjkAndEmojiArriveIntactWithTheSendersName) {
  KannelGateway gateway(Config());
  const GatewayAnswer answer =
      gateway.Send(Job("m-1.sms", "Grüße aus Köln! 你好，世界 😀👍"));
  ASSERT_EQ(answer.kind, GatewayAnswer::Kind::kAccepted) << answer.detail;
  EXPECT_EQ(answer.detail, "0: Accepted for delivery");
  EXPECT_FALSE(answer.cut);

  const std::vector<FakeSmscMessage> received = kannel_.WaitForReceived(1, 10s);
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].sender, "Hail");
  EXPECT_EQ(received[0].receiver, kNumber);
  EXPECT_EQ(received[0].type, "ucs-2");  // coding=2 took: no '?' for ü
  EXPECT_EQ(ReassembledUcs2Text(received),
            "alice: Grüße aus Köln! 你好，世界 😀👍");
}

TEST_F(KannelGatewayIntegrationTest, SeventyUnitsAreOneSmsAndSeventyOneTwo) {
  KannelGateway gateway(Config());
  // "alice: " is 7 units.
  ASSERT_EQ(gateway.Send(Job("m-70.sms", Repeat("你", 63))).kind,
            GatewayAnswer::Kind::kAccepted);
  ASSERT_EQ(kannel_.WaitForReceived(1, 10s).size(), 1u);
  ASSERT_EQ(gateway.Send(Job("m-71.sms", Repeat("你", 64))).kind,
            GatewayAnswer::Kind::kAccepted);
  const std::vector<FakeSmscMessage> received = kannel_.WaitForReceived(3, 10s);
  ASSERT_EQ(received.size(), 3u);
  EXPECT_TRUE(received[0].udh.empty());
  EXPECT_EQ(received[0].data.size(), 2u * 70);
  EXPECT_EQ(ReassembledUcs2Text({received[1], received[2]}),
            "alice: " + Repeat("你", 64));
}

TEST_F(KannelGatewayIntegrationTest,
       LongTextArrivesInAtMostMaxMessagesPartsEndingWithTheNote) {
  KannelGateway gateway(Config());
  // 400 code points with emoji and CJK, far beyond 3 parts.
  const std::string text = Repeat("Grüße 😀 你好 ", 40);
  const GatewayAnswer answer = gateway.Send(Job("m-long.sms", text));
  ASSERT_EQ(answer.kind, GatewayAnswer::Kind::kAccepted) << answer.detail;
  EXPECT_TRUE(answer.cut);

  const SmsText expected =
      ComposeSmsText("alice", text, kannel_.options().max_messages);
  ASSERT_EQ(expected.parts, 3);
  std::vector<FakeSmscMessage> received = kannel_.WaitForReceived(3, 10s);
  // Nothing beyond max_messages parts comes (give Kannel a moment more).
  std::this_thread::sleep_for(300ms);
  received = kannel_.Received();
  ASSERT_EQ(received.size(), 3u);
  for (const FakeSmscMessage& part : received) {
    EXPECT_EQ(part.udh.size(), 6u);
    EXPECT_LE(part.data.size(), 2 * kConcatenatedPartUnits);
  }
  const std::optional<std::string> arrived = ReassembledUcs2Text(received);
  ASSERT_TRUE(arrived.has_value());
  EXPECT_EQ(*arrived, expected.utf8);
  const std::string note = CutNote(expected.omitted_characters);
  EXPECT_TRUE(arrived->ends_with(note)) << *arrived;
  EXPECT_TRUE(arrived->starts_with("alice: Grüße 😀 你好 "));
}

// Kannel splits UCS-2 every 67 units even inside a surrogate pair; a phone
// joins the parts before decoding, so the emoji still arrives whole.
TEST_F(KannelGatewayIntegrationTest,
       EmojiSplitAcrossTwoPartsByKannelReassemblesIntact) {
  KannelGateway gateway(Config());
  // "alice: " + 59 x = 66 units: the emoji takes units 67 and 68.
  const std::string text = Repeat("x", 59) + "😀" + Repeat("y", 10);
  ASSERT_EQ(gateway.Send(Job("m-pair.sms", text)).kind,
            GatewayAnswer::Kind::kAccepted);
  const std::vector<FakeSmscMessage> received = kannel_.WaitForReceived(2, 10s);
  ASSERT_EQ(received.size(), 2u);
  ASSERT_EQ(received[0].data.size(), 2 * kConcatenatedPartUnits);
  EXPECT_EQ(received[0].data.substr(132), "\xD8\x3D");  // high surrogate
  EXPECT_EQ(received[1].data.substr(0, 2),
            std::string("\xDE\x00", 2));  // low surrogate
  EXPECT_EQ(ReassembledUcs2Text(received), "alice: " + text);
}

TEST_F(KannelGatewayIntegrationTest,
       DeliveryReportsComeBackToTheListenerAndParse) {
  KannelGateway gateway(Config());
  ASSERT_EQ(gateway.Send(Job("m-dlr.sms", "ping")).kind,
            GatewayAnswer::Kind::kAccepted);
  // The fake SMSC reports "submitted" (8) and then "delivered" (1).
  const std::vector<std::string> targets = dlr_.WaitForTargets(2, 15s);
  ASSERT_EQ(targets.size(), 2u);
  std::vector<DeliveryStatus> statuses;
  for (const std::string& target : targets) {
    const std::optional<DeliveryReport> report = ParseDeliveryReport(target);
    ASSERT_TRUE(report.has_value()) << target;
    EXPECT_EQ(report->job_key, "m-dlr.sms");
    statuses.push_back(report->status);
  }
  std::sort(statuses.begin(), statuses.end());
  EXPECT_EQ(statuses,
            (std::vector<DeliveryStatus>{DeliveryStatus::kDelivered,
                                         DeliveryStatus::kSubmitted}));
}

TEST_F(KannelGatewayIntegrationTest, JobKeyIsInKannelsAccessLogAsAccount) {
  KannelGateway gateway(Config());
  ASSERT_EQ(gateway.Send(Job("m-log-1.sms", "hello")).kind,
            GatewayAnswer::Kind::kAccepted);
  ASSERT_EQ(kannel_.WaitForReceived(1, 10s).size(), 1u);
  std::string log;
  for (int i = 0; i < 100 && log.find("m-log-1.sms") == std::string::npos;
       ++i) {
    std::this_thread::sleep_for(50ms);
    log = kannel_.AccessLog();
  }
  EXPECT_NE(log.find("[ACT:m-log-1.sms]"), std::string::npos) << log;
}

TEST_F(KannelGatewayIntegrationTest, SendAnswersRetryWhileKannelIsStopped) {
  KannelGateway gateway(Config());
  kannel_.Stop();
  const GatewayAnswer answer = gateway.Send(Job("m-down.sms", "hello"));
  EXPECT_EQ(answer.kind, GatewayAnswer::Kind::kRetry) << answer.detail;
  EXPECT_TRUE(kannel_.Received().empty());
}

TEST_F(KannelGatewayIntegrationTest, WrongPasswordIsRejected) {
  KannelConfig config = Config();
  config.password = "not-the-password";
  KannelGateway gateway(config);
  const GatewayAnswer answer = gateway.Send(Job("m-auth.sms", "hello"));
  EXPECT_EQ(answer.kind, GatewayAnswer::Kind::kRejected);
  EXPECT_NE(answer.detail.find("403"), std::string::npos) << answer.detail;
  std::this_thread::sleep_for(300ms);
  EXPECT_TRUE(kannel_.Received().empty());
}

}  // namespace
}  // namespace hail::server::forward
