#include "protocol/stun.h"

#include <random>

#include "gtest/gtest.h"
#include "protocol/presession.h"

namespace hail::protocol::stun {
namespace {

using Outcome = ServerReply::Outcome;

Endpoint Ep(std::string_view text) { return *Endpoint::Parse(text); }

Bytes Hex(std::string_view text) {
  Bytes out;
  EXPECT_TRUE(FromHex(text, &out));
  return out;
}

TransactionId Tid(uint8_t first) {
  TransactionId t;
  for (size_t i = 0; i < t.id.size(); ++i) t.id[i] = first + i;
  return t;
}

// What `turnutils_stunclient` sends (captured on lo): a bare 20-byte RFC
// 5389 Binding request.
const Bytes kTurnutilsRequest = Hex("000100002112a442a03b4ce77feb2214f5b4b596");
// What `stun` (Debian stun-client 0.97) sends for its test 1: a classic RFC
// 3489 Binding request with CHANGE-REQUEST 0; tests 2 and 3 set flags 4, 2.
const Bytes kClassicRequest =
    Hex("00010008019d811b4afa0b3c90b9026de9c46d3a0003000400000000");
const Bytes kClassicChangeIp =
    Hex("000100080200754a55b6b049c1391730770e7b790003000400000004");

const Endpoint kSource = Ep("192.0.2.1:32853");
const Endpoint kLocal = Ep("203.0.113.5:4000");
const Endpoint kOther = Ep("203.0.113.5:4001");

TEST(StunTest, Crc32MatchesTheStandardCheckValue) {
  std::string_view text = "123456789";
  EXPECT_EQ(Crc32(ByteSpan(reinterpret_cast<const uint8_t*>(text.data()),
                           text.size())),
            0xcbf43926u);
}

TEST(StunTest, HailRequestIs44BytesWithSoftwareAndFingerprint) {
  BindingRequest request;
  request.transaction = Tid(1);
  request.software_size = kHailSoftwareSize;
  Bytes bytes = EncodeBindingRequest(request);
  EXPECT_EQ(bytes.size(), 44u);
  DecodeResult decoded = Decode(bytes, false);
  ASSERT_TRUE(decoded.message);
  EXPECT_EQ(decoded.message->type, kBindingRequest);
  EXPECT_EQ(decoded.message->transaction, request.transaction);
  EXPECT_TRUE(decoded.message->had_fingerprint);
  ASSERT_EQ(decoded.message->attributes.size(), 1u);
  EXPECT_EQ(decoded.message->attributes[0].type,
            static_cast<uint16_t>(AttributeType::kSoftware));
  EXPECT_EQ(ClassifyDatagram(bytes), DatagramClass::kStun);
}

TEST(StunTest, BareRequestGetsOnlyXorMappedAddressIn32Bytes) {
  ServerReply reply = AnswerBinding(kTurnutilsRequest, kSource, kLocal, kOther);
  ASSERT_EQ(reply.outcome, Outcome::kAnswered);
  EXPECT_EQ(reply.datagram.size(), 32u);
  EXPECT_LE(reply.datagram.size() * 5, kTurnutilsRequest.size() * 8);
  std::optional<BindingResponse> response =
      DecodeBindingResponse(reply.datagram);
  ASSERT_TRUE(response);
  EXPECT_TRUE(response->success);
  EXPECT_EQ(response->mapped, kSource);
  EXPECT_TRUE(response->other.empty());
  EXPECT_EQ(ToHex(ByteSpan(reply.datagram).subspan(4, 16)),
            ToHex(ByteSpan(kTurnutilsRequest).subspan(4, 16)));
}

TEST(StunTest, PaddedRequestGetsEveryOptionalAttribute) {
  BindingRequest request;
  request.transaction = Tid(7);
  request.software_size = kHailSoftwareSize;
  Bytes bytes = EncodeBindingRequest(request);
  ServerReply reply = AnswerBinding(bytes, kSource, kLocal, kOther);
  ASSERT_EQ(reply.outcome, Outcome::kAnswered);
  EXPECT_EQ(reply.datagram.size(), 64u);
  EXPECT_LE(reply.datagram.size(), ResponseBudget(bytes.size()));
  DecodeResult raw = Decode(reply.datagram, false);
  ASSERT_TRUE(raw.message);
  EXPECT_TRUE(raw.message->had_fingerprint);
  std::optional<BindingResponse> response =
      DecodeBindingResponse(reply.datagram);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->transaction, request.transaction);
  EXPECT_EQ(response->mapped, kSource);
  EXPECT_EQ(response->other, kOther);
  EXPECT_EQ(response->response_origin, kLocal);
}

TEST(StunTest, UnpaddedFingerprintedRequestDropsOptionalsToFit) {
  BindingRequest request;
  request.transaction = Tid(3);
  Bytes bytes = EncodeBindingRequest(request);  // 28 bytes: budget 44
  ASSERT_EQ(bytes.size(), 28u);
  ServerReply reply = AnswerBinding(bytes, kSource, kLocal, kOther);
  ASSERT_EQ(reply.outcome, Outcome::kAnswered);
  EXPECT_EQ(reply.datagram.size(), 40u);  // XOR-MAPPED + FINGERPRINT
  std::optional<BindingResponse> response =
      DecodeBindingResponse(reply.datagram);
  ASSERT_TRUE(response);
  EXPECT_TRUE(response->other.empty());
}

TEST(StunTest, ClassicRequestGetsMappedAddress) {
  ServerReply reply = AnswerBinding(kClassicRequest, kSource, kLocal, kOther);
  ASSERT_EQ(reply.outcome, Outcome::kAnswered);
  EXPECT_EQ(reply.datagram.size(), 32u);
  // Same 16 id bytes, type 0x0101, MAPPED-ADDRESS in the clear.
  EXPECT_EQ(ToHex(ByteSpan(reply.datagram).first(4)), "0101000c");
  EXPECT_EQ(ToHex(ByteSpan(reply.datagram).subspan(4, 16)),
            ToHex(ByteSpan(kClassicRequest).subspan(4, 16)));
  EXPECT_EQ(ToHex(ByteSpan(reply.datagram).subspan(20)),
            "0001000800018055c0000201");
}

TEST(StunTest, ClassicChangeRequestsAreNotAnswered) {
  EXPECT_EQ(AnswerBinding(kClassicChangeIp, kSource, kLocal, kOther).outcome,
            Outcome::kIgnored);
}

TEST(StunTest, UnknownComprehensionRequiredAttributeGets420) {
  Bytes request = kTurnutilsRequest;
  request[3] = 8;
  Bytes attribute = Hex("0006 0004 61626364");  // USERNAME "abcd"
  request.insert(request.end(), attribute.begin(), attribute.end());
  ServerReply reply = AnswerBinding(request, kSource, kLocal, kOther);
  ASSERT_EQ(reply.outcome, Outcome::kErrorAnswered);
  EXPECT_LE(reply.datagram.size(), ResponseBudget(request.size()));
  std::optional<BindingResponse> response =
      DecodeBindingResponse(reply.datagram);
  ASSERT_TRUE(response);
  EXPECT_FALSE(response->success);
  EXPECT_EQ(response->error_code, 420);
  EXPECT_EQ(response->unknown_attributes, std::vector<uint16_t>{0x0006});
}

TEST(StunTest, UnknownOptionalAttributesAreIgnored) {
  Bytes request = kTurnutilsRequest;
  request[3] = 8;
  Bytes attribute = Hex("8055 0003 616263 00");
  request.insert(request.end(), attribute.begin(), attribute.end());
  EXPECT_EQ(AnswerBinding(request, kSource, kLocal, kOther).outcome,
            Outcome::kAnswered);
}

TEST(StunTest, AnswerThatCannotFitIsNotSent) {
  // An IPv6 XOR-MAPPED-ADDRESS (24 bytes) makes 44 > 32.
  ServerReply reply =
      AnswerBinding(kTurnutilsRequest, Ep("[2001:db8::1]:5"), kLocal, kOther);
  EXPECT_EQ(reply.outcome, Outcome::kTooLarge);
  EXPECT_TRUE(reply.datagram.empty());
}

TEST(StunTest, BadOrMisplacedFingerprintIsMalformed) {
  BindingRequest request;
  request.transaction = Tid(9);
  Bytes bytes = EncodeBindingRequest(request);
  bytes.back() ^= 1;
  EXPECT_EQ(Decode(bytes, false).error, DecodeError::kBadFingerprint);
  EXPECT_EQ(AnswerBinding(bytes, kSource, kLocal, kOther).outcome,
            Outcome::kMalformed);
  // A FINGERPRINT followed by another attribute.
  Bytes good = EncodeBindingRequest(request);
  Bytes extra = Hex("8022 0004 61626364");
  good.insert(good.end(), extra.begin(), extra.end());
  good[3] += 8;
  EXPECT_EQ(Decode(good, false).error, DecodeError::kBadFingerprint);
}

TEST(StunTest, AttributeRunningPastTheMessageIsMalformed) {
  Bytes request = kTurnutilsRequest;
  request[3] = 8;
  Bytes attribute = Hex("8022 0008 61626364");  // says 8, has 4
  request.insert(request.end(), attribute.begin(), attribute.end());
  EXPECT_EQ(Decode(request, false).error, DecodeError::kBadAttribute);
  EXPECT_EQ(AnswerBinding(request, kSource, kLocal, kOther).outcome,
            Outcome::kMalformed);
}

TEST(StunTest, EveryShorterPrefixFailsCleanly) {
  BindingRequest request;
  request.transaction = Tid(1);
  request.software_size = kHailSoftwareSize;
  Bytes bytes = EncodeBindingRequest(request);
  Bytes response = AnswerBinding(bytes, kSource, kLocal, kOther).datagram;
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(Decode(ByteSpan(bytes).first(n), true).message) << n;
  }
  for (size_t n = 0; n < response.size(); ++n) {
    EXPECT_FALSE(DecodeBindingResponse(ByteSpan(response).first(n))) << n;
  }
}

