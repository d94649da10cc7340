// The stored records' codecs (server/store_records.h) against SPEC.md 14.2:
// the spec's examples are what the encoders write, every field survives a
// round trip, and every damaged value (each shorter prefix, a trailing byte,
// an unknown version, kind, relation or route) is Corruption.
#include "server/store_records.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <string_view>

#include "protocol/byte_io.h"
#include "tests/support/spec_blocks.h"

namespace hail::server::store {
namespace {

using protocol::Bytes;
using protocol::ByteSpan;
using protocol::Endpoint;
using protocol::ItemId;
using protocol::Relation;
using protocol::Route;

constexpr uint64_t kAlice = 10000;
constexpr uint64_t kBob = 10001;
constexpr uint64_t kSince = 1700000000;  // 0x6553f100

// The bytes of SPEC.md's one ```hex NAME block, as a string.
std::string SpecExample(const std::string& name) {
  static const std::string spec = hail::testing::ReadSpec();
  std::string found;
  int count = 0;
  for (const hail::testing::SpecBlock& block :
       hail::testing::BlocksWithInfo(spec, "hex")) {
    if (block.name != name) continue;
    ++count;
    Bytes bytes;
    EXPECT_TRUE(protocol::FromHex(block.text, &bytes)) << name;
    found = ToString(bytes);
  }
  EXPECT_EQ(count, 1) << "SPEC.md needs exactly one ```hex " << name;
  return found;
}

std::string Hex(std::string_view bytes) {
  return protocol::ToHex(AsSpan(bytes));
}

ItemId FilledId(uint8_t fill) {
  ItemId id;
  id.fill(fill);
  return id;
}

// Every prefix of `encoded` shorter than itself, and `encoded` with one
// more byte, must be Corruption; `decode` returns the decoder's status.
void ExpectEveryPrefixAndTrailingByteRejected(
    const std::string& encoded,
    const std::function<Status(std::string_view)>& decode) {
  ASSERT_TRUE(decode(encoded).ok()) << "the full value must decode";
  for (size_t length = 0; length < encoded.size(); ++length) {
    EXPECT_EQ(decode(std::string_view(encoded).substr(0, length)).code(),
              Status::Code::kCorruption)
        << "prefix of " << length << " bytes";
  }
  for (char extra : {'\0', '\x01', '\xff'}) {
    EXPECT_EQ(decode(encoded + extra).code(), Status::Code::kCorruption)
        << "trailing byte " << static_cast<int>(static_cast<uint8_t>(extra));
  }
}

// --- user/ ---

UserRecord SpecUser() {
  UserRecord record;
  record.user_id = kAlice;
  record.username = "alice";
  record.password_hash = "$h";
  record.created_unix = 1;
  record.last_login.unix_time = 2;
  record.last_login.observed = *Endpoint::Parse("1.2.3.4:5");
  record.last_login.client_version = "v";
  return record;
}

UserRecord FullUser() {
  UserRecord record;
  record.user_id = 123456789012345ull;
  record.username = std::string(255, 'u');
  record.password_hash = "$argon2id$v=19$m=65536,t=2,p=1$salt$hash";
  record.created_unix = 0x0102030405060708ull;
  record.last_login.unix_time = 0xfffffffffffffffeull;
  record.last_login.observed = *Endpoint::Parse("[2001:db8::1]:443");
  record.last_login.lan = *Endpoint::Parse("192.168.1.2:5000");
  record.last_login.client_version = std::string(255, 'c');
  return record;
}

Status DecodeUser(std::string_view value) {
  return DecodeUserRecord(kAlice, AsSpan(value)).status();
}

TEST(StoreRecordsTest, UserRecordEncodingIsTheSpecExample) {
  EXPECT_EQ(Hex(ToString(EncodeUserRecord(SpecUser()))),
            Hex(SpecExample("USER_RECORD")));
  Result<UserRecord> decoded =
      DecodeUserRecord(kAlice, AsSpan(SpecExample("USER_RECORD")));
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  EXPECT_EQ(*decoded, SpecUser());
  EXPECT_TRUE(decoded->last_login.lan.empty());
}

TEST(StoreRecordsTest, UserRecordRoundTripsEveryField) {
  const UserRecord record = FullUser();
  Result<UserRecord> decoded =
      DecodeUserRecord(record.user_id, EncodeUserRecord(record));
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  EXPECT_EQ(decoded->user_id, record.user_id);
  EXPECT_EQ(decoded->username, record.username);
  EXPECT_EQ(decoded->password_hash, record.password_hash);
  EXPECT_EQ(decoded->created_unix, record.created_unix);
  EXPECT_EQ(decoded->last_login.unix_time, record.last_login.unix_time);
  EXPECT_EQ(decoded->last_login.observed, record.last_login.observed);
  EXPECT_EQ(decoded->last_login.lan, record.last_login.lan);
  EXPECT_EQ(decoded->last_login.client_version,
            record.last_login.client_version);
  EXPECT_EQ(*decoded, record);
}

TEST(StoreRecordsTest, TruncatedOrTrailingUserRecordIsRejected) {
  ExpectEveryPrefixAndTrailingByteRejected(
      ToString(EncodeUserRecord(FullUser())), DecodeUser);
  ExpectEveryPrefixAndTrailingByteRejected(SpecExample("USER_RECORD"),
                                           DecodeUser);
}

TEST(StoreRecordsTest, UserRecordOfAnotherVersionIsRejected) {
  std::string value = SpecExample("USER_RECORD");
  for (uint8_t version : {0, 2, 255}) {
    value[0] = static_cast<char>(version);
    EXPECT_EQ(DecodeUser(value).code(), Status::Code::kCorruption) << +version;
  }
}

TEST(StoreRecordsTest, UserRecordWithEmptyUsernameIsRejected) {
  UserRecord record = SpecUser();
  record.username.clear();
  EXPECT_EQ(DecodeUser(ToString(EncodeUserRecord(record))).code(),
            Status::Code::kCorruption);
}

TEST(StoreRecordsTest, UserRecordWithUnknownEndpointFamilyIsRejected) {
  std::string value = SpecExample("USER_RECORD");
  // version, "alice", "$h", two u64: the observed endpoint's family is next.
  const size_t family = 1 + 6 + 4 + 8 + 8;
  ASSERT_EQ(value[family], '\x04');
  value[family] = '\x05';
  EXPECT_EQ(DecodeUser(value).code(), Status::Code::kCorruption);
}

// --- token/ ---

TEST(StoreRecordsTest, TokenEntryEncodingIsTheSpecExample) {
  const TokenEntry entry{kAlice, kSince};
  EXPECT_EQ(Hex(EncodeTokenEntry(entry)), Hex(SpecExample("TOKEN_ENTRY")));
  Result<TokenEntry> decoded = DecodeTokenEntry(SpecExample("TOKEN_ENTRY"));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, entry);
}

TEST(StoreRecordsTest, TokenEntryRoundTripsEveryField) {
  const TokenEntry entry{0x0102030405060708ull, 0xf0e0d0c0b0a09080ull};
  Result<TokenEntry> decoded = DecodeTokenEntry(EncodeTokenEntry(entry));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->user_id, entry.user_id);
  EXPECT_EQ(decoded->expires_unix, entry.expires_unix);
}

