#include "server/forward/kannel_gateway.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace hail::server::forward {
namespace {

KannelConfig GoodConfig() {
  KannelConfig config;
  config.sendsms_url = "http://127.0.0.1:1/cgi-bin/sendsms";
  config.username = "hail";
  config.password = "s&cret";
  config.sender_id = "Hail";
  config.dlr_url = "http://127.0.0.1:2/kannel/dlr";
  config.max_messages = 3;
  return config;
}

ForwardJob Job(std::string address) {
  ForwardJob job;
  job.job_key = "m-7.sms";
  job.address = std::move(address);
  job.sender = "alice";
  job.recipient = "bob";
  job.text = "hi";
  return job;
}

TEST(KannelGatewayTest, QueryAsksForUcs2AllDeliveryReportsAndTheJobKey) {
  const KannelGateway gateway(GoodConfig());
  EXPECT_EQ(gateway.SendsmsQuery(Job("+4915112345678"), "alice: hi ü"),
            "username=hail&password=s%26cret&from=Hail&to=%2B4915112345678"
            "&text=alice%3A%20hi%20%C3%BC&coding=2&charset=UTF-8&dlr-mask=31"
            "&dlr-url=http%3A%2F%2F127.0.0.1%3A2%2Fkannel%2Fdlr%3Fjob%3Dm-7.sms"
            "%26status%3D%25d%26answer%3D%25A&account=m-7.sms");
}

TEST(KannelGatewayTest, AddressThatIsNotOneNumberIsRejectedWithoutARequest) {
  KannelGateway gateway(GoodConfig());
  for (const char* address : {"", "+", "12", "+49 151", "+49151a", "a@b.c",
                              "+491511234567890123456"}) {
    const GatewayAnswer answer = gateway.Send(Job(address));
    EXPECT_EQ(answer.kind, GatewayAnswer::Kind::kRejected) << address;
  }
  EXPECT_TRUE(IsValidSmsNumber("+4915112345678"));
  EXPECT_TRUE(IsValidSmsNumber("110"));
}

TEST(KannelGatewayTest, BadJobKeyIsRejectedWithoutARequest) {
  KannelGateway gateway(GoodConfig());
  ForwardJob job = Job("+4915112345678");
  job.job_key = "a&b";
  EXPECT_EQ(gateway.Send(job).kind, GatewayAnswer::Kind::kRejected);
}

TEST(KannelGatewayTest, ConfigWithoutSenderOrWithWrongDlrPathIsRefused) {
  KannelConfig no_sender = GoodConfig();
  no_sender.sender_id.clear();
  EXPECT_THROW(KannelGateway{no_sender}, std::invalid_argument);
  KannelConfig wrong_path = GoodConfig();
  wrong_path.dlr_url = "http://127.0.0.1:2/dlr";
  EXPECT_FALSE(KannelConfigProblem(wrong_path).empty());
  KannelConfig no_parts = GoodConfig();
  no_parts.max_messages = 0;
  EXPECT_FALSE(KannelConfigProblem(no_parts).empty());
  EXPECT_EQ(KannelConfigProblem(GoodConfig()), "");
}

TEST(KannelGatewayTest, ChannelIsSms) {
  EXPECT_EQ(KannelGateway(GoodConfig()).channel(), Channel::kSms);
}

}  // namespace
}  // namespace hail::server::forward
