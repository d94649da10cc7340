#include "protocol/endpoint.h"

#include <optional>
#include <string>

#include "gtest/gtest.h"

namespace hail::protocol {
namespace {

std::string RoundTrip(const std::string& text) {
  std::optional<Endpoint> endpoint = Endpoint::Parse(text);
  return endpoint ? endpoint->ToString() : "<parse failed>";
}

Bytes Encode(const Endpoint& endpoint) {
  Bytes out;
  ByteWriter w(&out);
  EncodeEndpoint(endpoint, &w);
  return out;
}

TEST(EndpointTest, Ipv4ParsesAndFormats) {
  std::optional<Endpoint> e = Endpoint::Parse("192.0.2.10:4000");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->family, Endpoint::Family::kIpv4);
  EXPECT_EQ(e->Ipv4HostOrder(), 0xc000020au);
  EXPECT_EQ(e->port, 4000);
  EXPECT_EQ(e->ToString(), "192.0.2.10:4000");
}

TEST(EndpointTest, Ipv4PartsWithLeadingZerosAreRefused) {
  EXPECT_FALSE(Endpoint::Parse("010.0.0.1:5").has_value());
  EXPECT_FALSE(Endpoint::Parse("10.0.00.1:5").has_value());
  EXPECT_TRUE(Endpoint::Parse("10.0.0.1:5").has_value());
}

TEST(EndpointTest, Ipv4ConstructorStoresNetworkOrderAddress) {
  Endpoint e = Endpoint::Ipv4(0xc6336407, 51000);
  EXPECT_EQ(e.address[0], 198);
  EXPECT_EQ(e.address[3], 7);
  EXPECT_EQ(e.address[4], 0);
  EXPECT_EQ(e.ToString(), "198.51.100.7:51000");
  EXPECT_EQ(Endpoint::Parse("198.51.100.7:51000"), e);
}

TEST(EndpointTest, Ipv4ExtremesRoundTrip) {
  EXPECT_EQ(RoundTrip("0.0.0.0:0"), "0.0.0.0:0");
  EXPECT_EQ(RoundTrip("255.255.255.255:65535"), "255.255.255.255:65535");
  EXPECT_EQ(RoundTrip("10.0.0.5:51000"), "10.0.0.5:51000");
}

TEST(EndpointTest, Ipv6RoundTripsInRfc5952Form) {
  EXPECT_EQ(RoundTrip("[2001:db8::7]:51000"), "[2001:db8::7]:51000");
  EXPECT_EQ(RoundTrip("[::1]:4000"), "[::1]:4000");
  EXPECT_EQ(RoundTrip("[::]:1"), "[::]:1");
  EXPECT_EQ(RoundTrip("[fe80::1:2]:9"), "[fe80::1:2]:9");
}

TEST(EndpointTest, Ipv6FormatIsLowercaseWithoutLeadingZeros) {
  EXPECT_EQ(RoundTrip("[2001:0DB8:0000:0000:0000:0000:0000:00AB]:1"),
            "[2001:db8::ab]:1");
}

TEST(EndpointTest, Ipv6CompressesTheLongestZeroRun) {
  EXPECT_EQ(RoundTrip("[2001:db8:0:0:1:0:0:0]:1"), "[2001:db8:0:0:1::]:1");
  EXPECT_EQ(RoundTrip("[1:0:0:0:2:0:0:3]:1"), "[1::2:0:0:3]:1");
}

TEST(EndpointTest, Ipv6CompressesTheFirstOfEqualZeroRuns) {
  EXPECT_EQ(RoundTrip("[2001:db8:0:0:1:0:0:1]:1"), "[2001:db8::1:0:0:1]:1");
}

TEST(EndpointTest, Ipv6DoesNotCompressASingleZeroGroup) {
  EXPECT_EQ(RoundTrip("[2001:db8:0:1:1:1:1:1]:1"), "[2001:db8:0:1:1:1:1:1]:1");
}

TEST(EndpointTest, Ipv6AcceptsAllEightGroupsAndTrailingGap) {
  EXPECT_EQ(RoundTrip("[1:2:3:4:5:6:7:8]:80"), "[1:2:3:4:5:6:7:8]:80");
  EXPECT_EQ(RoundTrip("[1:2:3:4:5:6:7::]:80"), "[1:2:3:4:5:6:7:0]:80");
}

TEST(EndpointTest, EmptyEndpointIsADash) {
  EXPECT_EQ(Endpoint{}.ToString(), "-");
  std::optional<Endpoint> e = Endpoint::Parse("-");
  ASSERT_TRUE(e.has_value());
  EXPECT_TRUE(e->empty());
}

TEST(EndpointTest, RejectsBadIpv4Text) {
  for (const char* text :
       {"", "1.2.3.4", "1.2.3:4", "1.2.3.4.5:6", "256.1.1.1:1", "1.2.3.4:",
        "1.2.3.4:65536", "1.2.3.4:-1", "1.2.3.4:+1", "a.b.c.d:1", "1..3.4:5",
        "1.2.3.4 :5", "1.2.3.4:5x", "1234.1.1.1:1", "localhost:4000"}) {
    EXPECT_FALSE(Endpoint::Parse(text).has_value()) << text;
  }
}

TEST(EndpointTest, RejectsBadIpv6Text) {
  for (const char* text :
       {"[::1]", "[::1]4000", "::1:4000", "[::1:4000", "[1::2::3]:1", "[:::]:1",
        "[12345::]:1", "[1:2:3:4:5:6:7:8:9]:1", "[1:2:3:4:5:6:7]:1", "[g::]:1",
        "[1.2.3.4]:1", "[::1]:99999", "[]:1", "[:1:2:3:4:5:6:7]:1"}) {
    EXPECT_FALSE(Endpoint::Parse(text).has_value()) << text;
  }
}

TEST(EndpointWireTest, EncodesEachFamily) {
  EXPECT_EQ(ToHex(Encode(Endpoint{})), "00");
  EXPECT_EQ(ToHex(Encode(*Endpoint::Parse("198.51.100.7:51000"))),
            "04c6336407c738");
  EXPECT_EQ(ToHex(Encode(*Endpoint::Parse("[2001:db8::7]:51000"))),
            "0620010db8000000000000000000000007c738");
}

TEST(EndpointWireTest, DecodeInvertsEncode) {
  for (const char* text : {"-", "10.0.0.5:51000", "[2001:db8::7]:51000"}) {
    Endpoint original = *Endpoint::Parse(text);
    Bytes bytes = Encode(original);
    ByteReader r(bytes);
    Endpoint decoded;
    decoded.port = 99;
    ASSERT_TRUE(DecodeEndpoint(&r, &decoded)) << text;
    EXPECT_EQ(decoded, original) << text;
    EXPECT_EQ(r.remaining(), 0u) << text;
  }
}

TEST(EndpointWireTest, UnknownFamilyIsInvalid) {
  const Bytes bytes = {5, 1, 2, 3, 4, 0, 1};
  ByteReader r(bytes);
  Endpoint e;
  EXPECT_FALSE(DecodeEndpoint(&r, &e));
  EXPECT_TRUE(r.invalid());
}

TEST(EndpointWireTest, TruncatedEndpointFailsWithoutBeingInvalid) {
  Bytes full = Encode(*Endpoint::Parse("[2001:db8::7]:51000"));
  for (size_t length = 0; length < full.size(); ++length) {
    ByteReader r(ByteSpan(full.data(), length));
    Endpoint e;
    EXPECT_FALSE(DecodeEndpoint(&r, &e)) << length;
    EXPECT_FALSE(r.invalid()) << length;
  }
}

}  // namespace
}  // namespace hail::protocol
