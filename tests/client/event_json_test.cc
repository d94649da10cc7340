#include "client/event_json.h"

#include <gtest/gtest.h>

#include <set>
#include <utility>

namespace hail::client {
namespace {

protocol::ItemId Id(uint8_t fill) {
  protocol::ItemId id;
  id.fill(fill);
  return id;
}

TEST(EventJsonTest, MessageReceived) {
  MessageReceived message;
  message.message_id = Id(0xab);
  message.sender_id = 10001;
  message.sender = "bob";
  message.seq = 7;
  message.accepted_unix = 1700000000;
  message.text = "hi \"alice\"\n";
  message.from_mailbox = true;
  EXPECT_EQ(EventJson(message),
            "{\"event\":\"message_received\",\"message_id\":"
            "\"abababababababababababababababab\",\"sender_id\":10001,"
            "\"sender\":\"bob\",\"seq\":7,\"accepted_unix\":1700000000,"
            "\"text\":\"hi \\\"alice\\\"\\n\",\"from_mailbox\":true,"
            "\"path\":\"relay\"}\n");
}

TEST(EventJsonTest, MessageAcceptedNamesTheRouteOnlyWhenAccepted) {
  MessageAccepted live;
  live.message_id = Id(0x01);
  live.recipient = "bob";
  live.route = protocol::Route::kLive;
  live.seq = 3;
  live.accepted_unix = 5;
  EXPECT_EQ(EventJson(live),
            "{\"event\":\"message_accepted\",\"message_id\":"
            "\"01010101010101010101010101010101\",\"recipient\":\"bob\","
            "\"error\":\"OK\",\"restored\":false,\"route\":\"live\","
            "\"seq\":3,\"accepted_unix\":5,\"path\":\"relay\"}\n");
  MessageAccepted refused = live;
  refused.error = protocol::ErrorCode::kNotAContact;
  EXPECT_EQ(EventJson(refused),
            "{\"event\":\"message_accepted\",\"message_id\":"
            "\"01010101010101010101010101010101\",\"recipient\":\"bob\","
            "\"error\":\"NOT_A_CONTACT\",\"restored\":false,"
            "\"kept_for_retry\":false}\n");
  // Issue #10: a resend of an earlier run's message, and a refusal that
  // keeps the message and tries again in the session.
  MessageAccepted busy = refused;
  busy.error = protocol::ErrorCode::kMailboxFull;
  busy.restored = true;
  busy.kept_for_retry = true;
  busy.retry_in_ms = 2000;
  EXPECT_EQ(EventJson(busy),
            "{\"event\":\"message_accepted\",\"message_id\":"
            "\"01010101010101010101010101010101\",\"recipient\":\"bob\","
            "\"error\":\"MAILBOX_FULL\",\"restored\":true,"
            "\"kept_for_retry\":true,\"retry_in_ms\":2000}\n");
}

TEST(EventJsonTest, ContactAndPresenceEvents) {
  EXPECT_EQ(
      EventJson(ContactUpdated{10002, "carol", protocol::Relation::kAccepted,
                               protocol::Presence::kAway, "lunch"}),
      "{\"event\":\"contact_updated\",\"user_id\":10002,\"username\":"
      "\"carol\",\"relation\":\"accepted\",\"presence\":\"away\","
      "\"status\":\"lunch\"}\n");
  EXPECT_EQ(EventJson(PresenceChanged{10002, "carol",
                                      protocol::Presence::kOffline, ""}),
            "{\"event\":\"presence_changed\",\"user_id\":10002,\"username\":"
            "\"carol\",\"presence\":\"offline\",\"status\":\"\"}\n");
  EXPECT_EQ(EventJson(RequestDone{4, protocol::Kind::kContactAdd,
                                  protocol::ErrorCode::kUserNotFound}),
            "{\"event\":\"request_done\",\"request_id\":4,\"kind\":"
            "\"CONTACT_ADD\",\"error\":\"USER_NOT_FOUND\"}\n");
  EXPECT_EQ(EventJson(ContactListEnd{0, 2}),
            "{\"event\":\"contact_list_end\",\"request_id\":0,\"count\":2}\n");
  EXPECT_EQ(EventJson(MailboxEnd{3}),
            "{\"event\":\"mailbox_end\",\"count\":3}\n");
}

TEST(EventJsonTest, NoticesAndReceiptsCarryTheirItemIds) {
  ContactRequest request{Id(2), 10003, "dave", "it's me", 100};
  EXPECT_EQ(EventJson(request),
            "{\"event\":\"contact_request\",\"item_id\":"
            "\"02020202020202020202020202020202\",\"from_user_id\":10003,"
            "\"from\":\"dave\",\"text\":\"it's me\",\"sent_unix\":100,"
            "\"answered\":false}\n");
  ContactAnswered answer{Id(3), 10003, "dave", false, 200};
  EXPECT_EQ(EventJson(answer),
            "{\"event\":\"contact_answered\",\"item_id\":"
            "\"03030303030303030303030303030303\",\"user_id\":10003,"
            "\"user\":\"dave\",\"accepted\":false,\"answered_unix\":200}\n");
  DeliveryReceipt receipt{Id(4), Id(5), 10001, "bob", 300};
  EXPECT_EQ(EventJson(receipt),
            "{\"event\":\"delivery_receipt\",\"item_id\":"
            "\"04040404040404040404040404040404\",\"message_id\":"
            "\"05050505050505050505050505050505\",\"recipient_id\":10001,"
            "\"recipient\":\"bob\",\"delivered_unix\":300}\n");
}

TEST(EventJsonTest, ReconnectionEvents) {
  EXPECT_EQ(EventJson(Reconnecting{2, 1000, "the connection was lost"}),
            "{\"event\":\"reconnecting\",\"attempt\":2,\"delay_ms\":1000,"
            "\"reason\":\"the connection was lost\"}\n");
  Reconnected reconnected;
  reconnected.user_id = 10000;
  reconnected.username = "alice";
  reconnected.observed_endpoint = protocol::Endpoint::Ipv4(0x7f000001, 4000);
  reconnected.attempts = 3;
  reconnected.resent_messages = 2;
  reconnected.transport = TransportKind::kTcp;
  EXPECT_EQ(EventJson(reconnected),
            "{\"event\":\"reconnected\",\"user_id\":10000,\"username\":"
            "\"alice\",\"observed_endpoint\":\"127.0.0.1:4000\","
            "\"attempts\":3,\"resent_messages\":2,\"transport\":\"tcp\"}\n");
  EXPECT_EQ(EventJson(ReconnectFailed{"token refused",
                                      protocol::ErrorCode::kTokenInvalid}),
            "{\"event\":\"reconnect_failed\",\"reason\":\"token refused\","
            "\"error\":\"TOKEN_INVALID\"}\n");
}

// Issue 10, point 6: what a connecting client waits for.
TEST(EventJsonTest, ConnectProgressSaysTheStepAndAttempt) {
  EXPECT_EQ(EventJson(ConnectProgress{ConnectProgress::Step::kCookie, 2, ""}),
            "{\"event\":\"connect_progress\",\"step\":\"cookie\","
            "\"attempt\":2}\n");
  EXPECT_EQ(EventJson(ConnectProgress{ConnectProgress::Step::kEnet, 3,
                                      "no SERVER_HELLO within 2 s"}),
            "{\"event\":\"connect_progress\",\"step\":\"enet\","
            "\"attempt\":3,\"reason\":\"no SERVER_HELLO within 2 s\"}\n");
}

TEST(EventJsonTest, UnknownWireValuesAreNamedNotDropped) {
  EXPECT_EQ(EventJson(PresenceChanged{1, "x",
                                      static_cast<protocol::Presence>(9), ""}),
            "{\"event\":\"presence_changed\",\"user_id\":1,\"username\":\"x\","
            "\"presence\":\"unknown(9)\",\"status\":\"\"}\n");
  EXPECT_EQ(EventJson(SessionEnded{static_cast<protocol::ErrorCode>(999)}),
            "{\"event\":\"session_ended\",\"reason\":\"unknown(999)\"}\n");
}

TEST(EventJsonTest, EveryEventHasItsOwnName) {
  std::set<std::string_view> names;
  // Visit every alternative by index.
  [&]<size_t... I>(std::index_sequence<I...>) {
    (names.insert(EventJsonName(Event(std::in_place_index<I>))), ...);
  }
  (std::make_index_sequence<std::variant_size_v<Event>>());
  EXPECT_EQ(names.size(), std::variant_size_v<Event>);
}

}  // namespace
}  // namespace hail::client
