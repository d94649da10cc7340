#include "nat/address_class.h"

#include <gtest/gtest.h>

namespace hail::nat {
namespace {

using protocol::Endpoint;

AddressClass Classify(const char* text) {
  return ClassifyAddress(*Endpoint::Parse(text));
}

TEST(AddressClassTest, Ipv4RangesAreClassified) {
  EXPECT_EQ(Classify("127.0.0.1:1"), AddressClass::kLoopback);
  EXPECT_EQ(Classify("10.1.2.3:1"), AddressClass::kPrivate);
  EXPECT_EQ(Classify("172.16.0.1:1"), AddressClass::kPrivate);
  EXPECT_EQ(Classify("172.31.255.1:1"), AddressClass::kPrivate);
  EXPECT_EQ(Classify("172.32.0.1:1"), AddressClass::kPublic);
  EXPECT_EQ(Classify("192.168.1.1:1"), AddressClass::kPrivate);
  EXPECT_EQ(Classify("169.254.3.4:1"), AddressClass::kLinkLocal);
  EXPECT_EQ(Classify("100.64.0.1:1"), AddressClass::kSharedCgn);
  EXPECT_EQ(Classify("100.128.0.1:1"), AddressClass::kPublic);
  EXPECT_EQ(Classify("0.0.0.0:1"), AddressClass::kUnspecified);
  EXPECT_EQ(Classify("203.0.113.9:1"), AddressClass::kPublic);
}

TEST(AddressClassTest, Ipv6RangesAreClassified) {
  EXPECT_EQ(Classify("[::1]:1"), AddressClass::kLoopback);
  EXPECT_EQ(Classify("[::]:1"), AddressClass::kUnspecified);
  EXPECT_EQ(Classify("[fd00::1]:1"), AddressClass::kPrivate);
  EXPECT_EQ(Classify("[fe80::1]:1"), AddressClass::kLinkLocal);
  EXPECT_EQ(Classify("[2001:db8::1]:1"), AddressClass::kPublic);
  EXPECT_EQ(ClassifyAddress(Endpoint{}), AddressClass::kNone);
}

TEST(AddressClassTest, LanEndpointNeedsAnAddressAndAPort) {
  EXPECT_TRUE(IsPlausibleLanEndpoint(*Endpoint::Parse("192.168.1.2:5000")));
  EXPECT_TRUE(IsPlausibleLanEndpoint(*Endpoint::Parse("198.51.100.2:5000")));
  EXPECT_FALSE(IsPlausibleLanEndpoint(*Endpoint::Parse("192.168.1.2:0")));
  EXPECT_FALSE(IsPlausibleLanEndpoint(*Endpoint::Parse("0.0.0.0:5000")));
  EXPECT_FALSE(IsPlausibleLanEndpoint(Endpoint{}));
}

TEST(AddressClassTest, BehindNatWhenObservedDiffersFromDeclared) {
  Endpoint lan = *Endpoint::Parse("10.0.0.5:51000");
  Endpoint seen = *Endpoint::Parse("198.51.100.7:61000");
  EXPECT_TRUE(IsBehindNat(lan, seen));
  EXPECT_FALSE(IsBehindNat(seen, seen));
  EXPECT_FALSE(IsBehindNat(Endpoint{}, seen));
}

}  // namespace
}  // namespace hail::nat
