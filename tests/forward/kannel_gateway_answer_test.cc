// Issue 11, SMS: how KannelGateway maps what comes back from sendsms, with
// a loopback HTTP stand-in for smsbox answering what the test says (Kannel
// itself is in kannel_gateway_integration_test.cc).
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "server/forward/kannel_gateway.h"
#include "tests/support/http_request_catcher.h"

namespace hail::server::forward {
namespace {

using namespace std::chrono_literals;
using Kind = GatewayAnswer::Kind;

class KannelGatewayAnswerTest : public ::testing::Test {
 protected:
  GatewayAnswer SendOnce() {
    KannelConfig config;
    config.sendsms_url = smsbox_.base_url() + "/cgi-bin/sendsms";
    config.username = "hail";
    config.password = "secret";
    config.sender_id = "Hail";
    config.dlr_url = "http://127.0.0.1:9/kannel/dlr";
    config.timeout = 500ms;
    KannelGateway gateway(config);
    ForwardJob job;
    job.job_key = "m-1.sms";
    job.address = "+4915112345678";
    job.sender = "alice";
    job.text = "hi";
    return gateway.Send(job);
  }

  testing::HttpRequestCatcher smsbox_;
};

TEST_F(KannelGatewayAnswerTest, Accepted202IsAcceptedWithKannelsAnswer) {
  smsbox_.set_answer(202, "0: Accepted for delivery");
  const GatewayAnswer answer = SendOnce();
  EXPECT_EQ(answer.kind, Kind::kAccepted);
  EXPECT_EQ(answer.detail, "0: Accepted for delivery");
  ASSERT_EQ(smsbox_.targets().size(), 1u);
  EXPECT_TRUE(smsbox_.targets()[0].starts_with("/cgi-bin/sendsms?username="));
}

TEST_F(KannelGatewayAnswerTest, QueuedForLaterDeliveryIsAccepted) {
  // smsbox's answer while bearerbox has no SMSC connected.
  smsbox_.set_answer(202, "3: Queued for later delivery");
  EXPECT_EQ(SendOnce().kind, Kind::kAccepted);
}

TEST_F(KannelGatewayAnswerTest, QueueFull503AndOther5xxAreRetried) {
  for (int status : {500, 502, 503}) {
    smsbox_.set_answer(status, "Queue full");
    const GatewayAnswer answer = SendOnce();
    EXPECT_EQ(answer.kind, Kind::kRetry) << status;
    EXPECT_NE(answer.detail.find(std::to_string(status)), std::string::npos);
  }
}

TEST_F(KannelGatewayAnswerTest, ClientErrors4xxAreRejected) {
  for (int status : {400, 403, 404}) {
    smsbox_.set_answer(status, "Authorization failed for sendsms");
    EXPECT_EQ(SendOnce().kind, Kind::kRejected) << status;
  }
}

TEST_F(KannelGatewayAnswerTest, AnswerSlowerThanTheTimeoutIsRetried) {
  smsbox_.set_answer(202, "0: Accepted for delivery", 1500ms);
  const auto start = std::chrono::steady_clock::now();
  const GatewayAnswer answer = SendOnce();
  EXPECT_EQ(answer.kind, Kind::kRetry) << answer.detail;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1400ms);
}

TEST_F(KannelGatewayAnswerTest, RedirectIsNotFollowedAndIsRetried) {
  smsbox_.set_answer(302, "");
  const GatewayAnswer answer = SendOnce();
  EXPECT_EQ(answer.kind, Kind::kRetry);
  EXPECT_EQ(smsbox_.targets().size(), 1u);
}

}  // namespace
}  // namespace hail::server::forward
