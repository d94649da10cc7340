#include "protocol/secure_channel.h"

#include <sodium.h>

#include <array>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"

namespace hail::protocol {
namespace {

SessionKeys Keys() {
  SessionKeys keys;
  keys.client_to_server.fill(0x11);
  keys.server_to_client.fill(0x22);
  return keys;
}

Bytes Text(std::string_view text) { return Bytes(text.begin(), text.end()); }

class SecureChannelTest : public testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_GE(sodium_init(), 0); }

  SecureChannel client_{Keys(), SecureChannel::Role::kClient};
  SecureChannel server_{Keys(), SecureChannel::Role::kServer};
};

TEST_F(SecureChannelTest, ServerOpensWhatClientSealed) {
  Bytes frame = client_.Seal(0, Text("hello"));
  Bytes plaintext;
  ASSERT_EQ(server_.Open(0, frame, &plaintext), OpenStatus::kOk);
  EXPECT_EQ(plaintext, Text("hello"));
}

TEST_F(SecureChannelTest, ClientOpensWhatServerSealed) {
  Bytes frame = server_.Seal(1, Text("world"));
  Bytes plaintext;
  ASSERT_EQ(client_.Open(1, frame, &plaintext), OpenStatus::kOk);
  EXPECT_EQ(plaintext, Text("world"));
}

TEST_F(SecureChannelTest, FrameLayoutIsTypeCounterCiphertextTag) {
  Bytes frame = client_.Seal(0, Text("abc"));
  ASSERT_EQ(frame.size(), kSealedOverhead + 3);
  EXPECT_EQ(frame[0], kFrameSealed);
  EXPECT_EQ(ToHex(ByteSpan(frame).subspan(1, 8)), "0000000000000000");
  Bytes second = client_.Seal(0, Text("abc"));
  EXPECT_EQ(ToHex(ByteSpan(second).subspan(1, 8)), "0000000000000001");
  EXPECT_NE(ByteSpan(frame).subspan(9).size(), 0u);
  EXPECT_NE(Bytes(frame.begin() + 9, frame.end()),
            Bytes(second.begin() + 9, second.end()));
  EXPECT_EQ(client_.sent_count(), 2u);
}

TEST_F(SecureChannelTest,
       CiphertextIsChaCha20Poly1305IetfWithTheSpecNonceAndAd) {
  Bytes plaintext = Text("ping");
  for (int i = 0; i < 5; ++i) client_.Seal(0, Bytes{});
  Bytes frame = client_.Seal(1, plaintext);
  // Counter 5 on channel 1, computed independently.
  std::array<uint8_t, 12> nonce{};
  nonce[11] = 5;
  std::array<uint8_t, 10> ad = {2, 0, 0, 0, 0, 0, 0, 0, 5, 1};
  Bytes expected(plaintext.size() + 16);
  unsigned long long length = 0;
  Key key = Keys().client_to_server;
  crypto_aead_chacha20poly1305_ietf_encrypt(
      expected.data(), &length, plaintext.data(), plaintext.size(), ad.data(),
      ad.size(), nullptr, nonce.data(), key.data());
  EXPECT_EQ(ToHex(ByteSpan(frame).subspan(9)), ToHex(expected));
}

TEST_F(SecureChannelTest, EmptyPlaintextSealsToTheMinimumFrame) {
  Bytes frame = client_.Seal(0, Bytes{});
  EXPECT_EQ(frame.size(), kSealedOverhead);
  Bytes plaintext = {1};
  ASSERT_EQ(server_.Open(0, frame, &plaintext), OpenStatus::kOk);
  EXPECT_TRUE(plaintext.empty());
}

TEST_F(SecureChannelTest, AFrameOpensOnlyOnTheChannelItWasSealedFor) {
  Bytes frame = client_.Seal(0, Text("x"));
  Bytes plaintext;
  EXPECT_EQ(server_.Open(1, frame, &plaintext), OpenStatus::kBadTag);
  EXPECT_EQ(server_.Open(0, frame, &plaintext), OpenStatus::kOk);
}

TEST_F(SecureChannelTest, AFrameDoesNotOpenWithItsOwnSendersKey) {
  Bytes frame = client_.Seal(0, Text("x"));
  SecureChannel other_client(Keys(), SecureChannel::Role::kClient);
  Bytes plaintext;
  EXPECT_EQ(other_client.Open(0, frame, &plaintext), OpenStatus::kBadTag);
}

TEST_F(SecureChannelTest, AnyFlippedBitFailsTheTag) {
  Bytes frame = client_.Seal(0, Text("hello"));
  for (size_t i = 0; i < frame.size(); ++i) {
    if (i == 0) continue;  // the type byte makes it malformed instead
    Bytes tampered = frame;
    tampered[i] ^= 0x01;
    Bytes plaintext;
    EXPECT_EQ(server_.Open(0, tampered, &plaintext), OpenStatus::kBadTag) << i;
  }
  Bytes plaintext;
  EXPECT_EQ(server_.Open(0, frame, &plaintext), OpenStatus::kOk);
}

