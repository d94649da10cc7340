// Issue #4: the Dissector on synthetic traffic, text escaping, and the
// --json shape that other tools compare against.
#include <gtest/gtest.h>
#include <sodium.h>

#include "protocol/handshake.h"
#include "protocol/presession.h"
#include "protocol/registry.h"
#include "protocol/stun.h"
#include "tests/tools/dissect_json.h"
#include "tests/tools/dissect_packets.h"
#include "tools/dissect/dissector.h"
#include "tools/dissect/escape.h"
#include "tools/dissect/printers.h"

namespace hail::dissect {
namespace {

namespace packets = testing::dissect_packets;
using protocol::Bytes;
using testing::Json;

Bytes Plain(const protocol::Message& message) {
  Bytes frame = {protocol::kFramePlain};
  Bytes body = protocol::EncodeMessage(message);
  frame.insert(frame.end(), body.begin(), body.end());
  return frame;
}

class DissectorTest : public ::testing::Test {
 protected:
  DissectorTest() : dissector_(Dissector::Options{}) {
    EXPECT_GE(sodium_init(), 0);
    hello_.client_ephemeral_key.fill(0x5a);
    keys_.client_to_server.fill(0x11);
    keys_.server_to_client.fill(0x22);
  }

  DatagramResult Feed(const Bytes& ip_packet) {
    CapturedFrame frame;
    frame.seconds = 1764547200;
    frame.microseconds = 42;
    frame.link_type = packets::kLinkRaw;
    frame.data = ip_packet;
    frame.original_length = ip_packet.size();
    return dissector_.Dissect(frame);
  }

  // The client's CLIENT_HELLO (PLAIN, channel 0, reliable seq 1).
  DatagramResult SendHello() {
    return Feed(packets::ToServer(
        packets::Enet(0, packets::SendReliable(0, 1, Plain(hello_)))));
  }

  void AddKeys() {
    protocol::KeyLogEntry entry;
    entry.client_ephemeral = hello_.client_ephemeral_key;
    entry.keys = keys_;
    dissector_.AddKeys(entry);
  }