TEST(StoreRecordsTest, TruncatedOrTrailingTokenEntryIsRejected) {
  ExpectEveryPrefixAndTrailingByteRejected(
      SpecExample("TOKEN_ENTRY"),
      [](std::string_view value) { return DecodeTokenEntry(value).status(); });
}

// --- contact/ ---

Status DecodeContactStatus(std::string_view value) {
  return DecodeContact(kBob, value).status();
}

TEST(StoreRecordsTest, ContactEncodingIsTheSpecExample) {
  Result<std::string> encoded = EncodeContact(Relation::kPending, kSince, "hi");
  ASSERT_TRUE(encoded.ok());
  EXPECT_EQ(Hex(*encoded), Hex(SpecExample("CONTACT_ENTRY")));
  Result<ContactEntry> decoded =
      DecodeContact(kBob, SpecExample("CONTACT_ENTRY"));
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  EXPECT_EQ(*decoded, (ContactEntry{kBob, Relation::kPending, kSince, "hi"}));
}

TEST(StoreRecordsTest, ContactRoundTripsEveryFieldForEveryStoredRelation) {
  for (Relation relation : {Relation::kAccepted, Relation::kRequested,
                            Relation::kPending, Relation::kBlocked}) {
    const ContactEntry entry{kBob, relation, 0x8877665544332211ull,
                             std::string(65535, 'n')};
    Result<std::string> encoded =
        EncodeContact(entry.relation, entry.since_unix, entry.request_text);
    ASSERT_TRUE(encoded.ok());
    Result<ContactEntry> decoded = DecodeContact(entry.user_id, *encoded);
    ASSERT_TRUE(decoded.ok()) << decoded.status().message();
    EXPECT_EQ(decoded->user_id, entry.user_id);
    EXPECT_EQ(decoded->relation, entry.relation);
    EXPECT_EQ(decoded->since_unix, entry.since_unix);
    EXPECT_EQ(decoded->request_text, entry.request_text);
  }
}

