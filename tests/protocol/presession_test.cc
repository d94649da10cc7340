#include "protocol/presession.h"

#include <sodium.h>

#include <array>

#include "gtest/gtest.h"
#include "protocol/enet_wire.h"

namespace hail::protocol {
namespace {

constexpr uint64_t kNonce = 0x0123456789abcdef;
// 2025-12-01 00:00:00 UTC, the first second of a cookie bucket.
constexpr uint64_t kMinuteStart = 1764547200;

Endpoint Ep(std::string_view text) { return *Endpoint::Parse(text); }

class PresessionTest : public testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_GE(sodium_init(), 0); }
};

TEST_F(PresessionTest, DatagramsHaveTheirExactSizes) {
  EXPECT_EQ(EncodeHello(HelloDatagram{1, kNonce}).size(), kHelloSize);
  EXPECT_EQ(EncodeCookie(CookieDatagram{1, kNonce, 5, 60}).size(), kCookieSize);
  EXPECT_EQ(EncodePresessionReject(PresessionRejectDatagram{}).size(),
            kPresessionRejectSize);
  EXPECT_EQ(kHelloSize, 64u);
  EXPECT_EQ(kCookieSize, 20u);
  EXPECT_EQ(kPresessionRejectSize, 16u);
}

TEST_F(PresessionTest, RepliesAreNeverLargerThanTheHello) {
  static_assert(kCookieSize <= kHelloSize);
  static_assert(kPresessionRejectSize <= kHelloSize);
}

TEST_F(PresessionTest, HelloRoundTrips) {
  Bytes bytes = EncodeHello(HelloDatagram{1, kNonce});
  std::optional<HelloDatagram> hello = DecodeHello(bytes);
  ASSERT_TRUE(hello.has_value());
  EXPECT_EQ(hello->version, 1);
  EXPECT_EQ(hello->client_nonce, kNonce);
}

TEST_F(PresessionTest, HelloWithAnotherVersionStillDecodesForTheReject) {
  std::optional<HelloDatagram> hello =
      DecodeHello(EncodeHello(HelloDatagram{2, kNonce}));
  ASSERT_TRUE(hello.has_value());
  EXPECT_EQ(hello->version, 2);
}

TEST_F(PresessionTest, HelloOfAnyOtherSizeIsRefused) {
  Bytes bytes = EncodeHello(HelloDatagram{1, kNonce});
  Bytes longer = bytes;
  longer.push_back(0);
  EXPECT_FALSE(DecodeHello(longer).has_value());
  bytes.pop_back();
  EXPECT_FALSE(DecodeHello(bytes).has_value());
}

TEST_F(PresessionTest, HelloWithNonZeroPaddingIsRefused) {
  Bytes bytes = EncodeHello(HelloDatagram{1, kNonce});
  for (size_t i = 14; i < bytes.size(); ++i) {
    Bytes changed = bytes;
    changed[i] = 1;
    EXPECT_FALSE(DecodeHello(changed).has_value()) << i;
  }
}

TEST_F(PresessionTest, WrongMagicOrTypeIsRefused) {
  Bytes hello = EncodeHello(HelloDatagram{1, kNonce});
  Bytes bad_magic = hello;
  bad_magic[3] = 'M';
  EXPECT_FALSE(DecodeHello(bad_magic).has_value());
  Bytes cookie_type = hello;
  cookie_type[4] = static_cast<uint8_t>(PresessionType::kCookie);
  EXPECT_FALSE(DecodeHello(cookie_type).has_value());
  Bytes cookie = EncodeCookie(CookieDatagram{1, kNonce, 5, 60});
  cookie[4] = static_cast<uint8_t>(PresessionType::kReject);
  EXPECT_FALSE(DecodeCookie(cookie).has_value());
}

TEST_F(PresessionTest, EachDecoderAcceptsOnlyItsOwnType) {
  Bytes hello = EncodeHello(HelloDatagram{1, kNonce});
  Bytes cookie = EncodeCookie(CookieDatagram{1, kNonce, 0xb161038d, 60});
  Bytes reject = EncodePresessionReject(PresessionRejectDatagram{});
  EXPECT_FALSE(DecodeCookie(hello).has_value());
  EXPECT_FALSE(DecodePresessionReject(hello).has_value());
  EXPECT_FALSE(DecodeHello(cookie).has_value());
  EXPECT_FALSE(DecodePresessionReject(cookie).has_value());
  EXPECT_FALSE(DecodeHello(reject).has_value());
  EXPECT_FALSE(DecodeCookie(reject).has_value());
}

