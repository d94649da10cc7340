#include "client/server_address.h"

#include <gtest/gtest.h>

namespace hail::client {
namespace {

TEST(ServerAddressTest, ParsesHostAndPort) {
  auto address = ParseServerAddress("127.0.0.1:4100");
  ASSERT_TRUE(address.ok());
  EXPECT_EQ(address->host, "127.0.0.1");
  EXPECT_EQ(address->port, 4100);
  EXPECT_EQ(address->ToString(), "127.0.0.1:4100");
}

TEST(ServerAddressTest, HostAloneGetsTheDefaultPortAndIsLowercased) {
  auto address = ParseServerAddress("Chat.Example.ORG");
  ASSERT_TRUE(address.ok());
  EXPECT_EQ(address->ToString(), "chat.example.org:4000");
}

TEST(ServerAddressTest, RejectsBadForms) {
  for (const char* text : {"", ":4000", "host:", "host:0", "host:65536",
                           "host:40x0", "[::1]:4000", "ho st:1", "a:1:2"}) {
    EXPECT_FALSE(ParseServerAddress(text).ok()) << text;
  }
}

}  // namespace
}  // namespace hail::client