TEST(StoreRecordsTest, TruncatedOrTrailingContactIsRejected) {
  ExpectEveryPrefixAndTrailingByteRejected(SpecExample("CONTACT_ENTRY"),
                                           DecodeContactStatus);
}

TEST(StoreRecordsTest, ContactWithRelationNoneOrUnknownIsRejected) {
  std::string value = SpecExample("CONTACT_ENTRY");
  for (uint8_t relation : {0, 5, 255}) {
    value[0] = static_cast<char>(relation);
    EXPECT_EQ(DecodeContactStatus(value).code(), Status::Code::kCorruption)
        << +relation;
  }
}

TEST(StoreRecordsTest, ContactTextOver65535BytesIsNotEncoded) {
  EXPECT_EQ(EncodeContact(Relation::kPending, kSince, std::string(65536, 'n'))
                .status()
                .code(),
            Status::Code::kInvalidArgument);
}

// --- mbox/ ---

MailItem SpecMailItem() {
  MailItem item;
  item.mailbox_seq = 42;
  item.kind = MailItemKind::kMessage;
  item.item_id = FilledId(0x11);
  item.sender_id = kAlice;
  item.sender_name = "alice";
  item.conversation_seq = 7;
  item.accepted_unix = kSince;
  item.text = "hi";
  return item;
}

Status DecodeMailItemStatus(std::string_view value) {
  return DecodeMailItem(42, value).status();
}

TEST(StoreRecordsTest, MailItemEncodingIsTheSpecExample) {
  Result<std::string> encoded = EncodeMailItem(SpecMailItem());
  ASSERT_TRUE(encoded.ok());
  EXPECT_EQ(Hex(*encoded), Hex(SpecExample("MAILBOX_ITEM")));
  Result<MailItem> decoded = DecodeMailItem(42, SpecExample("MAILBOX_ITEM"));
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  EXPECT_EQ(*decoded, SpecMailItem());
}

TEST(StoreRecordsTest, MailItemRoundTripsEveryField) {
  for (MailItemKind kind :
       {MailItemKind::kMessage, MailItemKind::kContactRequest,
        MailItemKind::kContactAnswer, MailItemKind::kReceipt}) {
    MailItem item;
    item.mailbox_seq = 0x1122334455667788ull;
    item.kind = kind;
    item.item_id = FilledId(0xa1);
    item.sender_id = 0x0102030405060708ull;
    item.sender_name = std::string(255, 's');
    item.conversation_seq = 0x1112131415161718ull;
    item.accepted_unix = 0x2122232425262728ull;
    item.flag = 0xfe;
    item.ref_id = FilledId(0xb2);
    item.text = std::string(65535, 't');
    Result<std::string> encoded = EncodeMailItem(item);
    ASSERT_TRUE(encoded.ok());
    Result<MailItem> decoded = DecodeMailItem(item.mailbox_seq, *encoded);
    ASSERT_TRUE(decoded.ok()) << decoded.status().message();
    EXPECT_EQ(decoded->mailbox_seq, item.mailbox_seq);
    EXPECT_EQ(decoded->kind, item.kind);
    EXPECT_EQ(decoded->item_id, item.item_id);
    EXPECT_EQ(decoded->sender_id, item.sender_id);
    EXPECT_EQ(decoded->sender_name, item.sender_name);
    EXPECT_EQ(decoded->conversation_seq, item.conversation_seq);
    EXPECT_EQ(decoded->accepted_unix, item.accepted_unix);
    EXPECT_EQ(decoded->flag, item.flag);
    EXPECT_EQ(decoded->ref_id, item.ref_id);
    EXPECT_EQ(decoded->text, item.text);
  }
}