TEST_F(PresessionTest, CookieAndRejectRoundTrip) {
  std::optional<CookieDatagram> cookie =
      DecodeCookie(EncodeCookie(CookieDatagram{1, kNonce, 0xb161038d, 60}));
  ASSERT_TRUE(cookie.has_value());
  EXPECT_EQ(cookie->client_nonce, kNonce);
  EXPECT_EQ(cookie->cookie, 0xb161038du);
  EXPECT_EQ(cookie->valid_for_seconds, 60);
  std::optional<PresessionRejectDatagram> reject = DecodePresessionReject(
      EncodePresessionReject({1, kNonce, ErrorCode::kUnsupportedVersion}));
  ASSERT_TRUE(reject.has_value());
  EXPECT_EQ(reject->highest_version, 1);
  EXPECT_EQ(reject->client_nonce, kNonce);
  EXPECT_EQ(reject->error, ErrorCode::kUnsupportedVersion);
}

TEST_F(PresessionTest, RejectKeepsUnknownErrorCodes) {
  Bytes bytes = EncodePresessionReject({1, kNonce, ErrorCode::kOk});
  bytes[14] = 0xab;
  bytes[15] = 0xcd;
  std::optional<PresessionRejectDatagram> reject =
      DecodePresessionReject(bytes);
  ASSERT_TRUE(reject.has_value());
  EXPECT_EQ(static_cast<uint16_t>(reject->error), 0xabcd);
}

TEST_F(PresessionTest, ClassifiesHailMagicAsHail) {
  EXPECT_EQ(ClassifyDatagram(EncodeHello(HelloDatagram{1, kNonce})),
            DatagramClass::kHail);
  EXPECT_EQ(ClassifyDatagram(Bytes{'H', 'A', 'I', 'L'}), DatagramClass::kHail);
  // Wrong sizes are still pre-session (and dropped there), never ENet.
  EXPECT_EQ(ClassifyDatagram(Bytes{'H', 'A', 'I', 'L', 9, 9, 9}),
            DatagramClass::kHail);
  EXPECT_EQ(ClassifyDatagram(Bytes{'H', 'A', 'I'}), DatagramClass::kEnet);
}

TEST_F(PresessionTest, HailMagicSetsEnetsCompressedFlag) {
  std::optional<enet_wire::Header> header = enet_wire::ParseHeader(
      EncodeHello(HelloDatagram{1, kNonce}), /*with_checksum=*/true);
  ASSERT_TRUE(header.has_value());
  EXPECT_TRUE(header->compressed);
}

Bytes StunBindingRequest(size_t attribute_bytes) {
  Bytes out;
  ByteWriter w(&out);
  w.U16(0x0001);  // Binding request
  w.U16(static_cast<uint16_t>(attribute_bytes));
  w.U32(0x2112a442);
  w.Zeros(12);  // transaction id
  w.Zeros(attribute_bytes);
  return out;
}

TEST_F(PresessionTest, ClassifiesTheStunShape) {
  EXPECT_EQ(ClassifyDatagram(StunBindingRequest(0)), DatagramClass::kStun);
  EXPECT_EQ(ClassifyDatagram(StunBindingRequest(8)), DatagramClass::kStun);
}

TEST_F(PresessionTest, NearStunShapesGoToEnet) {
  Bytes wrong_length = StunBindingRequest(8);
  wrong_length.push_back(0);
  EXPECT_EQ(ClassifyDatagram(wrong_length), DatagramClass::kEnet);
  Bytes unaligned = StunBindingRequest(0);
  unaligned[3] = 2;
  unaligned.resize(22);
  EXPECT_EQ(ClassifyDatagram(unaligned), DatagramClass::kEnet);
  Bytes top_bits = StunBindingRequest(0);
  top_bits[0] = 0x40;
  EXPECT_EQ(ClassifyDatagram(top_bits), DatagramClass::kEnet);
  Bytes bad_cookie = StunBindingRequest(0);
  bad_cookie[7] = 0x43;
  EXPECT_EQ(ClassifyDatagram(bad_cookie), DatagramClass::kEnet);
  Bytes short_header = StunBindingRequest(0);
  short_header.resize(19);
  EXPECT_EQ(ClassifyDatagram(short_header), DatagramClass::kEnet);
}

TEST_F(PresessionTest, EverythingElseGoesToEnet) {
  EXPECT_EQ(ClassifyDatagram(Bytes{}), DatagramClass::kEnet);
  EXPECT_EQ(ClassifyDatagram(Bytes{0x8f, 0xff, 0, 0, 0, 0, 0, 0}),
            DatagramClass::kEnet);
}

