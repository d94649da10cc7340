// The fax gateway against a real HylaFAX (faxq + hfaxd on a private spool,
// no modem: an accepted job stays in the send queue).
#include "server/forward/hylafax_gateway.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "server/forward/tiff_pages.h"
#include "tests/support/hylafax_fixture.h"

namespace hail::server::forward {
namespace {

using Kind = GatewayAnswer::Kind;

ForwardJob CjkJob(std::string job_key) {
  ForwardJob job;
  job.job_key = std::move(job_key);
  job.address = "+4915112345678";
  job.sender = "alice";
  job.recipient = "bob";
  job.text = "你好，鲍勃！明天见。こんにちは — Grüße aus Hail";
  job.sent_unix = 1796342400;
  return job;
}

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << file.rdbuf();
  return bytes.str();
}

class HylaFaxGatewayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why = hail::testing::HylaFaxFixture::Unavailable();
    if (!why.empty()) GTEST_SKIP() << why;
    ASSERT_TRUE(hylafax_.Start()) << hylafax_.error();
  }

  HylaFaxConfig Config() const {
    HylaFaxConfig config;
    config.host = "127.0.0.1";
    config.port = hylafax_.port();
    config.user = "hail";
    config.timeout = std::chrono::seconds(20);
    config.render.temp_dir = hylafax_.scratch();
    config.render.max_pages = 5;
    return config;
  }

  hail::testing::HylaFaxFixture hylafax_;
};

TEST_F(HylaFaxGatewayTest, CjkMessageIsQueuedWithItsRenderedPages) {
  HylaFaxGateway gateway(Config());
  EXPECT_EQ(gateway.channel(), Channel::kFax);
  ForwardJob job = CjkJob("msg-7f3a.fax");
  GatewayAnswer answer = gateway.Send(job);
  ASSERT_EQ(answer.kind, Kind::kAccepted) << answer.detail;
  EXPECT_FALSE(answer.cut);
  const std::string job_id = answer.detail;
  ASSERT_FALSE(job_id.empty());

  // faxstat lists the job for the number, HylaFAX keeps our tag on it.
  std::string listing = hylafax_.Faxstat({"-s"});
  EXPECT_NE(listing.find("\n" + job_id + "|msg-7f3a.fax|+4915112345678|"),
            std::string::npos)
      << listing;
  std::optional<std::string> job_file = hylafax_.JobFile(job_id);
  ASSERT_TRUE(job_file.has_value());
  EXPECT_NE(job_file->find("\njobtag:msg-7f3a.fax\n"), std::string::npos);
  EXPECT_NE(job_file->find("\nnumber:+4915112345678\n"), std::string::npos);
  EXPECT_NE(job_file->find("\nsender:alice\n"), std::string::npos);

  // The job carries the rendered pages: one TIFF G3 document in docq with
  // the same pages the renderer makes for this message.
  std::vector<std::filesystem::path> documents = hylafax_.JobDocuments(job_id);
  ASSERT_EQ(documents.size(), 1u) << *job_file;
  auto pages = ReadTiffPages(ReadAll(documents[0]));
  ASSERT_TRUE(pages.has_value()) << documents[0];
  EXPECT_TRUE(IsFaxG3(*pages));
  FaxRenderOptions options = Config().render;
  RenderedFax expected = FaxRenderer(options).Render(job);
  ASSERT_EQ(expected.status, RenderedFax::Status::kOk) << expected.error;
  EXPECT_EQ(static_cast<int>(pages->size()), expected.pages);
  EXPECT_EQ(ReadAll(documents[0]).size(), expected.tiff.size());
}

TEST_F(HylaFaxGatewayTest, SameJobKeySentTwiceIsQueuedOnce) {
  HylaFaxGateway gateway(Config());
  GatewayAnswer first = gateway.Send(CjkJob("msg-twice"));
  ASSERT_EQ(first.kind, Kind::kAccepted) << first.detail;
  GatewayAnswer second = gateway.Send(CjkJob("msg-twice"));
  ASSERT_EQ(second.kind, Kind::kAccepted) << second.detail;
  EXPECT_EQ(second.detail, first.detail);
  EXPECT_EQ(hylafax_.SendQueue().size(), 1u);

  // Another message is another job.
  GatewayAnswer other = gateway.Send(CjkJob("msg-other"));
  ASSERT_EQ(other.kind, Kind::kAccepted) << other.detail;
  EXPECT_NE(other.detail, first.detail);
  EXPECT_EQ(hylafax_.SendQueue().size(), 2u);
}