  Dissector dissector_;
  protocol::ClientHello hello_;
  protocol::SessionKeys keys_;
};

TEST_F(DissectorTest, PresessionHelloIsDecodedAndPrinted) {
  protocol::HelloDatagram hello;
  hello.client_nonce = 0x0123456789abcdef;
  DatagramResult r = Feed(packets::ToServer(protocol::EncodeHello(hello)));
  EXPECT_EQ(r.datagram_class, DatagramClass::kPresession);
  ASSERT_TRUE(r.presession);
  EXPECT_EQ(r.presession->type, "HELLO");
  EXPECT_TRUE(r.problems.empty());
  Json json = Json::Parse(FormatJson(r, {}));
  EXPECT_EQ(json.keys(),
            (std::vector<std::string>{"frame", "time", "src", "dst", "class",
                                      "presession", "hail", "errors"}));
  EXPECT_EQ(json["frame"].number(), 1);
  EXPECT_EQ(json["time"].text, "1764547200.000042");
  EXPECT_EQ(json["src"].text, "127.0.0.1:51000");
  EXPECT_EQ(json["dst"].text, "127.0.0.1:4000");
  EXPECT_EQ(json["class"].text, "presession");
  EXPECT_EQ(json["presession"]["type"].text, "HELLO");
  EXPECT_EQ(json["presession"]["client_nonce"].text, "81985529216486895");
  EXPECT_NE(FormatLine(r, {}).find("HAIL HELLO version=1"), std::string::npos);
}

TEST_F(DissectorTest, StunResponseIsDecodedWithItsAddresses) {
  protocol::stun::BindingRequest request;
  request.transaction.id = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  request.software_size = protocol::stun::kHailSoftwareSize;
  protocol::Bytes response = protocol::stun::AnswerBinding(
                                 protocol::stun::EncodeBindingRequest(request),
                                 *protocol::Endpoint::Parse("127.0.0.1:51000"),
                                 *protocol::Endpoint::Parse("127.0.0.1:4000"),
                                 *protocol::Endpoint::Parse("127.0.0.1:4001"))
                                 .datagram;
  DatagramResult r = Feed(packets::ToClient(response));
  EXPECT_EQ(r.datagram_class, DatagramClass::kStun);
  ASSERT_TRUE(r.stun);
  EXPECT_EQ(r.stun->type, "Binding success response");
  EXPECT_TRUE(r.problems.empty());
  Json json = Json::Parse(FormatJson(r, {}));
  EXPECT_EQ(json["class"].text, "stun");
  EXPECT_EQ(json["stun"]["transaction_id"].text, "0102030405060708090a0b0c");
  EXPECT_EQ(json["stun"]["XOR-MAPPED-ADDRESS"].text, "127.0.0.1:51000");
  EXPECT_EQ(json["stun"]["OTHER-ADDRESS"].text, "127.0.0.1:4001");
  EXPECT_EQ(json["stun"]["RESPONSE-ORIGIN"].text, "127.0.0.1:4000");
  EXPECT_NE(FormatLine(r, {}).find("STUN Binding success response"),
            std::string::npos);
  // A corrupted FINGERPRINT is a problem, not a crash.
  response.back() ^= 1;
  DatagramResult bad = Feed(packets::ToClient(response));
  ASSERT_TRUE(bad.stun);
  EXPECT_EQ(bad.stun->type, "MALFORMED");
  EXPECT_FALSE(bad.problems.empty());
}

TEST_F(DissectorTest, MalformedPresessionIsReported) {
  Bytes datagram = protocol::EncodeHello({});
  datagram.pop_back();
  DatagramResult r = Feed(packets::ToServer(datagram));
  EXPECT_EQ(r.presession->type, "MALFORMED");
  EXPECT_EQ(r.problems.size(), 1u);
}

TEST_F(DissectorTest, PlainClientHelloAndSealedReplyDecryptWithKeys) {
  AddKeys();
  DatagramResult hello = SendHello();
  ASSERT_EQ(hello.hail.size(), 1u);
  EXPECT_EQ(hello.hail[0].kind, "CLIENT_HELLO");
  EXPECT_FALSE(hello.hail[0].sealed);
  EXPECT_TRUE(hello.problems.empty());

  protocol::SecureChannel server(keys_, protocol::SecureChannel::Role::kServer);
  protocol::Pong pong;
  pong.nonce = 77;
  Bytes sealed = server.Seal(0, protocol::EncodeMessage(pong));
  DatagramResult r = Feed(
      packets::ToClient(packets::Enet(0, packets::SendReliable(0, 2, sealed))));
  ASSERT_EQ(r.hail.size(), 1u);
  EXPECT_TRUE(r.hail[0].decrypted);
  EXPECT_EQ(r.hail[0].kind, "PONG");
  EXPECT_TRUE(r.problems.empty()) << r.problems[0].text;
  Json json = Json::Parse(FormatJson(r, {}));
  EXPECT_EQ(json.keys(),
            (std::vector<std::string>{"frame", "time", "src", "dst", "class",
                                      "enet", "hail", "errors"}));
  const Json& enet = json["enet"];
  EXPECT_EQ(enet["peer_id"].number(), 0);
  EXPECT_TRUE(enet["sent_time"].is_null());
  ASSERT_EQ(enet["commands"].array.size(), 1u);
  const Json& command = enet["commands"].array[0];
  EXPECT_EQ(command["command"].text, "SEND_RELIABLE");
  EXPECT_EQ(command["channel"].number(), 0);
  EXPECT_EQ(command["reliable_seq"].number(), 2);
  const Json& frame = json["hail"].array[0];
  EXPECT_EQ(frame.keys(),
            (std::vector<std::string>{"channel", "frame", "kind", "kind_id",
                                      "counter", "decrypted", "fields"}));
  EXPECT_EQ(frame["frame"].text, "SEALED");
  EXPECT_EQ(frame["kind"].text, "PONG");
  EXPECT_EQ(frame["kind_id"].number(), 0x12);
  EXPECT_EQ(frame["counter"].number(), 0);
  EXPECT_TRUE(frame["decrypted"].boolean);
  EXPECT_EQ(frame["fields"]["nonce"].text, "77");
}

// Issue 11: the extended-delivery kinds come out of the registry decoded,
// the signed UTC offset as a negative number.
TEST_F(DissectorTest, SealedForwardRulesAndNoticeAreDecodedFieldByField) {
  AddKeys();
  SendHello();
  protocol::SecureChannel client(keys_, protocol::SecureChannel::Role::kClient);
  protocol::ForwardRulesSet rules;
  rules.request_id = 7;
  rules.channel = 2;
  rules.rule.enabled = 1;
  rules.rule.utc_offset_minutes = -300;
  rules.rule.contacts_mode = 1;
  rules.rule.contacts = "alice,carol";
  Bytes sealed = client.Seal(0, protocol::EncodeMessage(rules));
  DatagramResult r = Feed(
      packets::ToServer(packets::Enet(0, packets::SendReliable(0, 2, sealed))));
  ASSERT_EQ(r.hail.size(), 1u);
  EXPECT_TRUE(r.problems.empty());
  EXPECT_EQ(r.hail[0].kind, "FORWARD_RULES_SET");
  Json json = Json::Parse(FormatJson(r, {}));
  const Json& fields = json["hail"].array[0]["fields"];
  EXPECT_EQ(fields["channel"].text, "2");
  EXPECT_EQ(fields["utc_offset_minutes"].text, "-300");
  EXPECT_EQ(fields["contacts"].text, "alice,carol");

  protocol::SecureChannel server(keys_, protocol::SecureChannel::Role::kServer);
  protocol::ForwardNotice notice;
  notice.recipient = "bob";
  notice.channel = 1;
  notice.state = 3;
  notice.reason = "number unreachable";
  sealed = server.Seal(1, protocol::EncodeMessage(notice));
  r = Feed(
      packets::ToClient(packets::Enet(0, packets::SendReliable(1, 1, sealed))));
  ASSERT_EQ(r.hail.size(), 1u);
  EXPECT_TRUE(r.problems.empty());
  EXPECT_EQ(r.hail[0].kind, "FORWARD_NOTICE");
  json = Json::Parse(FormatJson(r, {}));
  EXPECT_EQ(json["hail"].array[0]["fields"]["reason"].text,
            "number unreachable");
}

TEST_F(DissectorTest, SealedFrameWithoutKeysIsOpaqueButNotAnError) {
  SendHello();
  protocol::SecureChannel client(keys_, protocol::SecureChannel::Role::kClient);
  Bytes sealed = client.Seal(0, protocol::EncodeMessage(protocol::Ping{}));
  DatagramResult r = Feed(
      packets::ToServer(packets::Enet(0, packets::SendReliable(0, 2, sealed))));
  ASSERT_EQ(r.hail.size(), 1u);
  EXPECT_FALSE(r.hail[0].decrypted);
  EXPECT_TRUE(r.problems.empty());
  Json frame = Json::Parse(FormatJson(r, {}))["hail"].array[0];
  EXPECT_TRUE(frame["kind"].is_null());
  EXPECT_TRUE(frame["kind_id"].is_null());
  EXPECT_FALSE(frame.has("fields"));
  EXPECT_EQ(frame["counter"].number(), 0);
}

TEST_F(DissectorTest, SealedFrameWithWrongKeysIsUndecryptable) {
  Dissector strict(
      Dissector::Options{.server_port = 4000, .expect_keys = true});
  protocol::KeyLogEntry entry;
  entry.client_ephemeral = hello_.client_ephemeral_key;
  entry.keys = keys_;
  entry.keys.client_to_server[0] ^= 1;
  strict.AddKeys(entry);
  CapturedFrame frame;
  frame.link_type = packets::kLinkRaw;
  Bytes hello = packets::ToServer(
      packets::Enet(0, packets::SendReliable(0, 1, Plain(hello_))));
  frame.data = hello;
  strict.Dissect(frame);
  protocol::SecureChannel client(keys_, protocol::SecureChannel::Role::kClient);
  Bytes sealed = packets::ToServer(packets::Enet(
      0, packets::SendReliable(
             0, 2, client.Seal(0, protocol::EncodeMessage(protocol::Ping{})))));
  frame.data = sealed;
  DatagramResult r = strict.Dissect(frame);
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].kind, ProblemKind::kUndecryptable);
  EXPECT_EQ(strict.counts().undecryptable, 1u);
}