TEST_F(SecureChannelTest, WrongTypeOrShortFrameIsMalformed) {
  Bytes frame = client_.Seal(0, Text("hello"));
  Bytes plain = frame;
  plain[0] = kFramePlain;
  Bytes plaintext;
  EXPECT_EQ(server_.Open(0, plain, &plaintext), OpenStatus::kMalformed);
  EXPECT_EQ(server_.Open(0, Bytes{}, &plaintext), OpenStatus::kMalformed);
  EXPECT_EQ(
      server_.Open(0, ByteSpan(frame.data(), kSealedOverhead - 1), &plaintext),
      OpenStatus::kMalformed);
}

TEST_F(SecureChannelTest, ReplayedFrameIsRefused) {
  Bytes frame = client_.Seal(0, Text("once"));
  Bytes plaintext;
  ASSERT_EQ(server_.Open(0, frame, &plaintext), OpenStatus::kOk);
  EXPECT_EQ(server_.Open(0, frame, &plaintext), OpenStatus::kReplayed);
}

TEST_F(SecureChannelTest, AFailedOpenDoesNotConsumeTheCounter) {
  Bytes frame = client_.Seal(0, Text("x"));
  Bytes tampered = frame;
  tampered.back() ^= 0x80;
  Bytes plaintext;
  EXPECT_EQ(server_.Open(0, tampered, &plaintext), OpenStatus::kBadTag);
  EXPECT_EQ(server_.Open(0, frame, &plaintext), OpenStatus::kOk);
}

TEST_F(SecureChannelTest, ReorderedFramesWithinTheWindowAreAccepted) {
  std::vector<Bytes> frames;
  for (int i = 0; i < 10; ++i) frames.push_back(client_.Seal(0, Text("m")));
  Bytes plaintext;
  for (int i : {9, 0, 5, 1, 8, 2, 7, 3, 6, 4}) {
    EXPECT_EQ(server_.Open(0, frames[i], &plaintext), OpenStatus::kOk) << i;
  }
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(server_.Open(0, frames[i], &plaintext), OpenStatus::kReplayed);
  }
}

TEST_F(SecureChannelTest, FramesOlderThanTheWindowAreRefused) {
  Bytes oldest = client_.Seal(0, Text("old"));
  Bytes just_inside;
  for (uint64_t i = 1; i < ReplayWindow::kWindow; ++i) {
    Bytes frame = client_.Seal(0, Text("n"));
    if (i == 1) just_inside = frame;
  }
  Bytes newest = client_.Seal(0, Text("new"));  // counter kWindow
  Bytes plaintext;
  ASSERT_EQ(server_.Open(0, newest, &plaintext), OpenStatus::kOk);
  // highest - 0 == 1024: outside; highest - 1 == 1023: inside.
  EXPECT_EQ(server_.Open(0, oldest, &plaintext), OpenStatus::kReplayed);
  EXPECT_EQ(server_.Open(0, just_inside, &plaintext), OpenStatus::kOk);
}

TEST(ReplayWindowTest, AcceptsEachCounterOnce) {
  ReplayWindow window;
  EXPECT_TRUE(window.IsFresh(0));
  window.Accept(0);
  EXPECT_FALSE(window.IsFresh(0));
  EXPECT_TRUE(window.IsFresh(1));
  EXPECT_TRUE(window.IsFresh(1000000));
}

TEST(ReplayWindowTest, AFirstCounterFarFromZeroIsFine) {
  ReplayWindow window;
  window.Accept(5000);
  EXPECT_FALSE(window.IsFresh(5000));
  EXPECT_TRUE(window.IsFresh(4999));
  EXPECT_TRUE(window.IsFresh(5000 - 1023));
  EXPECT_FALSE(window.IsFresh(5000 - 1024));
}

TEST(ReplayWindowTest, SlotsReusedAfterAJumpAreFresh) {
  ReplayWindow window;
  for (uint64_t c = 0; c < 10; ++c) window.Accept(c);
  window.Accept(1024 + 3);          // same slot as 3, jumps by 1018
  EXPECT_FALSE(window.IsFresh(3));  // now too old
  EXPECT_TRUE(window.IsFresh(1024 + 2));
  EXPECT_TRUE(window.IsFresh(1024 + 1));
  EXPECT_FALSE(window.IsFresh(1024 + 3));
  EXPECT_FALSE(window.IsFresh(4));  // accepted, still inside
  EXPECT_TRUE(window.IsFresh(9 + 1));
}

TEST(ReplayWindowTest, AJumpBeyondTheWindowForgetsEverything) {
  ReplayWindow window;
  for (uint64_t c = 0; c < 100; ++c) window.Accept(c);
  window.Accept(1'000'000);
  for (uint64_t c = 1'000'000 - 1023; c < 1'000'000; ++c) {
    ASSERT_TRUE(window.IsFresh(c)) << c;
  }
  EXPECT_FALSE(window.IsFresh(99));
}

}  // namespace
}  // namespace hail::protocol