TEST_F(HylaFaxGatewayTest, AJobAlreadyDoneIsNotQueuedAgain) {
  HylaFaxGateway gateway(Config());
  GatewayAnswer first = gateway.Send(CjkJob("msg-done"));
  ASSERT_EQ(first.kind, Kind::kAccepted) << first.detail;
  ASSERT_TRUE(hylafax_.RemoveJob(first.detail, "hail"));
  // The scheduler moves the removed job to doneq.
  for (int poll = 0; poll < 200 && !hylafax_.SendQueue().empty(); ++poll) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  ASSERT_TRUE(hylafax_.SendQueue().empty());
  GatewayAnswer again = gateway.Send(CjkJob("msg-done"));
  EXPECT_EQ(again.kind, Kind::kAccepted) << again.detail;
  EXPECT_EQ(again.detail, first.detail);
  EXPECT_TRUE(hylafax_.SendQueue().empty());
}

TEST_F(HylaFaxGatewayTest, OverlongMessageIsQueuedCutToThePageLimit) {
  HylaFaxConfig config = Config();
  config.render.max_pages = 1;
  HylaFaxGateway gateway(config);
  ForwardJob job = CjkJob("msg-long");
  for (int line = 0; line < 200; ++line)
    job.text += "\n第" + std::to_string(line) + "行";
  GatewayAnswer answer = gateway.Send(job);
  ASSERT_EQ(answer.kind, Kind::kAccepted) << answer.detail;
  EXPECT_TRUE(answer.cut);
  std::vector<std::filesystem::path> documents =
      hylafax_.JobDocuments(answer.detail);
  ASSERT_EQ(documents.size(), 1u);
  auto pages = ReadTiffPages(ReadAll(documents[0]));
  ASSERT_TRUE(pages.has_value());
  EXPECT_EQ(pages->size(), 1u);
}

TEST_F(HylaFaxGatewayTest, HfaxdDownAnswersRetry) {
  hylafax_.StopHfaxd();
  HylaFaxGateway gateway(Config());
  GatewayAnswer answer = gateway.Send(CjkJob("msg-down"));
  EXPECT_EQ(answer.kind, Kind::kRetry) << answer.detail;
  EXPECT_NE(answer.detail.find("not reachable"), std::string::npos)
      << answer.detail;
  EXPECT_TRUE(hylafax_.SendQueue().empty());
}

TEST_F(HylaFaxGatewayTest, AServerThatNeverAnswersAnswersRetry) {
  // Connections complete in the kernel's backlog, nobody ever speaks.
  int silent = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  ASSERT_EQ(
      ::bind(silent, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(silent, 8), 0);
  ASSERT_EQ(
      ::getsockname(silent, reinterpret_cast<sockaddr*>(&address), &length), 0);
  HylaFaxConfig config = Config();
  config.port = ntohs(address.sin_port);
  config.timeout = std::chrono::milliseconds(1000);
  GatewayAnswer answer = HylaFaxGateway(config).Send(CjkJob("msg-silent"));
  ::close(silent);
  EXPECT_EQ(answer.kind, Kind::kRetry) << answer.detail;
  EXPECT_NE(answer.detail.find("timed out"), std::string::npos)
      << answer.detail;
}

TEST_F(HylaFaxGatewayTest, ANumberThatIsNotE164IsRejected) {
  HylaFaxGateway gateway(Config());
  ForwardJob job = CjkJob("msg-bad-number");
  job.address = "0049 151 123";
  EXPECT_EQ(gateway.Send(job).kind, Kind::kRejected);
  job.address = "+4915112345678";
  job.job_key = "bad key|x";
  EXPECT_EQ(gateway.Send(job).kind, Kind::kRejected);
  EXPECT_TRUE(hylafax_.SendQueue().empty());
}

}  // namespace
}  // namespace hail::server::forward