TEST_F(DissectorTest, RetransmissionIsMarkedAndDecodedAgain) {
  AddKeys();
  DatagramResult first = SendHello();
  DatagramResult again = SendHello();
  EXPECT_FALSE(first.enet->commands[0].retransmission);
  EXPECT_TRUE(again.enet->commands[0].retransmission);
  ASSERT_EQ(again.hail.size(), 1u);
  EXPECT_EQ(again.hail[0].kind, "CLIENT_HELLO");
  Json json = Json::Parse(FormatJson(again, {}));
  EXPECT_TRUE(json["enet"]["commands"].array[0]["retransmission"].boolean);
  EXPECT_NE(FormatLine(again, {}).find("[retransmission]"), std::string::npos);
}

TEST_F(DissectorTest, FragmentedSealedMessageIsReassembledAndDecrypted) {
  AddKeys();
  SendHello();
  protocol::SecureChannel client(keys_, protocol::SecureChannel::Role::kClient);
  protocol::SendMessage message;
  message.recipient = "bob";
  message.text = std::string(3000, 'x');
  Bytes sealed = client.Seal(1, protocol::EncodeMessage(message));
  auto total = static_cast<uint32_t>(sealed.size());
  Bytes part1(sealed.begin(), sealed.begin() + 1500);
  Bytes part2(sealed.begin() + 1500, sealed.end());
  // Second fragment first: out of order.
  DatagramResult r1 = Feed(packets::ToServer(packets::Enet(
      0, packets::SendFragment(1, 2, 1, 2, 1, total, 1500, part2))));
  EXPECT_TRUE(r1.hail.empty());
  EXPECT_TRUE(r1.problems.empty());
  DatagramResult r2 = Feed(packets::ToServer(
      packets::Enet(0, packets::SendFragment(1, 1, 1, 2, 0, total, 0, part1))));
  ASSERT_EQ(r2.hail.size(), 1u);
  EXPECT_TRUE(r2.hail[0].reassembled);
  EXPECT_TRUE(r2.hail[0].decrypted);
  EXPECT_EQ(r2.hail[0].kind, "SEND_MESSAGE");
  EXPECT_TRUE(r2.problems.empty()) << r2.problems[0].text;
  Json json = Json::Parse(FormatJson(r2, {}));
  EXPECT_EQ(json["hail"].array[0]["fields"]["text"].text, message.text);
}

