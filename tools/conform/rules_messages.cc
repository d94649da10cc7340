// Rules of SPEC.md section 10: live and stored messages, duplicates, order,
// receipts, quotas, blocked senders.
#include "tools/conform/checks.h"

namespace hail::conform {
namespace {

using protocol::ErrorCode;
using protocol::ItemId;
using protocol::Route;

uint8_t Rt(Route r) { return static_cast<uint8_t>(r); }

std::optional<protocol::MessageAccepted> SendAndWait(
    Context& ctx, WireClient& c, const ItemId& id, const std::string& to,
    const std::string& text, int timeout_ms) {
  c.Send(protocol::SendMessage{id, to, 1764547200, text});
  return c.Wait<protocol::MessageAccepted>(
      timeout_ms,
      [&id](const protocol::MessageAccepted& a) { return a.message_id == id; });
  (void)ctx;
}

Outcome ExpectAccepted(const std::optional<protocol::MessageAccepted>& got,
                       ErrorCode error, std::optional<Route> route,
                       WireClient& c) {
  if (!got) {
    return Fail("no MESSAGE_ACCEPTED for the message; saw {}", Seen(c));
  }
  if (got->error != error || (route && got->route != Rt(*route))) {
    return Fail("expected MESSAGE_ACCEPTED{{{}{}}}, got {}",
                protocol::ErrorCodeName(error),
                route ? (*route == Route::kLive ? ", LIVE" : ", STORED") : "",
                Show(*got));
  }
  return Pass();
}

}  // namespace

HAIL_RULE(
    "10.4", "empty-text-is-invalid-text",
    "SEND_MESSAGE with an empty text gets MESSAGE_ACCEPTED{INVALID_TEXT}") {
  auto pair = ctx.Contacts();
  HAIL_REQUIRE_OK(pair);
  auto got = SendAndWait(ctx, *pair->ca, FreshMessageId(), pair->b.name, "",
                         ctx.timeout_ms());
  return ExpectAccepted(got, ErrorCode::kInvalidText, {}, *pair->ca);
}

HAIL_RULE(
    "10.4", "broken-utf8-is-invalid-text",
    "SEND_MESSAGE whose text is not UTF-8 gets INVALID_TEXT and route 0") {
  auto pair = ctx.Contacts();
  HAIL_REQUIRE_OK(pair);
  auto got = SendAndWait(ctx, *pair->ca, FreshMessageId(), pair->b.name,
                         "bad \xc3\x28 byte", ctx.timeout_ms());
  HAIL_CHECK(ExpectAccepted(got, ErrorCode::kInvalidText, {}, *pair->ca));
  if (got->route != 0 || got->seq != 0 || got->accepted_unix != 0) {
    return Fail("a refusal must carry route 0, seq 0, accepted_unix 0: {}",
                Show(*got));
  }
  return Pass();
}

HAIL_RULE(
    "10.4", "message-to-a-stranger-is-not-a-contact",
    "SEND_MESSAGE to an existing user who is not an accepted contact gets "
    "NOT_A_CONTACT") {
  auto a = ctx.NewAccount();
  HAIL_REQUIRE_OK(a);
  auto b = ctx.NewAccount();
  HAIL_REQUIRE_OK(b);
  auto c = ctx.LogIn(*a);
  HAIL_REQUIRE_OK(c);
  auto got =
      SendAndWait(ctx, **c, FreshMessageId(), b->name, "hi", ctx.timeout_ms());
  return ExpectAccepted(got, ErrorCode::kNotAContact, {}, **c);
}

HAIL_RULE("10.4", "message-to-nobody-is-user-not-found",
          "SEND_MESSAGE to a name nobody has gets USER_NOT_FOUND") {
  auto a = ctx.NewAccount();
  HAIL_REQUIRE_OK(a);
  auto c = ctx.LogIn(*a);
  HAIL_REQUIRE_OK(c);
  auto got = SendAndWait(ctx, **c, FreshMessageId(), ctx.FreshName("ghost"),
                         "hi", ctx.timeout_ms());
  return ExpectAccepted(got, ErrorCode::kUserNotFound, {}, **c);
}

HAIL_RULE(
    "10.6", "live-message-is-answered-live-after-the-ack-then-receipted",
    "to a logged-in contact: MESSAGE_DELIVER{from_mailbox 0}; after its "
    "ITEM_ACK the sender gets MESSAGE_ACCEPTED{LIVE}, then DELIVERY_RECEIPT") {
  auto pair = ctx.Contacts();
  HAIL_REQUIRE_OK(pair);
  const ItemId id = FreshMessageId();
  pair->ca->Send(
      protocol::SendMessage{id, pair->b.name, 1764547200, "live one"});
  auto deliver = pair->cb->Wait<protocol::MessageDeliver>(ctx.timeout_ms());
  if (!deliver || deliver->message_id != id || deliver->from_mailbox != 0 ||
      deliver->text != "live one" || deliver->sender_id != pair->a.user_id) {
    return Fail(
        "B expected MESSAGE_DELIVER{{from_mailbox 0, \"live one\"}}, saw {}",
        deliver ? Show(*deliver) : Seen(*pair->cb));
  }
  if (auto early = pair->ca->Wait<protocol::MessageAccepted>(200)) {
    return Fail("the sender was answered before the recipient's ITEM_ACK: {}",
                Show(*early));
  }
  pair->cb->Send(protocol::ItemAck{id, pair->a.user_id});
  auto accepted = pair->ca->Wait<protocol::MessageAccepted>(ctx.timeout_ms());
  HAIL_CHECK(ExpectAccepted(accepted, ErrorCode::kOk, Route::kLive, *pair->ca));
  if (accepted->seq != deliver->seq) {
    return Fail("MESSAGE_ACCEPTED seq {} differs from the delivered seq {}",
                accepted->seq, deliver->seq);
  }
  auto receipt = pair->ca->Wait<protocol::DeliveryReceipt>(ctx.timeout_ms());
  if (!receipt || receipt->message_id != id ||
      receipt->recipient_id != pair->b.user_id) {
    return Fail("the sender expected DELIVERY_RECEIPT for the message, saw {}",
                receipt ? Show(*receipt) : Seen(*pair->ca));
  }
  return Pass();
}

HAIL_RULE(
    "10.6", "unacknowledged-live-message-falls-back-to-stored",
    "a live MESSAGE_DELIVER not acknowledged within 3 s is answered STORED "
    "and comes again from the mailbox at the next login") {
  auto pair = ctx.Contacts();
  HAIL_REQUIRE_OK(pair);
  const ItemId id = FreshMessageId();
  pair->ca->Send(protocol::SendMessage{id, pair->b.name, 1764547200, "slow"});
  if (!pair->cb->Wait<protocol::MessageDeliver>(ctx.timeout_ms())) {
    return Fail("B got no MESSAGE_DELIVER; saw {}", Seen(*pair->cb));
  }
  auto accepted =
      pair->ca->Wait<protocol::MessageAccepted>(3000 + ctx.timeout_ms());
  HAIL_CHECK(
      ExpectAccepted(accepted, ErrorCode::kOk, Route::kStored, *pair->ca));
  pair->cb->Close();
  auto again = ctx.LogIn(pair->b);
  HAIL_REQUIRE_OK(again);
  for (const Received& r : (*again)->kept()) {
    auto* d = std::get_if<protocol::MessageDeliver>(&r.message);
    if (d && d->message_id == id) {
      if (d->from_mailbox != 1) {
        return Fail("from the mailbox it must say from_mailbox 1: {}",
                    Show(*d));
      }
      return Pass();
    }
  }
  return Fail("the fallen-back message did not come at the next login; saw {}",
              Seen(**again));
}

HAIL_RULE(
    "10.7", "message-stored-behind-a-pending-one-says-from-mailbox",
    "while a fallen-back message is unacknowledged, the next one is STORED "
    "and sent at once with from_mailbox 1") {
  auto pair = ctx.Contacts();
  HAIL_REQUIRE_OK(pair);
  const ItemId first = FreshMessageId();
  pair->ca->Send(protocol::SendMessage{first, pair->b.name, 1764547200, "one"});
  if (!pair->cb->Wait<protocol::MessageDeliver>(ctx.timeout_ms())) {
    return Fail("B got no MESSAGE_DELIVER; saw {}", Seen(*pair->cb));
  }
  auto fell_back =
      pair->ca->Wait<protocol::MessageAccepted>(3000 + ctx.timeout_ms());
  HAIL_CHECK(
      ExpectAccepted(fell_back, ErrorCode::kOk, Route::kStored, *pair->ca));
  const ItemId second = FreshMessageId();
  auto stored = SendAndWait(ctx, *pair->ca, second, pair->b.name, "two",
                            ctx.timeout_ms());
  HAIL_CHECK(ExpectAccepted(stored, ErrorCode::kOk, Route::kStored, *pair->ca));
  auto deliver = pair->cb->Wait<protocol::MessageDeliver>(
      ctx.timeout_ms(), [&second](const protocol::MessageDeliver& d) {
        return d.message_id == second;
      });
  if (!deliver || deliver->from_mailbox != 1) {
    return Fail(
        "the message stored behind a pending one: expected "
        "MESSAGE_DELIVER{{from_mailbox 1}}, saw {}",
        deliver ? Show(*deliver) : Seen(*pair->cb));
  }
  return Pass();
}

HAIL_RULE("10.6", "resend-of-a-pending-message-keeps-it-pending",
          "while the recipient holds a stored message unacknowledged, a resend "
          "of it changes nothing: the next message is still STORED behind it "
          "and arrives with from_mailbox 1") {
  auto pair = ctx.Contacts();
  HAIL_REQUIRE_OK(pair);
  pair->cb->Close();
  const ItemId first = FreshMessageId();
  auto stored = SendAndWait(ctx, *pair->ca, first, pair->b.name, "first",
                            ctx.timeout_ms());
  HAIL_CHECK(ExpectAccepted(stored, ErrorCode::kOk, Route::kStored, *pair->ca));
  auto b = ctx.LogIn(pair->b);  // gets "first" from its mailbox, never acks
  HAIL_REQUIRE_OK(b);
  auto again = SendAndWait(ctx, *pair->ca, first, pair->b.name, "first",
                           ctx.timeout_ms());
  HAIL_CHECK(ExpectAccepted(again, ErrorCode::kOk, Route::kStored, *pair->ca));
  const ItemId second = FreshMessageId();
  pair->ca->Send(
      protocol::SendMessage{second, pair->b.name, 1764547200, "second"});
  auto deliver = (*b)->Wait<protocol::MessageDeliver>(
      ctx.timeout_ms(), [&second](const protocol::MessageDeliver& d) {
        return d.message_id == second;
      });
  if (!deliver || deliver->from_mailbox != 1) {
    return Fail(
        "the message after the resend: expected MESSAGE_DELIVER"
        "{{from_mailbox 1}} (stored behind the pending one), saw {}",
        deliver ? Show(*deliver) : Seen(**b));
  }
  auto answer = pair->ca->Wait<protocol::MessageAccepted>(
      ctx.timeout_ms(), [&second](const protocol::MessageAccepted& a) {
        return a.message_id == second;
      });
  return ExpectAccepted(answer, ErrorCode::kOk, Route::kStored, *pair->ca);
}

HAIL_RULE(
    "10.5", "resend-of-an-undecided-live-message-shares-its-one-answer",
    "a resend while the live original waits for ITEM_ACK gets no answer of "
    "its own; after the ITEM_ACK exactly one MESSAGE_ACCEPTED{LIVE} comes") {
  auto pair = ctx.Contacts();
  HAIL_REQUIRE_OK(pair);
  const ItemId id = FreshMessageId();
  pair->ca->Send(protocol::SendMessage{id, pair->b.name, 1764547200, "same"});
  if (!pair->cb->Wait<protocol::MessageDeliver>(ctx.timeout_ms())) {
    return Fail("B got no MESSAGE_DELIVER; saw {}", Seen(*pair->cb));
  }
  pair->ca->Send(protocol::SendMessage{id, pair->b.name, 1764547200, "same"});
  if (auto early = pair->ca->Wait<protocol::MessageAccepted>(500)) {
    return Fail("answered before the recipient acknowledged: {}", Show(*early));
  }
  pair->cb->Send(protocol::ItemAck{id, pair->a.user_id});
  auto answer = pair->ca->Wait<protocol::MessageAccepted>(ctx.timeout_ms());
  HAIL_CHECK(ExpectAccepted(answer, ErrorCode::kOk, Route::kLive, *pair->ca));
  if (auto second = pair->ca->Wait<protocol::MessageAccepted>(1000)) {
    return Fail("one message id got a second answer: {}", Show(*second));
  }
  pair->cb->Drain(300);
  for (const auto& d : pair->cb->TakeAll<protocol::MessageDeliver>()) {
    if (d.message_id == id) return Fail("the resend was delivered again");
  }
  return Pass();
}

HAIL_RULE(
    "10.7", "stored-message-comes-at-login-before-mailbox-end",
    "a message to an offline contact is STORED; at its login the recipient "
    "gets it with from_mailbox 1 before MAILBOX_END{count}") {
  auto pair = ctx.Contacts();
  HAIL_REQUIRE_OK(pair);
  pair->cb->Close();
  pair->ca->Drain(300);
  const ItemId id = FreshMessageId();
  auto accepted = SendAndWait(ctx, *pair->ca, id, pair->b.name, "while away",
                              ctx.timeout_ms());
  HAIL_CHECK(
      ExpectAccepted(accepted, ErrorCode::kOk, Route::kStored, *pair->ca));
  auto c = ctx.StartLogin(pair->b);
  if (!c.ok()) return Fail("RESUME: {}", c.status().message());
  int items = 0;
  bool seen = false;
  for (;;) {
    auto r = (*c)->Next(ctx.timeout_ms());
    if (!r) return Fail("no MAILBOX_END after {} items", items);
    if (auto* d = std::get_if<protocol::MessageDeliver>(&r->message)) {
      ++items;
      if (d->message_id == id) {
        seen = true;
        if (d->from_mailbox != 1 || d->seq != accepted->seq ||
            d->accepted_unix != accepted->accepted_unix) {
          return Fail("stored message delivered as {} (accepted as {})",
                      Show(*d), Show(*accepted));
        }
      }
    } else if (auto* end = std::get_if<protocol::MailboxEnd>(&r->message)) {
      if (!seen) return Fail("MAILBOX_END came without the stored message");
      if (end->count != static_cast<uint32_t>(items)) {
        return Fail("MAILBOX_END{{count {}}} after {} items", end->count,
                    items);
      }
      return Pass();
    } else if (r->channel == protocol::kChannelMessaging) {
      ++items;
    }
  }
}

HAIL_RULE(
    "10.5", "resend-of-a-stored-message-gets-the-original-answer",
    "the same message_id, recipient and text sent again gets the original "
    "MESSAGE_ACCEPTED (route, seq, accepted_unix) and is stored once") {
  auto pair = ctx.Contacts();
  HAIL_REQUIRE_OK(pair);
  pair->cb->Close();
  const ItemId id = FreshMessageId();
  auto first =
      SendAndWait(ctx, *pair->ca, id, pair->b.name, "once", ctx.timeout_ms());
  HAIL_CHECK(ExpectAccepted(first, ErrorCode::kOk, Route::kStored, *pair->ca));
  auto second =
      SendAndWait(ctx, *pair->ca, id, pair->b.name, "once", ctx.timeout_ms());
  HAIL_CHECK(ExpectAccepted(second, ErrorCode::kOk, Route::kStored, *pair->ca));
  if (second->seq != first->seq ||
      second->accepted_unix != first->accepted_unix) {
    return Fail("the resend got {}, the original {}", Show(*second),
                Show(*first));
  }
  auto again = ctx.LogIn(pair->b);
  HAIL_REQUIRE_OK(again);
  int copies = 0;
  for (const Received& r : (*again)->kept()) {
    auto* d = std::get_if<protocol::MessageDeliver>(&r.message);
    copies += d && d->message_id == id;
  }
  if (copies != 1) return Fail("the recipient got {} copies", copies);
  return Pass();
}

HAIL_RULE("10.5", "reused-id-with-another-text-is-id-reused",
          "the same message_id with another text gets ID_REUSED") {
  auto pair = ctx.Contacts();
  HAIL_REQUIRE_OK(pair);
  pair->cb->Close();
  const ItemId id = FreshMessageId();
  auto first =
      SendAndWait(ctx, *pair->ca, id, pair->b.name, "one", ctx.timeout_ms());
  HAIL_CHECK(ExpectAccepted(first, ErrorCode::kOk, Route::kStored, *pair->ca));
  auto second =
      SendAndWait(ctx, *pair->ca, id, pair->b.name, "two", ctx.timeout_ms());
  return ExpectAccepted(second, ErrorCode::kIdReused, {}, *pair->ca);
}

HAIL_RULE(
    "10.8", "stored-messages-arrive-in-seq-order",
    "five messages stored for an offline contact arrive in the order sent, "
    "with increasing seq") {
  auto pair = ctx.Contacts();
  HAIL_REQUIRE_OK(pair);
  pair->cb->Close();
  std::vector<ItemId> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(FreshMessageId());
    pair->ca->Send(protocol::SendMessage{ids.back(), pair->b.name, 1764547200,
                                         fmt::format("n{}", i)});
  }
  for (int i = 0; i < 5; ++i) {
    auto a = pair->ca->Wait<protocol::MessageAccepted>(ctx.timeout_ms());
    HAIL_CHECK(ExpectAccepted(a, ErrorCode::kOk, Route::kStored, *pair->ca));
  }
  auto again = ctx.LogIn(pair->b);
  HAIL_REQUIRE_OK(again);
  std::vector<protocol::MessageDeliver> got =
      (*again)->TakeAll<protocol::MessageDeliver>();
  if (got.size() != 5) return Fail("{} of 5 messages arrived", got.size());
  for (size_t i = 0; i < 5; ++i) {
    if (got[i].message_id != ids[i] ||
        (i > 0 && got[i].seq <= got[i - 1].seq)) {
      return Fail("message {} arrived as {}", i, Show(got[i]));
    }
  }
  return Pass();
}

