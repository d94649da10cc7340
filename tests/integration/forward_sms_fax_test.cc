// Issue 11, extended delivery by SMS and fax through the real haild. SMS:
// a real Kannel (bearerbox, smsbox, fakesmsc) carries the code and the
// message, and its delivery reports come back to haild's --metrics-listen
// listener (/kannel/dlr). Fax: a real HylaFAX (faxq, hfaxd) queues the
// code as rendered pages. A fax code cannot be read back without OCR: one
// test stops at what an unverified number gets (the code and nothing else);
// the other reads the pending code as the operator can, from the stopped
// haild's database, to verify the number and forward a message by fax.
#include <gtest/gtest.h>
#include <leveldb/db.h>

#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "server/forward/forward_records.h"
#include "server/forward/tiff_pages.h"
#include "tests/integration/forward_rig.h"
#include "tests/support/free_port.h"
#include "tests/support/hylafax_fixture.h"
#include "tests/support/kannel_fixture.h"

namespace hail::testing {
namespace {

using namespace std::chrono_literals;
using protocol::ErrorCode;
using protocol::ForwardChannel;
using protocol::ForwardState;

constexpr char kMobile[] = "+4915112345678";
constexpr char kFaxNumber[] = "+4930123456";

// The texts fakesmsc received, one per SMS: a concatenated SMS's parts
// (same reference in the header) joined once all of them are in, as
// KannelFixture decodes them.
std::vector<std::string> SmsTexts(const std::vector<FakeSmscMessage>& log) {
  std::vector<std::string> texts;
  std::map<char, std::vector<FakeSmscMessage>> partial;
  for (const FakeSmscMessage& sms : log) {
    if (sms.udh.size() != 6) {
      texts.push_back(sms.type == "ucs-2"
                          ? Utf16BeToUtf8(sms.data).value_or("(bad UCS-2)")
                          : sms.data);
      continue;
    }
    std::vector<FakeSmscMessage>& parts = partial[sms.udh[3]];
    parts.push_back(sms);
    if (parts.size() == static_cast<size_t>(sms.udh[4])) {
      texts.push_back(ReassembledUcs2Text(parts).value_or("(bad parts)"));
      partial.erase(sms.udh[3]);
    }
  }
  return texts;
}

// Polls fakesmsc's log until it holds `count` whole SMS or the timeout
// passes; their texts.
std::vector<std::string> WaitForSms(const KannelFixture& kannel, size_t count) {
  const auto deadline = std::chrono::steady_clock::now() + kForwardTimeout;
  std::vector<std::string> texts = SmsTexts(kannel.Received());
  while (texts.size() < count && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    texts = SmsTexts(kannel.Received());
  }
  return texts;
}

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << file.rdbuf();
  return bytes.str();
}

class ForwardSmsFaxTest : public ForwardRig {};

// HylaFAX lists the job `job_id` (faxstat -s) for kFaxNumber, and it
// carries one document: G3 TIFF pages.
void ExpectQueuedAsG3(const HylaFaxFixture& hylafax,
                      const std::string& job_id) {
  const std::string listing = hylafax.Faxstat({"-s"});
  const size_t line = listing.find("\n" + job_id + "|");
  ASSERT_NE(line, std::string::npos) << listing;
  EXPECT_NE(listing.find(std::string("|") + kFaxNumber + "|", line),
            std::string::npos)
      << listing;
  std::vector<std::filesystem::path> documents = hylafax.JobDocuments(job_id);
  ASSERT_EQ(documents.size(), 1u);
  std::optional<std::vector<server::forward::TiffPage>> pages =
      server::forward::ReadTiffPages(ReadAll(documents[0]));
  ASSERT_TRUE(pages) << documents[0];
  EXPECT_TRUE(server::forward::IsFaxG3(*pages));
}

TEST_F(ForwardSmsFaxTest, SmsCodeVerifiesTheNumberAndTheMessageIsDelivered) {
  for (const char* program : {"/usr/sbin/bearerbox", "/usr/sbin/smsbox",
                              "/usr/lib/kannel/test/fakesmsc"}) {
    const std::string missing = MissingProgram(program);
    if (!missing.empty()) GTEST_SKIP() << missing;
  }
  KannelFixture kannel;
  ASSERT_TRUE(kannel.Start()) << kannel.failure();
  const uint16_t metrics_port = FreeTcpPort();
  ASSERT_NE(metrics_port, 0);
  ASSERT_NO_FATAL_FAILURE(StartHaild(
      {"--metrics-listen", "127.0.0.1:" + std::to_string(metrics_port),
       "--forward-kannel-url", kannel.sendsms_url(), "--forward-kannel-user",
       kannel.options().username, "--forward-kannel-password",
       kannel.options().password, "--forward-kannel-from", "Hail",
       "--forward-kannel-max-messages",
       std::to_string(kannel.options().max_messages),
       "--forward-clock-skew-seconds", "120"}));

  std::unique_ptr<TestClient> alice = LogIn("alice");
  {
    std::unique_ptr<TestClient> bob = LogIn("bob");
    ASSERT_NO_FATAL_FAILURE(Befriend(*alice, "alice", *bob, "bob"));
    ASSERT_EQ(
        Answer(*bob, (*bob)->AddForwardAddress(ForwardChannel::kSms, kMobile)),
        ErrorCode::kOk);
    std::vector<std::string> texts = WaitForSms(kannel, 1);
    ASSERT_EQ(texts.size(), 1u) << haild_->log();
    EXPECT_EQ(kannel.Received().at(0).receiver, kMobile);
    EXPECT_EQ(kannel.Received().at(0).sender, "Hail");
    std::optional<std::string> code = FindCode(texts[0], "bob");
    ASSERT_TRUE(code) << texts[0];
    ASSERT_EQ(
        Answer(*bob, (*bob)->VerifyForwardAddress(ForwardChannel::kSms, *code)),
        ErrorCode::kOk);
    std::vector<client::ForwardSetting> list = ForwardList(*bob);
    ASSERT_EQ(list.size(), 3u);
    EXPECT_EQ(list[1].address, kMobile);
    EXPECT_TRUE(list[1].verified);
    ASSERT_EQ(Answer(*bob, (*bob)->SetForwardRules(ForwardChannel::kSms,
                                                   EnabledRule(1))),
              ErrorCode::kOk);
    ASSERT_NO_FATAL_FAILURE(LogOut(bob));
  }

  protocol::ItemId id{};
  ASSERT_NO_FATAL_FAILURE(Send(*alice, "bob", "Grüße 你好", &id));
  std::vector<std::string> texts = WaitForSms(kannel, 2);
  ASSERT_EQ(texts.size(), 2u) << haild_->log();
  EXPECT_EQ(texts[1], "alice: Grüße 你好");
  EXPECT_EQ(kannel.Received().back().receiver, kMobile);
  EXPECT_EQ(kannel.Received().back().type, "ucs-2");

  std::optional<client::MessageForwarded> handed_over =
      WaitForNotice(*alice, id, ForwardState::kHandedOver);
  ASSERT_TRUE(handed_over) << haild_->log();
  EXPECT_EQ(handed_over->channel, static_cast<uint8_t>(ForwardChannel::kSms));
  // fakesmsc's delivery report, through Kannel to haild's DLR listener.
  std::optional<client::MessageForwarded> delivered =
      WaitForNotice(*alice, id, ForwardState::kDelivered);
  ASSERT_TRUE(delivered) << haild_->log();
  EXPECT_EQ(delivered->channel, static_cast<uint8_t>(ForwardChannel::kSms));
  EXPECT_EQ(delivered->recipient, "bob");
  // The code SMS earns its delivery report too.
  EXPECT_EQ(WaitForStat("forward_sms_delivered", 2), 2);
  EXPECT_EQ(Stat("forward_sms_sent"), 2);  // code and message
  EXPECT_EQ(Stat("forward_sms_failed"), 0);
  EXPECT_TRUE(StatStays("forward_sms_sent", 2, 1500));
  EXPECT_EQ(Stat("forward_sms_delivered"), 2);
  EXPECT_EQ(SmsTexts(kannel.Received()).size(), 2u);
}

TEST_F(ForwardSmsFaxTest,
       FaxCodeIsQueuedAsPagesAndAnUnverifiedNumberGetsNoMore) {
  const std::string why = HylaFaxFixture::Unavailable();
  if (!why.empty()) GTEST_SKIP() << why;
  HylaFaxFixture hylafax;
  ASSERT_TRUE(hylafax.Start()) << hylafax.error();
  ASSERT_NO_FATAL_FAILURE(StartHaild(
      {"--forward-hylafax-port", std::to_string(hylafax.port()),
       "--forward-hylafax-host", "127.0.0.1", "--forward-hylafax-user", "hail",
       "--forward-clock-skew-seconds", "120"}));

  std::unique_ptr<TestClient> alice = LogIn("alice");
  {
    std::unique_ptr<TestClient> bob = LogIn("bob");
    ASSERT_NO_FATAL_FAILURE(Befriend(*alice, "alice", *bob, "bob"));
    ASSERT_EQ(Answer(*bob, (*bob)->AddForwardAddress(ForwardChannel::kFax,
                                                     kFaxNumber)),
              ErrorCode::kOk);
    ASSERT_EQ(WaitForStat("forward_fax_sent", 1), 1) << haild_->log();
    std::vector<std::string> queue = hylafax.SendQueue();
    ASSERT_EQ(queue.size(), 1u);
    ASSERT_EQ(queue[0].rfind("q", 0), 0u) << queue[0];
    ASSERT_NO_FATAL_FAILURE(ExpectQueuedAsG3(hylafax, queue[0].substr(1)));

    std::vector<client::ForwardSetting> list = ForwardList(*bob);
    ASSERT_EQ(list.size(), 3u);
    EXPECT_EQ(list[2].address, kFaxNumber);
    EXPECT_FALSE(list[2].verified);
    ASSERT_EQ(Answer(*bob, (*bob)->SetForwardRules(ForwardChannel::kFax,
                                                   EnabledRule(1))),
              ErrorCode::kOk);
    ASSERT_NO_FATAL_FAILURE(LogOut(bob));
  }

  protocol::ItemId id{};
  ASSERT_NO_FATAL_FAILURE(Send(*alice, "bob", "not for a stranger's fax", &id));
  // The decision is made in the write that stores the message, before
  // MESSAGE_ACCEPTED: no job, and nothing more reaches HylaFAX.
  EXPECT_EQ(Stat("forward_fax_queued"), 1);
  EXPECT_TRUE(StatStays("forward_fax_sent", 1, 2000));
  EXPECT_EQ(Stat("forward_fax_queued"), 1);
  EXPECT_EQ(hylafax.SendQueue().size(), 1u);
}

// The code pending for `user`'s fax number, read from the data dir's
// LevelDB while haild is stopped (what the operator can do; SPEC.md 17.2).
std::string PendingFaxCode(const std::filesystem::path& data_dir,
                           uint64_t user) {
  leveldb::DB* raw = nullptr;
  leveldb::Options options;
  options.create_if_missing = false;
  leveldb::Status opened =
      leveldb::DB::Open(options, (data_dir / "db").string(), &raw);
  EXPECT_TRUE(opened.ok()) << opened.ToString();
  if (!opened.ok()) return "";
  std::unique_ptr<leveldb::DB> db(raw);
  std::string value;
  leveldb::Status read = db->Get(leveldb::ReadOptions(),
                                 server::forward::SettingsKey(user), &value);
  EXPECT_TRUE(read.ok()) << read.ToString();
  Result<server::forward::ForwardSettings> settings =
      server::forward::DecodeForwardSettings(value);
  EXPECT_TRUE(settings.ok());
  if (!settings.ok()) return "";
  const auto& fax = settings->of(server::forward::Channel::kFax);
  EXPECT_TRUE(fax.address && fax.address->pending);
  if (!fax.address || !fax.address->pending) return "";
  return fax.address->pending->digits;
}

TEST_F(ForwardSmsFaxTest, FaxMessageToAVerifiedNumberIsQueuedOnceAsG3Pages) {
  const std::string why = HylaFaxFixture::Unavailable();
  if (!why.empty()) GTEST_SKIP() << why;
  HylaFaxFixture hylafax;
  ASSERT_TRUE(hylafax.Start()) << hylafax.error();
  const std::vector<std::string> flags = {
      "--forward-hylafax-port",       std::to_string(hylafax.port()),
      "--forward-hylafax-host",       "127.0.0.1",
      "--forward-hylafax-user",       "hail",
      "--forward-clock-skew-seconds", "120"};
  ASSERT_NO_FATAL_FAILURE(StartHaild(flags));
  {
    std::unique_ptr<TestClient> alice = LogIn("alice");
    std::unique_ptr<TestClient> bob = LogIn("bob");
    ASSERT_NO_FATAL_FAILURE(Befriend(*alice, "alice", *bob, "bob"));
    ASSERT_EQ(Answer(*bob, (*bob)->AddForwardAddress(ForwardChannel::kFax,
                                                     kFaxNumber)),
              ErrorCode::kOk);
    ASSERT_EQ(WaitForStat("forward_fax_sent", 1), 1) << haild_->log();
  }
  const std::string user_line = haild_->AdminCommand("user bob");
  const size_t at = user_line.find("\"user_id\":");
  ASSERT_NE(at, std::string::npos) << user_line;
  const uint64_t bob_id = std::stoull(user_line.substr(at + 10));
  ASSERT_EQ(haild_->Stop(), 0);
  const std::string code = PendingFaxCode(haild_->data_dir(), bob_id);
  ASSERT_EQ(code.size(), 6u);
  ASSERT_NO_FATAL_FAILURE(StartHaild(flags));

  std::unique_ptr<TestClient> alice = LogIn("alice");
  {
    std::unique_ptr<TestClient> bob = LogIn("bob");
    ASSERT_EQ(
        Answer(*bob, (*bob)->VerifyForwardAddress(ForwardChannel::kFax, code)),
        ErrorCode::kOk);
    ASSERT_EQ(Answer(*bob, (*bob)->SetForwardRules(ForwardChannel::kFax,
                                                   EnabledRule(1))),
              ErrorCode::kOk);
    ASSERT_NO_FATAL_FAILURE(LogOut(bob));
  }
  protocol::ItemId id{};
  ASSERT_NO_FATAL_FAILURE(Send(*alice, "bob", "Fax für Bob: 你好", &id));
  std::optional<client::MessageForwarded> notice =
      WaitForNotice(*alice, id, ForwardState::kHandedOver);
  ASSERT_TRUE(notice) << haild_->log();
  EXPECT_EQ(notice->channel, static_cast<uint8_t>(ForwardChannel::kFax));
  EXPECT_EQ(notice->recipient, "bob");
  // This haild's counters start at the restart: the message fax only.
  // HylaFAX holds the code fax and the message fax, each once.
  EXPECT_EQ(Stat("forward_fax_sent"), 1);
  EXPECT_TRUE(StatStays("forward_fax_sent", 1, 1500));
  std::vector<std::string> queue = hylafax.SendQueue();
  ASSERT_EQ(queue.size(), 2u);
  for (const std::string& entry : queue) {
    ASSERT_NO_FATAL_FAILURE(ExpectQueuedAsG3(hylafax, entry.substr(1)));
  }
}

}  // namespace
}  // namespace hail::testing