TEST(StoreRecordsTest, TruncatedMailItemIsRejected) {
  ExpectEveryPrefixAndTrailingByteRejected(SpecExample("MAILBOX_ITEM"),
                                           DecodeMailItemStatus);
}

TEST(StoreRecordsTest, MailItemOfUnknownKindIsRejected) {
  std::string value = SpecExample("MAILBOX_ITEM");
  for (uint8_t kind : {0, 6, 255}) {
    value[0] = static_cast<char>(kind);
    EXPECT_EQ(DecodeMailItemStatus(value).code(), Status::Code::kCorruption)
        << +kind;
  }
}

TEST(StoreRecordsTest, ForwardNoticeItemRoundTripsWithStateChannelAndReason) {
  MailItem notice = SpecMailItem();
  notice.kind = MailItemKind::kForwardNotice;
  notice.conversation_seq = 3;  // FAILED
  notice.flag = 2;              // SMS
  notice.text = "number unreachable";
  Result<std::string> value = EncodeMailItem(notice);
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(static_cast<uint8_t>((*value)[0]), 5);
  Result<MailItem> decoded = DecodeMailItem(notice.mailbox_seq, *value);
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  EXPECT_EQ(*decoded, notice);
}

TEST(StoreRecordsTest, OverlongMailItemFieldsAreNotEncoded) {
  MailItem long_name = SpecMailItem();
  long_name.sender_name = std::string(256, 's');
  EXPECT_EQ(EncodeMailItem(long_name).status().code(),
            Status::Code::kInvalidArgument);
  MailItem long_text = SpecMailItem();
  long_text.text = std::string(65536, 't');
  EXPECT_EQ(EncodeMailItem(long_text).status().code(),
            Status::Code::kInvalidArgument);
}

// --- dedup/ ---

SentRecord SpecSentRecord() {
  SentRecord record;
  record.recipient_id = kBob;
  record.content_hash = MessageContentHash(kBob, "hi");
  record.route = Route::kStored;
  record.conversation_seq = 7;
  record.accepted_unix = kSince;
  return record;
}

Status DecodeSentRecordStatus(std::string_view value) {
  return DecodeSentRecord(value).status();
}

TEST(StoreRecordsTest, SentRecordEncodingIsTheSpecExample) {
  EXPECT_EQ(Hex(EncodeSentRecord(SpecSentRecord())),
            Hex(SpecExample("DEDUP_RECORD")));
  Result<SentRecord> decoded = DecodeSentRecord(SpecExample("DEDUP_RECORD"));
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  EXPECT_EQ(*decoded, SpecSentRecord());
}

TEST(StoreRecordsTest, SentRecordRoundTripsEveryField) {
  for (Route route : {Route::kLive, Route::kStored}) {
    SentRecord record;
    record.recipient_id = 0x0102030405060708ull;
    for (size_t i = 0; i < record.content_hash.size(); ++i) {
      record.content_hash[i] = static_cast<uint8_t>(i * 7 + 1);
    }
    record.route = route;
    record.conversation_seq = 0x1112131415161718ull;
    record.accepted_unix = 0x2122232425262728ull;
    Result<SentRecord> decoded = DecodeSentRecord(EncodeSentRecord(record));
    ASSERT_TRUE(decoded.ok()) << decoded.status().message();
    EXPECT_EQ(decoded->recipient_id, record.recipient_id);
    EXPECT_EQ(decoded->content_hash, record.content_hash);
    EXPECT_EQ(decoded->route, record.route);
    EXPECT_EQ(decoded->conversation_seq, record.conversation_seq);
    EXPECT_EQ(decoded->accepted_unix, record.accepted_unix);
  }
}

TEST(StoreRecordsTest, TruncatedOrTrailingSentRecordIsRejected) {
  ExpectEveryPrefixAndTrailingByteRejected(SpecExample("DEDUP_RECORD"),
                                           DecodeSentRecordStatus);
}

TEST(StoreRecordsTest, SentRecordWithUnknownRouteIsRejected) {
  std::string value = SpecExample("DEDUP_RECORD");
  const size_t route = 8 + 32;
  ASSERT_EQ(value[route], '\x02');
  for (uint8_t unknown : {0, 3, 255}) {
    value[route] = static_cast<char>(unknown);
    EXPECT_EQ(DecodeSentRecordStatus(value).code(), Status::Code::kCorruption)
        << +unknown;
  }
}

