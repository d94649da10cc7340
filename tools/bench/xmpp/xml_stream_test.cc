// XmlStream: stanzas come out whole however the bytes are split, with
// namespaces resolved whatever prefixes the server chose, and a reset starts
// a new stream (as after SASL success).
#include "tools/bench/xmpp/xml_stream.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace hail::tools::xmpp {
namespace {

constexpr char kServerStream[] =
    "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
    "xmlns:stream='http://etherx.jabber.org/streams' id='x' version='1.0'>"
    "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
    "<mechanism>PLAIN</mechanism></mechanisms></stream:features>"
    "<message to='a@localhost/r' type='chat'><body>hb 7 &amp; 12</body>"
    "</message>";

std::vector<Element> FeedInChunks(const std::string& data, size_t chunk) {
  std::vector<Element> out;
  XmlStream xml;
  xml.on_stanza = [&out](Element&& e) { out.push_back(std::move(e)); };
  for (size_t i = 0; i < data.size(); i += chunk) {
    EXPECT_TRUE(xml.Feed(data.data() + i, std::min(chunk, data.size() - i)))
        << xml.error();
  }
  return out;
}

TEST(XmlStreamTest, StanzasAreWholeForAnySplit) {
  for (size_t chunk : {1u, 3u, 17u, 4096u}) {
    std::vector<Element> got = FeedInChunks(kServerStream, chunk);
    ASSERT_EQ(got.size(), 2u) << "chunk " << chunk;
    EXPECT_TRUE(got[0].Is(kNsStream, "features"));
    const Element* mechs = got[0].Child(kNsSasl, "mechanisms");
    ASSERT_NE(mechs, nullptr);
    ASSERT_EQ(mechs->children.size(), 1u);
    EXPECT_EQ(mechs->children[0].text, "PLAIN");
    EXPECT_TRUE(got[1].Is(kNsClient, "message"));
    EXPECT_EQ(got[1].Attr("type"), "chat");
    EXPECT_EQ(got[1].Attr("missing"), "");
    const Element* body = got[1].Child(kNsClient, "body");
    ASSERT_NE(body, nullptr);
    EXPECT_EQ(body->text, "hb 7 & 12");
  }
}

TEST(XmlStreamTest, OtherPrefixesResolveToTheSameNames) {
  std::vector<Element> got = FeedInChunks(
      "<s:stream xmlns:s='http://etherx.jabber.org/streams' "
      "xmlns='jabber:client'><s:features/><c:iq xmlns:c='jabber:client' "
      "type='result' id='bind'/>",
      5);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_TRUE(got[0].Is(kNsStream, "features"));
  EXPECT_TRUE(got[1].Is(kNsClient, "iq"));
  EXPECT_EQ(got[1].Attr("id"), "bind");
}

TEST(XmlStreamTest, ResetStartsANewStreamAndEndIsReported) {
  std::vector<Element> got;
  int ends = 0;
  XmlStream xml;
  xml.on_stanza = [&got](Element&& e) { got.push_back(std::move(e)); };
  xml.on_stream_end = [&ends] { ++ends; };
  std::string first = std::string(kServerStream) + "</stream:stream>";
  ASSERT_TRUE(xml.Feed(first.data(), first.size()));
  EXPECT_EQ(ends, 1);
  xml.Reset();
  std::string second =
      "<stream:stream xmlns='jabber:client' "
      "xmlns:stream='http://etherx.jabber.org/streams'><presence/>";
  ASSERT_TRUE(xml.Feed(second.data(), second.size())) << xml.error();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_TRUE(got[2].Is(kNsClient, "presence"));
}

TEST(XmlStreamTest, MalformedXmlIsAnError) {
  XmlStream xml;
  std::string bad = "<stream:stream xmlns:stream='x'><a></b>";
  EXPECT_FALSE(xml.Feed(bad.data(), bad.size()));
  EXPECT_FALSE(xml.error().empty());
}

}  // namespace
}  // namespace hail::tools::xmpp
