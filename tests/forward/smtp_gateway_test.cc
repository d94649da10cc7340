// The e-mail gateway against a real SMTP server (aiosmtpd on 127.0.0.1):
// what arrives, once, in UTF-8; STARTTLS; a server that is down; refusals
// (SPEC.md 17.5).
#include "server/forward/smtp_gateway.h"

#include <gtest/gtest.h>

#include "tests/support/smtp_sink.h"
#include "tests/support/temp_dir.h"

namespace hail::server::forward {
namespace {

using testing::SmtpSink;

class SmtpGatewayTest : public ::testing::Test {
 protected:
  SmtpGatewayTest() : sink_(dir_.path() / "smtp") {}

  SmtpConfig Config() const {
    SmtpConfig config;
    config.url = sink_.url();
    config.identity.from_address = "hail@example.org";
    config.timeout_ms = 10'000;
    return config;
  }

  static ForwardJob Job() {
    ForwardJob job;
    job.job_key = "f-3-17-e";
    job.address = "bob@example.org";
    job.sender = "alice";
    job.recipient = "bob";
    job.text = "Grüße aus Köln — 你好 👋\nsecond line";
    job.sent_unix = 1796342400;
    return job;
  }

  testing::TempDir dir_;
  SmtpSink sink_;
};

TEST_F(SmtpGatewayTest, UnicodeMessageArrivesOnceWithSenderSubjectAndDate) {
  ASSERT_TRUE(sink_.Start({}).ok());
  SmtpGateway gateway(Config());
  GatewayAnswer answer = gateway.Send(Job());
  ASSERT_EQ(answer.kind, GatewayAnswer::Kind::kAccepted) << answer.detail;
  std::vector<SmtpSink::Message> got = sink_.Messages();
  ASSERT_EQ(got.size(), 1u);
  SmtpSink::Message& m = got[0];
  EXPECT_EQ(m["from"], "alice via Hail <hail@example.org>");
  EXPECT_EQ(m["to"], "bob@example.org");
  EXPECT_EQ(m["subject"], "alice on Hail: Grüße aus Köln — 你好 👋 second line");
  EXPECT_EQ(m["message-id"], "<f-3-17-e@example.org>");
  EXPECT_EQ(m["date"], "Fri, 04 Dec 2026 00:00:00 +0000");
  EXPECT_EQ(m["content-type"], "text/plain; charset=\"UTF-8\"");
  EXPECT_EQ(m["auto-submitted"], "auto-generated");
  EXPECT_NE(m["body"].find("alice wrote to you (bob) on Hail, 2026-12-04 "
                           "00:00 UTC:\n\nGrüße aus Köln — 你好 👋\nsecond "
                           "line\n"),
            std::string::npos)
      << m["body"];
  EXPECT_NE(m["body"].find("left Hail's encrypted connections"),
            std::string::npos);
}

TEST_F(SmtpGatewayTest, StartTlsIsUsedWhenTheServerOffersIt) {
  // This aiosmtpd refuses MAIL before STARTTLS: a delivery proves TLS.
  ASSERT_TRUE(sink_.Start({.starttls = true}).ok());
  SmtpConfig config = Config();
  config.ca_file = sink_.certificate().string();
  SmtpGateway gateway(config);
  GatewayAnswer answer = gateway.Send(Job());
  ASSERT_EQ(answer.kind, GatewayAnswer::Kind::kAccepted) << answer.detail;
  EXPECT_EQ(sink_.Messages().size(), 1u);
}

TEST_F(SmtpGatewayTest, UntrustedCertificateIsRetriedNotSentInClear) {
  ASSERT_TRUE(sink_.Start({.starttls = true}).ok());
  SmtpGateway gateway(Config());  // the system CAs do not know this one
  GatewayAnswer answer = gateway.Send(Job());
  EXPECT_EQ(answer.kind, GatewayAnswer::Kind::kRetry) << answer.detail;
  EXPECT_TRUE(sink_.Messages().empty());
}

TEST_F(SmtpGatewayTest, RequiredTlsIsNotGivenUpForAServerWithoutIt) {
  ASSERT_TRUE(sink_.Start({}).ok());
  SmtpConfig config = Config();
  config.require_tls = true;
  SmtpGateway gateway(config);
  GatewayAnswer answer = gateway.Send(Job());
  EXPECT_EQ(answer.kind, GatewayAnswer::Kind::kRetry) << answer.detail;
  EXPECT_TRUE(sink_.Messages().empty());
}

TEST_F(SmtpGatewayTest, ServerThatIsDownIsRetriedAndGetsTheMessageOnceLater) {
  SmtpGateway gateway(Config());
  GatewayAnswer down = gateway.Send(Job());
  EXPECT_EQ(down.kind, GatewayAnswer::Kind::kRetry) << down.detail;
  ASSERT_TRUE(sink_.Start({}).ok());
  GatewayAnswer up = gateway.Send(Job());
  ASSERT_EQ(up.kind, GatewayAnswer::Kind::kAccepted) << up.detail;
  EXPECT_EQ(sink_.Messages().size(), 1u);
}

TEST_F(SmtpGatewayTest, MessageOverTheServersSizeLimitIsRejected) {
  ASSERT_TRUE(sink_.Start({.max_size = 200}).ok());
  SmtpGateway gateway(Config());
  GatewayAnswer answer = gateway.Send(Job());
  EXPECT_EQ(answer.kind, GatewayAnswer::Kind::kRejected) << answer.detail;
  EXPECT_TRUE(sink_.Messages().empty());
}

TEST_F(SmtpGatewayTest, AddressThatCouldInjectHeadersIsRejectedUnsent) {
  ASSERT_TRUE(sink_.Start({}).ok());
  SmtpGateway gateway(Config());
  ForwardJob job = Job();
  job.address = "bob@example.org>\r\nBcc: eve@example.org";
  GatewayAnswer answer = gateway.Send(job);
  EXPECT_EQ(answer.kind, GatewayAnswer::Kind::kRejected);
  EXPECT_TRUE(sink_.Messages().empty());
}

}  // namespace
}  // namespace hail::server::forward
