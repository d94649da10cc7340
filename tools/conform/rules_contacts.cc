// Rules of SPEC.md sections 8 (contacts) and 9 (presence).
#include "tools/conform/checks.h"

namespace hail::conform {
namespace {

using protocol::ErrorCode;
using protocol::Presence;
using protocol::Relation;

uint8_t R(Relation r) { return static_cast<uint8_t>(r); }
uint8_t P(Presence p) { return static_cast<uint8_t>(p); }

// Waits for a CONTACT_UPDATE about `user_id` with `relation`.
Outcome ExpectUpdate(WireClient& c, uint64_t user_id, Relation relation,
                     int timeout_ms, const std::string& who) {
  auto update = c.Wait<protocol::ContactUpdate>(
      timeout_ms, [user_id](const protocol::ContactUpdate& u) {
        return u.user_id == user_id;
      });
  if (!update || update->relation != R(relation)) {
    return Fail("{} expected CONTACT_UPDATE{{user {}, relation {}}}, saw {}",
                who, user_id, R(relation), update ? Show(*update) : Seen(c));
  }
  return Pass();
}

Outcome ExpectPresence(WireClient& c, uint64_t user_id, Presence presence,
                       int timeout_ms, const std::string& who,
                       const std::string& status = "") {
  auto update = c.Wait<protocol::PresenceUpdate>(
      timeout_ms, [user_id](const protocol::PresenceUpdate& u) {
        return u.user_id == user_id;
      });
  if (!update || update->presence != P(presence) ||
      update->status_text != status) {
    return Fail(
        "{} expected PRESENCE_UPDATE{{user {}, presence {}, \"{}\"}}, saw {}",
        who, user_id, P(presence), status, update ? Show(*update) : Seen(c));
  }
  return Pass();
}

struct Two {
  Account a, b;
  std::unique_ptr<WireClient> ca, cb;
};

Result<Two> TwoStrangers(Context& ctx) {
  Two two;
  auto a = ctx.NewAccount("a");
  if (!a.ok()) return a.status();
  auto b = ctx.NewAccount("b");
  if (!b.ok()) return b.status();
  two.a = *a;
  two.b = *b;
  auto ca = ctx.LogIn(two.a);
  if (!ca.ok()) return ca.status();
  auto cb = ctx.LogIn(two.b);
  if (!cb.ok()) return cb.status();
  two.ca = std::move(*ca);
  two.cb = std::move(*cb);
  return two;
}

}  // namespace

HAIL_RULE(
    "8.3", "adding-an-unknown-user-is-user-not-found",
    "CONTACT_ADD of a name nobody has gets REQUEST_RESULT{USER_NOT_FOUND}") {
  auto account = ctx.NewAccount();
  HAIL_REQUIRE_OK(account);
  auto c = ctx.LogIn(*account);
  HAIL_REQUIRE_OK(c);
  (*c)->Send(protocol::ContactAdd{41, ctx.FreshName("ghost"), ""});
  return ExpectResult(**c, 41, ErrorCode::kUserNotFound, ctx.timeout_ms());
}

HAIL_RULE("8.3", "adding-oneself-is-not-allowed",
          "CONTACT_ADD of one's own name gets REQUEST_RESULT{NOT_ALLOWED}") {
  auto account = ctx.NewAccount();
  HAIL_REQUIRE_OK(account);
  auto c = ctx.LogIn(*account);
  HAIL_REQUIRE_OK(c);
  (*c)->Send(protocol::ContactAdd{42, account->name, ""});
  return ExpectResult(**c, 42, ErrorCode::kNotAllowed, ctx.timeout_ms());
}

HAIL_RULE("8.3", "request-makes-requested-and-pending-with-the-note",
          "CONTACT_ADD: the asker gets OK then CONTACT_UPDATE{REQUESTED}; the "
          "asked gets CONTACT_UPDATE{PENDING} and a notice with the note") {
  auto two = TwoStrangers(ctx);
  HAIL_REQUIRE_OK(two);
  two->ca->Send(
      protocol::ContactAdd{43, two->b.name, "may I add you? \xc3\xa9"});
  HAIL_CHECK(ExpectResult(*two->ca, 43, ErrorCode::kOk, ctx.timeout_ms()));
  HAIL_CHECK(ExpectUpdate(*two->ca, two->b.user_id, Relation::kRequested,
                          ctx.timeout_ms(), "the asker"));
  HAIL_CHECK(ExpectUpdate(*two->cb, two->a.user_id, Relation::kPending,
                          ctx.timeout_ms(), "the asked"));
  auto notice = two->cb->Wait<protocol::ContactRequestNotice>(ctx.timeout_ms());
  if (!notice || notice->from_user_id != two->a.user_id ||
      notice->text != "may I add you? \xc3\xa9") {
    return Fail("expected CONTACT_REQUEST_NOTICE from {} with the note, saw {}",
                two->a.name, notice ? Show(*notice) : Seen(*two->cb));
  }
  return Pass();
}

HAIL_RULE("8.2", "repeated-request-changes-nothing",
          "a second CONTACT_ADD is answered OK and sends no CONTACT_UPDATE") {
  auto two = TwoStrangers(ctx);
  HAIL_REQUIRE_OK(two);
  two->ca->Send(protocol::ContactAdd{44, two->b.name, ""});
  HAIL_CHECK(ExpectResult(*two->ca, 44, ErrorCode::kOk, ctx.timeout_ms()));
  two->ca->Drain(300);
  two->ca->ClearKept();
  two->ca->Send(protocol::ContactAdd{45, two->b.name, ""});
  HAIL_CHECK(ExpectResult(*two->ca, 45, ErrorCode::kOk, ctx.timeout_ms()));
  two->ca->Drain(500);
  if (!two->ca->TakeAll<protocol::ContactUpdate>().empty()) {
    return Fail("a CONTACT_ADD that changed nothing sent a CONTACT_UPDATE");
  }
  return Pass();
}

HAIL_RULE("8.3", "crossed-requests-make-both-accepted",
          "B's CONTACT_ADD to A, who asked B, makes both ACCEPTED and A gets "
          "CONTACT_ANSWER_NOTICE{accepted 1}") {
  auto two = TwoStrangers(ctx);
  HAIL_REQUIRE_OK(two);
  two->ca->Send(protocol::ContactAdd{46, two->b.name, ""});
  HAIL_CHECK(ExpectResult(*two->ca, 46, ErrorCode::kOk, ctx.timeout_ms()));
  HAIL_CHECK(ExpectUpdate(*two->cb, two->a.user_id, Relation::kPending,
                          ctx.timeout_ms(), "B"));
  two->cb->Send(protocol::ContactAdd{47, two->a.name, ""});
  HAIL_CHECK(ExpectResult(*two->cb, 47, ErrorCode::kOk, ctx.timeout_ms()));
  HAIL_CHECK(ExpectUpdate(*two->cb, two->a.user_id, Relation::kAccepted,
                          ctx.timeout_ms(), "B"));
  HAIL_CHECK(ExpectUpdate(*two->ca, two->b.user_id, Relation::kRequested,
                          ctx.timeout_ms(), "A (its own request)"));
  HAIL_CHECK(ExpectUpdate(*two->ca, two->b.user_id, Relation::kAccepted,
                          ctx.timeout_ms(), "A"));
  auto notice = two->ca->Wait<protocol::ContactAnswerNotice>(ctx.timeout_ms());
  if (!notice || notice->accepted != 1 || notice->user_id != two->b.user_id) {
    return Fail("A expected CONTACT_ANSWER_NOTICE{{accepted 1}}, saw {}",
                notice ? Show(*notice) : Seen(*two->ca));
  }
  return Pass();
}

HAIL_RULE("8.4", "answer-without-a-request-is-no-such-request",
          "CONTACT_ANSWER for someone who never asked gets NO_SUCH_REQUEST") {
  auto two = TwoStrangers(ctx);
  HAIL_REQUIRE_OK(two);
  two->ca->Send(protocol::ContactAnswer{48, two->b.name, 1});
  return ExpectResult(*two->ca, 48, ErrorCode::kNoSuchRequest,
                      ctx.timeout_ms());
}

HAIL_RULE(
    "8.4", "accepting-makes-both-accepted-and-tells-the-asker",
    "CONTACT_ANSWER{accept}: both get CONTACT_UPDATE{ACCEPTED}, the asker a "
    "CONTACT_ANSWER_NOTICE{accepted 1}") {
  auto two = TwoStrangers(ctx);
  HAIL_REQUIRE_OK(two);
  two->ca->Send(protocol::ContactAdd{49, two->b.name, ""});
  HAIL_CHECK(ExpectResult(*two->ca, 49, ErrorCode::kOk, ctx.timeout_ms()));
  HAIL_CHECK(ExpectUpdate(*two->cb, two->a.user_id, Relation::kPending,
                          ctx.timeout_ms(), "B"));
  two->cb->Send(protocol::ContactAnswer{50, two->a.name, 1});
  HAIL_CHECK(ExpectResult(*two->cb, 50, ErrorCode::kOk, ctx.timeout_ms()));
  HAIL_CHECK(ExpectUpdate(*two->cb, two->a.user_id, Relation::kAccepted,
                          ctx.timeout_ms(), "the answerer"));
  HAIL_CHECK(ExpectUpdate(*two->ca, two->b.user_id, Relation::kRequested,
                          ctx.timeout_ms(), "the asker (its request)"));
  HAIL_CHECK(ExpectUpdate(*two->ca, two->b.user_id, Relation::kAccepted,
                          ctx.timeout_ms(), "the asker"));
  auto notice = two->ca->Wait<protocol::ContactAnswerNotice>(ctx.timeout_ms());
  if (!notice || notice->accepted != 1) {
    return Fail(
        "the asker expected CONTACT_ANSWER_NOTICE{{accepted 1}}, saw {}",
        notice ? Show(*notice) : Seen(*two->ca));
  }
  return Pass();
}

HAIL_RULE("8.4", "accepting-shows-the-answerer-the-askers-presence",
          "on accept, the answerer gets the asker's PRESENCE_UPDATE{ONLINE}") {
  auto two = TwoStrangers(ctx);
  HAIL_REQUIRE_OK(two);
  two->ca->Send(protocol::ContactAdd{51, two->b.name, ""});
  HAIL_CHECK(ExpectResult(*two->ca, 51, ErrorCode::kOk, ctx.timeout_ms()));
  HAIL_CHECK(ExpectUpdate(*two->cb, two->a.user_id, Relation::kPending,
                          ctx.timeout_ms(), "B"));
  two->cb->Send(protocol::ContactAnswer{52, two->a.name, 1});
  return ExpectPresence(*two->cb, two->a.user_id, Presence::kOnline,
                        ctx.timeout_ms(), "the answerer");
}

HAIL_RULE("8.4", "accepting-shows-the-asker-the-answerers-presence",
          "on accept, the asker gets the answerer's PRESENCE_UPDATE with its "
          "status text, right after its CONTACT_UPDATE{ACCEPTED}") {
  auto two = TwoStrangers(ctx);
  HAIL_REQUIRE_OK(two);
  two->cb->Send(protocol::SetPresence{67, P(Presence::kBusy), "in a meeting"});
  HAIL_CHECK(ExpectResult(*two->cb, 67, ErrorCode::kOk, ctx.timeout_ms()));
  two->ca->Send(protocol::ContactAdd{68, two->b.name, ""});
  HAIL_CHECK(ExpectResult(*two->ca, 68, ErrorCode::kOk, ctx.timeout_ms()));
  HAIL_CHECK(ExpectUpdate(*two->cb, two->a.user_id, Relation::kPending,
                          ctx.timeout_ms(), "B"));
  two->cb->Send(protocol::ContactAnswer{69, two->a.name, 1});
  HAIL_CHECK(ExpectUpdate(*two->ca, two->b.user_id, Relation::kRequested,
                          ctx.timeout_ms(), "the asker (its request)"));
  HAIL_CHECK(ExpectUpdate(*two->ca, two->b.user_id, Relation::kAccepted,
                          ctx.timeout_ms(), "the asker"));
  return ExpectPresence(*two->ca, two->b.user_id, Presence::kBusy,
                        ctx.timeout_ms(), "the asker", "in a meeting");
}

HAIL_RULE("8.4", "denying-removes-both-entries",
          "CONTACT_ANSWER{deny}: both get CONTACT_UPDATE{NONE}, the asker a "
          "CONTACT_ANSWER_NOTICE{accepted 0}") {
  auto two = TwoStrangers(ctx);
  HAIL_REQUIRE_OK(two);
  two->ca->Send(protocol::ContactAdd{53, two->b.name, ""});
  HAIL_CHECK(ExpectResult(*two->ca, 53, ErrorCode::kOk, ctx.timeout_ms()));
  HAIL_CHECK(ExpectUpdate(*two->cb, two->a.user_id, Relation::kPending,
                          ctx.timeout_ms(), "B"));
  two->cb->Send(protocol::ContactAnswer{54, two->a.name, 0});
  HAIL_CHECK(ExpectResult(*two->cb, 54, ErrorCode::kOk, ctx.timeout_ms()));
  HAIL_CHECK(ExpectUpdate(*two->cb, two->a.user_id, Relation::kNone,
                          ctx.timeout_ms(), "the answerer"));
  HAIL_CHECK(ExpectUpdate(*two->ca, two->b.user_id, Relation::kRequested,
                          ctx.timeout_ms(), "the asker (its request)"));
  HAIL_CHECK(ExpectUpdate(*two->ca, two->b.user_id, Relation::kNone,
                          ctx.timeout_ms(), "the asker"));
  auto notice = two->ca->Wait<protocol::ContactAnswerNotice>(ctx.timeout_ms());
  if (!notice || notice->accepted != 0) {
    return Fail(
        "the asker expected CONTACT_ANSWER_NOTICE{{accepted 0}}, saw {}",
        notice ? Show(*notice) : Seen(*two->ca));
  }
  return Pass();
}

HAIL_RULE(
    "8.5", "removing-a-contact-ends-it-on-both-sides",
    "CONTACT_REMOVE of an accepted contact: both get CONTACT_UPDATE{NONE} "
    "with presence OFFLINE; removing again is NOT_A_CONTACT") {
  auto pair = ctx.Contacts();
  HAIL_REQUIRE_OK(pair);
  pair->ca->Send(protocol::ContactRemove{55, pair->b.name});
  HAIL_CHECK(ExpectResult(*pair->ca, 55, ErrorCode::kOk, ctx.timeout_ms()));
  HAIL_CHECK(ExpectUpdate(*pair->ca, pair->b.user_id, Relation::kNone,
                          ctx.timeout_ms(), "the remover"));
  auto update = pair->cb->Wait<protocol::ContactUpdate>(ctx.timeout_ms());
  if (!update || update->relation != R(Relation::kNone) ||
      update->presence != P(Presence::kOffline)) {
    return Fail("the removed expected CONTACT_UPDATE{{NONE, OFFLINE}}, saw {}",
                update ? Show(*update) : Seen(*pair->cb));
  }
  pair->ca->Send(protocol::ContactRemove{56, pair->b.name});
  return ExpectResult(*pair->ca, 56, ErrorCode::kNotAContact, ctx.timeout_ms());
}

HAIL_RULE(
    "8.6", "blocking-tells-the-blocked-nothing-but-offline",
    "CONTACT_BLOCK: the blocker gets CONTACT_UPDATE{BLOCKED}; the blocked "
    "gets PRESENCE_UPDATE{OFFLINE} and no CONTACT_UPDATE") {
  auto pair = ctx.Contacts();
  HAIL_REQUIRE_OK(pair);
  pair->ca->Send(protocol::ContactBlock{57, pair->b.name, 1});
  HAIL_CHECK(ExpectResult(*pair->ca, 57, ErrorCode::kOk, ctx.timeout_ms()));
  HAIL_CHECK(ExpectUpdate(*pair->ca, pair->b.user_id, Relation::kBlocked,
                          ctx.timeout_ms(), "the blocker"));
  HAIL_CHECK(ExpectPresence(*pair->cb, pair->a.user_id, Presence::kOffline,
                            ctx.timeout_ms(), "the blocked"));
  pair->cb->Drain(500);
  if (!pair->cb->TakeAll<protocol::ContactUpdate>().empty()) {
    return Fail("the blocked user got a CONTACT_UPDATE");
  }
  return Pass();
}

HAIL_RULE("8.6", "request-to-a-blocker-reaches-nobody",
          "after B blocks A, A's CONTACT_ADD gets OK and REQUESTED, and B gets "
          "neither an update nor a notice") {
  auto two = TwoStrangers(ctx);
  HAIL_REQUIRE_OK(two);
  two->cb->Send(protocol::ContactBlock{58, two->a.name, 1});
  HAIL_CHECK(ExpectResult(*two->cb, 58, ErrorCode::kOk, ctx.timeout_ms()));
  HAIL_CHECK(ExpectUpdate(*two->cb, two->a.user_id, Relation::kBlocked,
                          ctx.timeout_ms(), "the blocker"));
  two->ca->Send(protocol::ContactAdd{59, two->b.name, "hello?"});
  HAIL_CHECK(ExpectResult(*two->ca, 59, ErrorCode::kOk, ctx.timeout_ms()));
  HAIL_CHECK(ExpectUpdate(*two->ca, two->b.user_id, Relation::kRequested,
                          ctx.timeout_ms(), "the asker"));
  two->cb->Drain(500);
  if (!two->cb->kept().empty()) {
    return Fail("the blocker was told: {}", Seen(*two->cb));
  }
  return Pass();
}

HAIL_RULE("8.7", "list-request-lists-every-entry-and-counts-them",
          "CONTACT_LIST_REQUEST gets one CONTACT_UPDATE per entry, then "
          "CONTACT_LIST_END{request_id, count}") {
  auto pair = ctx.Contacts();
  HAIL_REQUIRE_OK(pair);
  pair->ca->Send(protocol::ContactListRequest{60});
  auto end = pair->ca->Wait<protocol::ContactListEnd>(ctx.timeout_ms());
  if (!end || end->request_id != 60) {
    return Fail("expected CONTACT_LIST_END{{60}}, saw {}",
                end ? Show(*end) : Seen(*pair->ca));
  }
  auto updates = pair->ca->TakeAll<protocol::ContactUpdate>();
  if (end->count != updates.size() || updates.size() != 1 ||
      updates[0].user_id != pair->b.user_id ||
      updates[0].relation != R(Relation::kAccepted) ||
      updates[0].presence != P(Presence::kOnline)) {
    return Fail(
        "expected one CONTACT_UPDATE{{{}, ACCEPTED, ONLINE}} and count 1; "
        "got {} updates, count {}",
        pair->b.name, updates.size(), end->count);
  }
  return Pass();
}

HAIL_RULE(
    "8.8", "login-sends-the-list-before-its-end",
    "a login's CONTACT_UPDATEs come before CONTACT_LIST_END{0, count} with "
    "the right count") {
  auto pair = ctx.Contacts();
  HAIL_REQUIRE_OK(pair);
  pair->cb->Close();
  auto again = ctx.StartLogin(pair->b);
  if (!again.ok()) return Fail("RESUME: {}", again.status().message());
  int updates = 0;
  for (;;) {
    auto r = (*again)->Next(ctx.timeout_ms());
    if (!r) return Fail("no CONTACT_LIST_END after {} updates", updates);
    if (std::holds_alternative<protocol::ContactUpdate>(r->message)) {
      ++updates;
    } else if (auto* end = std::get_if<protocol::ContactListEnd>(&r->message)) {
      if (end->request_id != 0 || end->count != 1 || updates != 1) {
        return Fail(
            "{} after {} CONTACT_UPDATEs (expected request_id 0, "
            "count 1, one update)",
            Show(*end), updates);
      }
      return Pass();
    } else if (r->channel == protocol::kChannelControl &&
               !std::holds_alternative<protocol::PresenceUpdate>(r->message)) {
      return Fail("{} came inside the contact list", Show(r->message));
    }
  }
}

HAIL_RULE(
    "9.2", "contacts-see-login-and-logout",
    "an accepted contact gets PRESENCE_UPDATE{ONLINE} at the other's login "
    "and {OFFLINE} when it disconnects") {
  auto pair = ctx.Contacts();
  HAIL_REQUIRE_OK(pair);
  pair->cb->Close();
  HAIL_CHECK(ExpectPresence(*pair->ca, pair->b.user_id, Presence::kOffline,
                            ctx.timeout_ms(), "A"));
  auto again = ctx.LogIn(pair->b);
  HAIL_REQUIRE_OK(again);
  return ExpectPresence(*pair->ca, pair->b.user_id, Presence::kOnline,
                        ctx.timeout_ms(), "A");
}

HAIL_RULE(
    "9.3", "set-presence-reaches-contacts-with-its-status",
    "SET_PRESENCE{AWAY, text} gets OK and contacts get PRESENCE_UPDATE{AWAY, "
    "text}") {
  auto pair = ctx.Contacts();
  HAIL_REQUIRE_OK(pair);
  pair->ca->Send(protocol::SetPresence{62, P(Presence::kAway), "lunch"});
  HAIL_CHECK(ExpectResult(*pair->ca, 62, ErrorCode::kOk, ctx.timeout_ms()));
  return ExpectPresence(*pair->cb, pair->a.user_id, Presence::kAway,
                        ctx.timeout_ms(), "B", "lunch");
}

HAIL_RULE(
    "9.1", "invisible-is-seen-as-offline",
    "SET_PRESENCE{INVISIBLE} shows contacts OFFLINE with no status text") {
  auto pair = ctx.Contacts();
  HAIL_REQUIRE_OK(pair);
  pair->ca->Send(protocol::SetPresence{63, P(Presence::kInvisible), "secret"});
  HAIL_CHECK(ExpectResult(*pair->ca, 63, ErrorCode::kOk, ctx.timeout_ms()));
  auto update = pair->cb->Wait<protocol::PresenceUpdate>(ctx.timeout_ms());
  if (!update || update->presence != P(Presence::kOffline)) {
    return Fail("B expected PRESENCE_UPDATE{{OFFLINE}}, saw {}",
                update ? Show(*update) : Seen(*pair->cb));
  }
  if (!update->status_text.empty()) {
    return Fail("an invisible user's status text leaked: {}", Show(*update));
  }
  return Pass();
}

HAIL_RULE("9.3", "offline-cannot-be-set",
          "SET_PRESENCE{OFFLINE} gets REQUEST_RESULT{INVALID_TEXT}") {
  auto account = ctx.NewAccount();
  HAIL_REQUIRE_OK(account);
  auto c = ctx.LogIn(*account);
  HAIL_REQUIRE_OK(c);
  (*c)->Send(protocol::SetPresence{64, P(Presence::kOffline), ""});
  return ExpectResult(**c, 64, ErrorCode::kInvalidText, ctx.timeout_ms());
}

HAIL_RULE(
    "9.2", "strangers-see-no-presence",
    "a user who only asked gets no PRESENCE_UPDATE when the asked changes "
    "presence") {
  auto two = TwoStrangers(ctx);
  HAIL_REQUIRE_OK(two);
  two->ca->Send(protocol::ContactAdd{65, two->b.name, ""});
  HAIL_CHECK(ExpectResult(*two->ca, 65, ErrorCode::kOk, ctx.timeout_ms()));
  two->cb->Send(protocol::SetPresence{66, P(Presence::kBusy), "busy"});
  HAIL_CHECK(ExpectResult(*two->cb, 66, ErrorCode::kOk, ctx.timeout_ms()));
  two->ca->Drain(500);
  if (!two->ca->TakeAll<protocol::PresenceUpdate>().empty()) {
    return Fail("a user whose request is pending saw the other's presence");
  }
  return Pass();
}

}  // namespace hail::conform
