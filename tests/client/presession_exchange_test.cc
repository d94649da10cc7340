#include "client/presession_exchange.h"

#include <gtest/gtest.h>

#include "protocol/presession.h"

namespace hail::client {
namespace {

constexpr uint64_t kNonce = 0x0102030405060708;
constexpr uint64_t kStart = 1000;

protocol::Bytes CookieFor(uint64_t nonce, uint32_t cookie) {
  protocol::CookieDatagram datagram;
  datagram.client_nonce = nonce;
  datagram.cookie = cookie;
  return protocol::EncodeCookie(datagram);
}

TEST(PresessionExchangeTest, HelloIsSixtyFourBytesCarryingTheNonce) {
  PresessionExchange exchange(kNonce, kStart);
  auto hello = protocol::DecodeHello(exchange.hello());
  ASSERT_TRUE(hello.has_value());
  EXPECT_EQ(exchange.hello().size(), protocol::kHelloSize);
  EXPECT_EQ(hello->client_nonce, kNonce);
  EXPECT_EQ(hello->version, protocol::kPresessionVersion);
}

TEST(PresessionExchangeTest, ResendsEvery500MsAndGivesUpAfterFiveSeconds) {
  PresessionExchange exchange(kNonce, kStart);
  EXPECT_FALSE(exchange.OnTimer(kStart + 499));
  EXPECT_EQ(exchange.next_timer_ms(), kStart + 500);
  int resends = 0;
  for (uint64_t t = kStart; t < kStart + 5000; t += 10) {
    resends += exchange.OnTimer(t) ? 1 : 0;
  }
  EXPECT_EQ(resends, 9);  // at 500, 1000, ..., 4500
  EXPECT_EQ(exchange.hellos_sent(), 10);
  EXPECT_EQ(exchange.state(), PresessionExchange::State::kAwaitingCookie);
  EXPECT_FALSE(exchange.OnTimer(kStart + 5000));
  EXPECT_EQ(exchange.state(), PresessionExchange::State::kTimedOut);
}

TEST(PresessionExchangeTest, CookieWithOurNonceEndsTheExchange) {
  PresessionExchange exchange(kNonce, kStart);
  EXPECT_EQ(exchange.OnDatagram(CookieFor(kNonce, 0xdeadbeef)),
            PresessionExchange::DatagramOutcome::kCookie);
  EXPECT_EQ(exchange.state(), PresessionExchange::State::kGotCookie);
  EXPECT_EQ(exchange.cookie().cookie, 0xdeadbeefu);
  EXPECT_FALSE(exchange.OnTimer(kStart + 10'000));
  EXPECT_EQ(exchange.OnDatagram(CookieFor(kNonce, 1)),
            PresessionExchange::DatagramOutcome::kIgnored);
  EXPECT_EQ(exchange.cookie().cookie, 0xdeadbeefu);
}

TEST(PresessionExchangeTest, CookieForAnotherNonceIsIgnored) {
  PresessionExchange exchange(kNonce, kStart);
  EXPECT_EQ(exchange.OnDatagram(CookieFor(kNonce + 1, 7)),
            PresessionExchange::DatagramOutcome::kIgnored);
  EXPECT_EQ(exchange.state(), PresessionExchange::State::kAwaitingCookie);
}

TEST(PresessionExchangeTest, TruncatedCookieIsIgnored) {
  PresessionExchange exchange(kNonce, kStart);
  protocol::Bytes cookie = CookieFor(kNonce, 7);
  for (size_t size = 0; size < cookie.size(); ++size) {
    EXPECT_EQ(exchange.OnDatagram(protocol::ByteSpan(cookie.data(), size)),
              PresessionExchange::DatagramOutcome::kIgnored)
        << "size " << size;
  }
  EXPECT_EQ(exchange.state(), PresessionExchange::State::kAwaitingCookie);
}

TEST(PresessionExchangeTest, RejectWithOurNonceEndsTheExchange) {
  PresessionExchange exchange(kNonce, kStart);
  protocol::PresessionRejectDatagram reject;
  reject.client_nonce = kNonce;
  reject.highest_version = 7;
  EXPECT_EQ(exchange.OnDatagram(protocol::EncodePresessionReject(reject)),
            PresessionExchange::DatagramOutcome::kReject);
  EXPECT_EQ(exchange.state(), PresessionExchange::State::kRejected);
  EXPECT_EQ(exchange.reject().highest_version, 7);
  EXPECT_EQ(exchange.reject().error, protocol::ErrorCode::kUnsupportedVersion);
}

}  // namespace
}  // namespace hail::client