// --- single integers ---

TEST(StoreRecordsTest, IntegerValuesMustHaveExactlyTheirSize) {
  Result<uint64_t> u64 = DecodeU64Value(EncodeU64(0x0102030405060708ull), "x");
  ASSERT_TRUE(u64.ok());
  EXPECT_EQ(*u64, 0x0102030405060708ull);
  Result<uint32_t> u32 = DecodeU32Value(EncodeU32(0x01020304u), "x");
  ASSERT_TRUE(u32.ok());
  EXPECT_EQ(*u32, 0x01020304u);
  ExpectEveryPrefixAndTrailingByteRejected(
      EncodeU64(1), [](std::string_view value) {
        return DecodeU64Value(value, "meta/next_mbox_seq").status();
      });
  ExpectEveryPrefixAndTrailingByteRejected(
      EncodeU32(1), [](std::string_view value) {
        return DecodeU32Value(value, "meta/schema_version").status();
      });
  EXPECT_EQ(DecodeU64Value("1234567", "meta/next_mbox_seq").status().message(),
            "malformed meta/next_mbox_seq");
}

// --- keys ---

TEST(StoreRecordsTest, KeysFollowTheSpecLayout) {
  const std::string alice = EncodeU64(kAlice);
  const std::string bob = EncodeU64(kBob);
  const ItemId id = FilledId(0x11);
  const std::string id_bytes(16, '\x11');
  TokenHash hash;
  hash.fill(0x22);
  const std::string hash_bytes(32, '\x22');
  EXPECT_EQ(Hex(alice), "0000000000002710");
  EXPECT_EQ(UserKey(kAlice), "user/" + alice);
  EXPECT_EQ(NameKey("alice"), "name/alice");
  EXPECT_EQ(TokenKey(hash), "token/" + hash_bytes);
  EXPECT_EQ(UserTokenKey(kAlice, hash), "usertoken/" + alice + hash_bytes);
  EXPECT_EQ(ContactKey(kAlice, kBob), "contact/" + alice + bob);
  EXPECT_EQ(MailboxKey(kBob, 42), "mbox/" + bob + EncodeU64(42));
  EXPECT_EQ(MailboxIndexKey(kBob, id, kAlice),
            "mboxid/" + bob + id_bytes + alice);
  EXPECT_EQ(DedupKey(kAlice, id), "dedup/" + alice + id_bytes);
  EXPECT_EQ(ConversationSeqKey(kAlice, kBob), "convseq/" + alice + bob);
  // Every key starts with its owner's prefix, so a prefix scan finds it.
  EXPECT_EQ(UserTokenKey(kAlice, hash).rfind(UserTokenPrefix(kAlice), 0), 0u);
  EXPECT_EQ(ContactKey(kAlice, kBob).rfind(ContactPrefix(kAlice), 0), 0u);
  EXPECT_EQ(MailboxKey(kBob, 42).rfind(MailboxPrefix(kBob), 0), 0u);
  EXPECT_EQ(
      MailboxIndexKey(kBob, id, kAlice).rfind(MailboxIndexPrefix(kBob), 0), 0u);
  EXPECT_EQ(DedupKey(kAlice, id).rfind(DedupPrefix(kAlice), 0), 0u);
  EXPECT_EQ(
      ConversationSeqKey(kAlice, kBob).rfind(ConversationSeqPrefix(kAlice), 0),
      0u);
}

TEST(StoreRecordsTest, KeyU64ReadsTheBigEndianIdsOutOfAKey) {
  const std::string key = ContactKey(kAlice, 0x0102030405060708ull);
  EXPECT_EQ(KeyU64(key, kContactPrefix.size()), kAlice);
  EXPECT_EQ(KeyU64(key, kContactPrefix.size() + kU64Size),
            0x0102030405060708ull);
}

TEST(StoreRecordsTest, MailboxKeysSortInMailboxOrder) {
  EXPECT_LT(MailboxKey(kBob, 255), MailboxKey(kBob, 256));
  EXPECT_LT(MailboxKey(kBob, 0xffffffffull), MailboxKey(kBob, 0x100000000ull));
}

}  // namespace
}  // namespace hail::server::store
