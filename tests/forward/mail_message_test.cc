// The e-mail a forwarded message becomes: header encoding, date, address
// rules (SPEC.md 17.5).
#include "server/forward/mail_message.h"

#include <gtest/gtest.h>

#include <string>

namespace hail::server::forward {
namespace {

// Decodes one "=?UTF-8?B?...?=" word.
std::string DecodeWord(const std::string& word) {
  const std::string prefix = "=?UTF-8?B?";
  EXPECT_EQ(word.rfind(prefix, 0), 0u) << word;
  std::string b64 = word.substr(prefix.size(), word.size() - prefix.size() - 2);
  static const std::string kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t bits = 0;
  int count = 0;
  for (char c : b64) {
    if (c == '=') break;
    bits = (bits << 6) | static_cast<uint32_t>(kAlphabet.find(c));
    count += 6;
    if (count >= 8) {
      count -= 8;
      out += static_cast<char>((bits >> count) & 0xff);
    }
  }
  return out;
}

bool IsWholeUtf8(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    auto lead = static_cast<uint8_t>(s[i]);
    size_t n = lead < 0x80 ? 1 : lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
    if (i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<uint8_t>(s[i + k]) & 0xc0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

TEST(MailMessageTest, AsciiHeaderTextIsLeftAsItIs) {
  EXPECT_EQ(EncodeHeaderText("alice on Hail: hi"), "alice on Hail: hi");
}

TEST(MailMessageTest, UnicodeHeaderTextBecomesShortWordsOfWholeCharacters) {
  std::string text = "alice on Hail: Grüße aus Köln, 你好世界 👋👋👋 and more";
  std::string encoded = EncodeHeaderText(text);
  std::string decoded;
  size_t start = 0;
  while (start < encoded.size()) {
    size_t end = encoded.find("\r\n ", start);
    std::string word = encoded.substr(start, end - start);
    EXPECT_LE(word.size(), 75u);
    std::string part = DecodeWord(word);
    EXPECT_TRUE(IsWholeUtf8(part)) << word;
    decoded += part;
    if (end == std::string::npos) break;
    start = end + 3;
  }
  EXPECT_EQ(decoded, text);
}

TEST(MailMessageTest, DateIsRfc5322InUtc) {
  EXPECT_EQ(MailDate(0), "Thu, 01 Jan 1970 00:00:00 +0000");
  EXPECT_EQ(MailDate(1796342400), "Fri, 04 Dec 2026 00:00:00 +0000");
}

TEST(MailMessageTest, AddressesThatCouldInjectHeadersAreRefused) {
  EXPECT_TRUE(IsForwardableMailAddress("bob@example.org"));
  EXPECT_TRUE(IsForwardableMailAddress("bob+hail@mail.example.org"));
  EXPECT_FALSE(IsForwardableMailAddress("bob@example.org>\r\nBcc: x@y.z"));
  EXPECT_FALSE(IsForwardableMailAddress("bob@example.org\n"));
  EXPECT_FALSE(IsForwardableMailAddress("bob <bob@example.org>"));
  EXPECT_FALSE(IsForwardableMailAddress("bob@localhost"));
  EXPECT_FALSE(IsForwardableMailAddress("@example.org"));
  EXPECT_FALSE(IsForwardableMailAddress("bob@"));
  EXPECT_FALSE(IsForwardableMailAddress("bob@@example.org"));
  EXPECT_FALSE(IsForwardableMailAddress(std::string(250, 'a') + "@b.cd"));
}

TEST(MailMessageTest, MessageIdCarriesTheJobKey) {
  ForwardJob job;
  job.job_key = "f-42-7-e";
  job.address = "bob@example.org";
  job.sender = "alice";
  job.recipient = "bob";
  job.text = "hi";
  std::string mail = ComposeMail(job, {"hail@example.org", ""});
  EXPECT_NE(mail.find("\r\nMessage-ID: <f-42-7-e@example.org>\r\n"),
            std::string::npos)
      << mail;
  EXPECT_EQ(mail.find('\n'), mail.find("\r\n") + 1);
}

}  // namespace
}  // namespace hail::server::forward