class CookieMinterTest : public PresessionTest {
 protected:
  CookieMinterTest() {
    secret_.fill(0x44);
    other_secret_.fill(0x45);
  }
  std::array<uint8_t, 32> secret_;
  std::array<uint8_t, 32> other_secret_;
};

TEST_F(CookieMinterTest, VerifiesInTheSameMinute) {
  CookieMinter minter(secret_);
  Endpoint source = Ep("198.51.100.7:51000");
  uint32_t cookie = minter.Mint(source, kMinuteStart);
  EXPECT_TRUE(minter.Verify(source, cookie, kMinuteStart));
  EXPECT_TRUE(minter.Verify(source, cookie, kMinuteStart + 59));
}

TEST_F(CookieMinterTest, VerifiesInTheNextMinute) {
  CookieMinter minter(secret_);
  Endpoint source = Ep("198.51.100.7:51000");
  uint32_t cookie = minter.Mint(source, kMinuteStart + 59);
  EXPECT_TRUE(minter.Verify(source, cookie, kMinuteStart + 60));
  EXPECT_TRUE(minter.Verify(source, cookie, kMinuteStart + 119));
}

TEST_F(CookieMinterTest, FailsTwoMinutesLater) {
  CookieMinter minter(secret_);
  Endpoint source = Ep("198.51.100.7:51000");
  uint32_t cookie = minter.Mint(source, kMinuteStart);
  EXPECT_FALSE(minter.Verify(source, cookie, kMinuteStart + 120));
  EXPECT_FALSE(minter.Verify(source, cookie, kMinuteStart + 3600));
}

TEST_F(CookieMinterTest, FailsBeforeItWasMinted) {
  CookieMinter minter(secret_);
  Endpoint source = Ep("198.51.100.7:51000");
  uint32_t cookie = minter.Mint(source, kMinuteStart + 60);
  EXPECT_FALSE(minter.Verify(source, cookie, kMinuteStart));
}

TEST_F(CookieMinterTest, FailsForAnotherPort) {
  CookieMinter minter(secret_);
  uint32_t cookie = minter.Mint(Ep("198.51.100.7:51000"), kMinuteStart);
  EXPECT_FALSE(minter.Verify(Ep("198.51.100.7:51001"), cookie, kMinuteStart));
}

TEST_F(CookieMinterTest, FailsForAnotherAddress) {
  CookieMinter minter(secret_);
  uint32_t cookie = minter.Mint(Ep("198.51.100.7:51000"), kMinuteStart);
  EXPECT_FALSE(minter.Verify(Ep("198.51.100.8:51000"), cookie, kMinuteStart));
  EXPECT_FALSE(
      minter.Verify(Ep("[::ffff:c633:6407]:51000"), cookie, kMinuteStart));
}

TEST_F(CookieMinterTest, FailsUnderAnotherSecret) {
  CookieMinter minter(secret_);
  CookieMinter restarted(other_secret_);
  Endpoint source = Ep("198.51.100.7:51000");
  EXPECT_FALSE(restarted.Verify(source, minter.Mint(source, kMinuteStart),
                                kMinuteStart));
}

TEST_F(CookieMinterTest, WorksForIpv6Sources) {
  CookieMinter minter(secret_);
  Endpoint source = Ep("[2001:db8::7]:51000");
  uint32_t cookie = minter.Mint(source, kMinuteStart);
  EXPECT_TRUE(minter.Verify(source, cookie, kMinuteStart + 61));
  EXPECT_FALSE(minter.Verify(Ep("[2001:db8::8]:51000"), cookie, kMinuteStart));
}

TEST_F(CookieMinterTest, IsDeterministicForTheSameSecret) {
  CookieMinter a(secret_);
  CookieMinter b(secret_);
  Endpoint source = Ep("198.51.100.7:51000");
  EXPECT_EQ(a.Mint(source, kMinuteStart), b.Mint(source, kMinuteStart + 30));
  EXPECT_EQ(a.Mint(source, kMinuteStart), 0xb161038du);  // SPEC.md 3.6
}

TEST_F(CookieMinterTest, NearEpochTimesDoNotUnderflow) {
  CookieMinter minter(secret_);
  Endpoint source = Ep("198.51.100.7:51000");
  uint32_t cookie = minter.Mint(source, 0);
  EXPECT_TRUE(minter.Verify(source, cookie, 0));
  EXPECT_TRUE(minter.Verify(source, cookie, 60));
  EXPECT_FALSE(minter.Verify(source, cookie ^ 1, 0));
}

}  // namespace
}  // namespace hail::protocol
