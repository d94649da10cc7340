#include "server/forward/kannel_delivery_report.h"

#include <gtest/gtest.h>

#include <string>

namespace hail::server::forward {
namespace {

TEST(DeliveryReportTest, DeliveredReportIsParsed) {
  const auto report =
      ParseDeliveryReport("/kannel/dlr?job=m-42.sms&status=1&answer=");
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->job_key, "m-42.sms");
  EXPECT_EQ(report->status, DeliveryStatus::kDelivered);
  EXPECT_EQ(report->answer, "");
  EXPECT_TRUE(IsFinal(report->status));
}

TEST(DeliveryReportTest, PercentEncodedAnswerIsDecoded) {
  // What Kannel 1.4.5 sent for a fakesmsc submission: %A = "ACK/".
  const auto report =
      ParseDeliveryReport("/kannel/dlr?job=j1&status=8&answer=ACK%2F");
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->status, DeliveryStatus::kSubmitted);
  EXPECT_EQ(report->answer, "ACK/");
  const auto spaced = ParseDeliveryReport(
      "/kannel/dlr?answer=NACK%2F0x45+Unknown%20%C3%BC&status=16&job=j1");
  ASSERT_TRUE(spaced.has_value());
  EXPECT_EQ(spaced->answer, "NACK/0x45 Unknown ü");
}

TEST(DeliveryReportTest, EveryKannelStatusBitMapsToItsStatus) {
  const std::pair<const char*, DeliveryStatus> cases[] = {
      {"1", DeliveryStatus::kDelivered},
      {"2", DeliveryStatus::kFailed},
      {"4", DeliveryStatus::kBuffered},
      {"8", DeliveryStatus::kSubmitted},
      {"16", DeliveryStatus::kSmscRejected}};
  for (const auto& [text, status] : cases) {
    const auto report = ParseDeliveryReport(
        std::string("/kannel/dlr?job=a&status=") + text + "&answer=x");
    ASSERT_TRUE(report.has_value()) << text;
    EXPECT_EQ(report->status, status) << text;
  }
  EXPECT_FALSE(IsFinal(DeliveryStatus::kBuffered));
  EXPECT_FALSE(IsFinal(DeliveryStatus::kSubmitted));
  EXPECT_TRUE(IsFinal(DeliveryStatus::kFailed));
  EXPECT_TRUE(IsFinal(DeliveryStatus::kSmscRejected));
}

TEST(DeliveryReportTest, MalformedReportsAreRejected) {
  const char* malformed[] = {
      "",
      "/kannel/dlr",
      "/kannel/dlr?",
      "/other?job=a&status=1&answer=",
      "/kannel/dlrx?job=a&status=1&answer=",
      "/kannel/dlr?job=a&status=1",                  // answer missing
      "/kannel/dlr?status=1&answer=",                // job missing
      "/kannel/dlr?job=a&answer=",                   // status missing
      "/kannel/dlr?job=a&job=b&status=1&answer=",    // repeated key
      "/kannel/dlr?job=a&status=1&answer=&extra=1",  // unknown key
      "/kannel/dlr?job=a&status=1&answer=&",         // empty pair
      "/kannel/dlr?job=a&status&answer=",            // no '='
      "/kannel/dlr?job=a&status=%d&answer=%A",       // not substituted
      "/kannel/dlr?job=a&status=3&answer=",          // two bits
      "/kannel/dlr?job=a&status=0&answer=",
      "/kannel/dlr?job=a&status=01&answer=",
      "/kannel/dlr?job=a&status=32&answer=",
      "/kannel/dlr?job=a&status=-1&answer=",
      "/kannel/dlr?job=a&status=1&answer=%4",  // truncated escape
      "/kannel/dlr?job=a&status=1&answer=%zz",
      "/kannel/dlr?job=a%2Fb&status=1&answer=",  // '/' in job key
      "/kannel/dlr?job=&status=1&answer=",       // empty job key
      "/kannel/dlr?job=a&status=1&answer=%0A",   // control character
      "/kannel/dlr?job=a&status=1&answer=%00",
      "/kannel/dlr?job=a&status=1&answer=%FF",        // not UTF-8
      "/kannel/dlr?job=a&status=1&answer=%C3",        // cut UTF-8
      "/kannel/dlr?job=a&status=1&answer=%ED%A0%80",  // surrogate
  };
  for (const char* target : malformed) {
    EXPECT_FALSE(ParseDeliveryReport(target).has_value()) << target;
  }
  const std::string long_job(65, 'a');
  EXPECT_FALSE(
      ParseDeliveryReport("/kannel/dlr?job=" + long_job + "&status=1&answer=")
          .has_value());
  const std::string huge(5000, 'x');
  EXPECT_FALSE(ParseDeliveryReport("/kannel/dlr?job=a&status=1&answer=" + huge)
                   .has_value());
}

TEST(DeliveryReportTest, UrlTemplateLeavesPercentDAndPercentAForKannel) {
  EXPECT_EQ(DeliveryReportUrl("http://127.0.0.1:8080/kannel/dlr", "m-1.sms"),
            "http://127.0.0.1:8080/kannel/dlr?job=m-1.sms&status=%d&answer=%A");
  EXPECT_EQ(DeliveryReportUrl("http://h/kannel/dlr?t=1", "k"),
            "http://h/kannel/dlr?t=1&job=k&status=%d&answer=%A");
}

TEST(DeliveryReportTest, FilledInTemplateParsesBack) {
  std::string url =
      DeliveryReportUrl("http://127.0.0.1:1/kannel/dlr", "abc-9.sms");
  url = url.substr(url.find("/kannel"));
  url.replace(url.find("%d"), 2, "2");
  url.replace(url.find("%A"), 2, "NACK%2Fexpired");
  const auto report = ParseDeliveryReport(url);
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->job_key, "abc-9.sms");
  EXPECT_EQ(report->status, DeliveryStatus::kFailed);
  EXPECT_EQ(report->answer, "NACK/expired");
}

}  // namespace
}  // namespace hail::server::forward