HAIL_RULE("10.7", "unacknowledged-item-comes-again-at-the-next-login",
          "a mailbox item never acknowledged comes again at the next login") {
  auto pair = ctx.Contacts();
  HAIL_REQUIRE_OK(pair);
  pair->cb->Close();
  const ItemId id = FreshMessageId();
  auto a =
      SendAndWait(ctx, *pair->ca, id, pair->b.name, "twice", ctx.timeout_ms());
  HAIL_CHECK(ExpectAccepted(a, ErrorCode::kOk, Route::kStored, *pair->ca));
  for (int login = 1; login <= 2; ++login) {
    auto c = ctx.LogIn(pair->b);
    HAIL_REQUIRE_OK(c);
    bool found = false;
    for (const auto& d : (*c)->TakeAll<protocol::MessageDeliver>()) {
      found |= d.message_id == id;
    }
    if (!found)
      return Fail("login {} did not bring the unacknowledged item", login);
  }
  return Pass();
}

HAIL_RULE(
    "10.11", "message-to-a-blocker-looks-stored-and-is-never-delivered",
    "after B blocks A, A's message is answered STORED and B never gets it") {
  auto pair = ctx.Contacts();
  HAIL_REQUIRE_OK(pair);
  pair->cb->Send(protocol::ContactBlock{71, pair->a.name, 1});
  HAIL_CHECK(ExpectResult(*pair->cb, 71, ErrorCode::kOk, ctx.timeout_ms()));
  pair->ca->Drain(300);
  const ItemId id = FreshMessageId();
  auto a = SendAndWait(ctx, *pair->ca, id, pair->b.name, "blocked",
                       ctx.timeout_ms());
  HAIL_CHECK(ExpectAccepted(a, ErrorCode::kOk, Route::kStored, *pair->ca));
  pair->cb->Drain(500);
  if (!pair->cb->TakeAll<protocol::MessageDeliver>().empty()) {
    return Fail("the blocker received the blocked user's message");
  }
  pair->cb->Close();
  auto again = ctx.LogIn(pair->b);
  HAIL_REQUIRE_OK(again);
  if (!(*again)->TakeAll<protocol::MessageDeliver>().empty()) {
    return Fail("the blocker got the message at its next login");
  }
  return Pass();
}