TEST_F(DissectorTest, UnknownKindShowsRawHexAndCountsAsUnknown) {
  Bytes frame = {protocol::kFramePlain, 0x77, 0x77, 0xab, 0xcd};
  DatagramResult r = Feed(
      packets::ToServer(packets::Enet(0, packets::SendReliable(0, 1, frame))));
  ASSERT_EQ(r.hail.size(), 1u);
  EXPECT_EQ(r.hail[0].kind, "UNKNOWN(0x7777)");
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].kind, ProblemKind::kUnknown);
  EXPECT_NE(FormatLine(r, {}).find("raw=abcd"), std::string::npos);
}

TEST_F(DissectorTest, SecretsAreHiddenUnlessAsked) {
  protocol::LoginRequest login;
  login.username = "alice";
  login.password = "hunter22";
  // A sealed kind in a PLAIN frame: decoded (and reported as misframed).
  DatagramResult r = Feed(packets::ToServer(
      packets::Enet(0, packets::SendReliable(0, 1, Plain(login)))));
  EXPECT_EQ(FormatLine(r, {}).find("hunter22"), std::string::npos);
  EXPECT_EQ(FormatJson(r, {}).find("hunter22"), std::string::npos);
  EXPECT_EQ(FormatTree(r, {}).find("hunter22"), std::string::npos);
  EXPECT_NE(FormatJson(r, {}).find("\"password\":\"<secret>\""),
            std::string::npos);
  EXPECT_NE(FormatLine(r, {.show_secrets = true}).find("hunter22"),
            std::string::npos);
  EXPECT_TRUE(HasKind(r, "LOGIN_REQUEST"));
  EXPECT_TRUE(MentionsUser(r, "alice"));
  EXPECT_FALSE(MentionsUser(r, "bob"));
  EXPECT_FALSE(r.problems.empty());
}