TEST(StunTest, ClassicHeadersNeedPermission) {
  EXPECT_FALSE(Decode(kClassicRequest, false).message);
  EXPECT_TRUE(Decode(kClassicRequest, true).message);
  EXPECT_EQ(ClassifyDatagram(kClassicRequest), DatagramClass::kEnet);
  EXPECT_EQ(ClassifyDatagram(kClassicRequest, true), DatagramClass::kStun);
  // A classic success response is never accepted by our client.
  Bytes response =
      AnswerBinding(kClassicRequest, kSource, kLocal, kOther).datagram;
  EXPECT_FALSE(DecodeBindingResponse(response));
}

TEST(StunTest, RandomMutationsNeverBreakTheBudget) {
  std::mt19937 rng(5);
  BindingRequest request;
  request.software_size = kHailSoftwareSize;
  Bytes seed = EncodeBindingRequest(request);
  for (int round = 0; round < 20000; ++round) {
    Bytes bytes = round % 2 ? seed : kClassicRequest;
    int edits = 1 + rng() % 4;
    for (int e = 0; e < edits; ++e) {
      bytes[rng() % bytes.size()] = static_cast<uint8_t>(rng());
    }
    if (rng() % 4 == 0) bytes.resize(rng() % (bytes.size() + 1));
    ServerReply reply = AnswerBinding(bytes, kSource, kLocal, kOther);
    EXPECT_LE(reply.datagram.size(), ResponseBudget(bytes.size()));
    if (reply.outcome == Outcome::kAnswered ||
        reply.outcome == Outcome::kErrorAnswered) {
      EXPECT_FALSE(reply.datagram.empty());
    } else {
      EXPECT_TRUE(reply.datagram.empty());
    }
  }
}

}  // namespace
}  // namespace hail::protocol::stun