HAIL_RULE(
    "10.10", "two-hundred-first-stored-message-is-mailbox-full",
    "one sender's 201st stored message to one mailbox gets MAILBOX_FULL") {
  auto pair = ctx.Contacts();
  HAIL_REQUIRE_OK(pair);
  pair->cb->Close();
  pair->ca->Drain(300);
  pair->ca->ClearKept();
  for (int i = 0; i < 200; ++i) {
    pair->ca->Send(protocol::SendMessage{FreshMessageId(), pair->b.name,
                                         1764547200, fmt::format("m{}", i)});
  }
  for (int i = 0; i < 200; ++i) {
    auto a = pair->ca->Wait<protocol::MessageAccepted>(ctx.timeout_ms() * 4);
    HAIL_CHECK(ExpectAccepted(a, ErrorCode::kOk, Route::kStored, *pair->ca));
  }
  auto last = SendAndWait(ctx, *pair->ca, FreshMessageId(), pair->b.name,
                          "one too many", ctx.timeout_ms());
  return ExpectAccepted(last, ErrorCode::kMailboxFull, {}, *pair->ca);
}

HAIL_RULE(
    "8.8", "message-sent-right-after-login-result-reaches-the-contact",
    "a SEND_MESSAGE sent right after LOGIN_RESULT{OK}, before the login "
    "sequence ends, is judged with the user's contacts (not NOT_A_CONTACT)") {
  auto pair = ctx.Contacts();
  HAIL_REQUIRE_OK(pair);
  pair->ca->Close();
  auto c = ctx.StartLogin(pair->a);
  if (!c.ok()) return Fail("RESUME: {}", c.status().message());
  const ItemId id = FreshMessageId();
  (*c)->Send(protocol::SendMessage{id, pair->b.name, 1764547200, "quick"});
  auto deliver = pair->cb->Wait<protocol::MessageDeliver>(ctx.timeout_ms());
  if (deliver) pair->cb->Send(protocol::ItemAck{id, pair->a.user_id});
  auto accepted = (*c)->Wait<protocol::MessageAccepted>(ctx.timeout_ms());
  return ExpectAccepted(accepted, ErrorCode::kOk, {}, **c);
}

}  // namespace hail::conform