TEST_F(DissectorTest, HostileUsernameIsEscapedEverywhere) {
  protocol::LoginRequest login;
  login.username = "ev\x1b[31mil\x7f\xff\xc2\x9b\n";
  login.password = "x";
  DatagramResult r = Feed(packets::ToServer(
      packets::Enet(0, packets::SendReliable(0, 1, Plain(login)))));
  for (const std::string& out :
       {FormatLine(r, {}), FormatTree(r, {}), FormatJson(r, {})}) {
    std::string body = out.substr(0, out.size() - 1);  // the final newline
    for (char c : body) {
      auto byte = static_cast<unsigned char>(c);
      EXPECT_TRUE(c == '\n' || (byte >= 0x20 && byte != 0x7f)) << int{byte};
    }
    EXPECT_EQ(out.find("\xc2\x9b"), std::string::npos);
    EXPECT_EQ(out.find('\xff'), std::string::npos);
  }
  Json json = Json::Parse(FormatJson(r, {}));
  EXPECT_EQ(json["hail"].array[0]["fields"]["username"].text,
            "ev\x1b[31mil\x7f\\xff\xc2\x9b\n");
}

TEST(EscapeTest, ControlCharactersDelAndInvalidUtf8AreEscaped) {
  EXPECT_EQ(EscapeText("plain text"), "plain text");
  EXPECT_EQ(EscapeText("a\nb\tc\rd"), "a\\nb\\tc\\rd");
  EXPECT_EQ(EscapeText("\x1b[2J"), "\\x1b[2J");
  EXPECT_EQ(EscapeText("del\x7f"), "del\\x7f");
  EXPECT_EQ(EscapeText("back\\slash"), "back\\\\slash");
  EXPECT_EQ(EscapeText("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(EscapeText("\xe2\x82\xac"), "\xe2\x82\xac");
  EXPECT_EQ(EscapeText("bad\xff"), "bad\\xff");
  EXPECT_EQ(EscapeText("\xc3"), "\\xc3");                    // cut short
  EXPECT_EQ(EscapeText("\xc0\xaf"), "\\xc0\\xaf");           // overlong
  EXPECT_EQ(EscapeText("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // surrogate
  EXPECT_EQ(EscapeText("\xc2\x9b"), "\\u009b");              // C1 CSI
  EXPECT_EQ(EscapeText(std::string("a\0b", 3)), "a\\x00b");
}

TEST(EscapeTest, JsonStringIsValidJsonForAnyBytes) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  std::string json = "\"" + JsonString(all) + "\"";
  Json parsed = Json::Parse(json);
  EXPECT_EQ(parsed.type, Json::Type::kString);
  for (char c : json) {
    auto byte = static_cast<unsigned char>(c);
    EXPECT_TRUE(byte >= 0x20 && byte < 0x7f) << int{byte};
  }
}

}  // namespace
}  // namespace hail::dissect

namespace hail::dissect {
namespace {

// An ENet header without the CRC32 field: decoded with enet_crc off, and
// reported malformed by the default (Hail) reading.
TEST(DissectorCrcTest, HeadersWithoutCrcNeedTheOption) {
  protocol::ClientHello hello;
  Bytes frame_bytes = {protocol::kFramePlain};
  Bytes body = protocol::EncodeMessage(hello);
  frame_bytes.insert(frame_bytes.end(), body.begin(), body.end());
  Bytes enet;
  protocol::ByteWriter w(&enet);
  w.U16(0);  // peer 0, no sent time, and no CRC32 field after it
  Bytes command = packets::SendReliable(0, 1, frame_bytes);
  w.Raw(protocol::ByteSpan(command));
  Bytes datagram = packets::ToServer(enet);  // frame.data only points here
  CapturedFrame frame;
  frame.link_type = packets::kLinkRaw;
  frame.data = datagram;

  Dissector without({.server_port = packets::kServerPort, .enet_crc = false});
  DatagramResult r = without.Dissect(frame);
  EXPECT_TRUE(r.problems.empty());
  ASSERT_EQ(r.hail.size(), 1u);
  EXPECT_EQ(r.hail[0].kind, "CLIENT_HELLO");

  Dissector hail_reading({.server_port = packets::kServerPort});
  DatagramResult misread = hail_reading.Dissect(frame);
  EXPECT_FALSE(misread.problems.empty());
}

}  // namespace
}  // namespace hail::dissect
