// The records of the data dir's LevelDB database: how every key is built and
// how every value is encoded and decoded. The layout is normative and lives in
// SPEC.md 14.2 "LevelDB key schema"; this file and that section change
// together. Prefixes are ASCII; every integer, in keys and values, is
// big-endian, so keys sort numerically.
//
//   meta/schema_version                -> u32 (EncodeU32, DecodeU32Value)
//   meta/next_user_id                  -> u64 (EncodeU64, DecodeU64Value)
//   meta/next_mbox_seq                 -> u64 (EncodeU64, DecodeU64Value)
//   user/<id u64>                      -> UserRecord (EncodeUserRecord)
//   name/<canonical username>          -> id u64
//   token/<32-byte token hash>         -> TokenEntry (EncodeTokenEntry)
//   usertoken/<id u64><32-byte hash>   -> empty (per-user index of token/)
//   contact/<owner u64><peer u64>      -> ContactEntry (EncodeContact)
//   mbox/<recipient u64><seq u64>      -> MailItem (EncodeMailItem)
//   mboxid/<recipient u64><item_id[16]><sender u64> -> mailbox seq u64
//   dedup/<sender u64><message_id[16]> -> SentRecord (EncodeSentRecord)
//   convseq/<sender u64><recipient u64> -> last seq u64 in the conversation
//
// The mboxid/ sender is the message's sender for kMessage entries and 0 for
// notices and receipts, as ITEM_ACK names them.
//
// Decoders accept exactly what the encoders write (every encoding is
// canonical): they never read past the value and return Corruption for a
// short value, trailing bytes, an over-long string, or an unknown version,
// kind, relation or route. Stored bytes may be damaged (bit rot, a torn
// write, another build's format), so callers treat Corruption as data, not as
// a bug. Free of LevelDB: tests/fuzz/fuzz_store_records.cc links this alone.
#ifndef HAIL_SERVER_STORE_RECORDS_H_
#define HAIL_SERVER_STORE_RECORDS_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>

#include "protocol/byte_io.h"
#include "protocol/chat_messages.h"
#include "protocol/contact_messages.h"
#include "protocol/endpoint.h"
#include "protocol/status.h"
#include "server/core/mail_item.h"

namespace hail::server {

inline constexpr uint32_t kAccountSchemaVersion = 1;
inline constexpr uint64_t kFirstUserId = 10000;
inline constexpr uint8_t kUserRecordVersion = 1;

// What the server saw of a user's most recent successful login.
struct LoginInfo {
  uint64_t unix_time = 0;
  protocol::Endpoint observed;  // source address as the server saw it
  protocol::Endpoint lan;       // address the client reported for itself
  std::string client_version;   // at most 255 bytes

  friend bool operator==(const LoginInfo&, const LoginInfo&) = default;
};

struct UserRecord {
  uint64_t user_id = 0;
  std::string username;       // canonical form, 1..255 bytes
  std::string password_hash;  // crypto_pwhash_str output, without its NUL
  uint64_t created_unix = 0;
  LoginInfo last_login;

  friend bool operator==(const UserRecord&, const UserRecord&) = default;
};

// BLAKE2b-256 of a resumption token.
using TokenHash = std::array<uint8_t, 32>;

// A token/ entry: whose token it is and until when it is valid.
struct TokenEntry {
  uint64_t user_id = 0;
  uint64_t expires_unix = 0;

  friend bool operator==(const TokenEntry&, const TokenEntry&) = default;
};

// A contact/ entry, seen from its owner.
struct ContactEntry {
  uint64_t user_id = 0;  // the peer
  protocol::Relation relation = protocol::Relation::kNone;
  uint64_t since_unix = 0;
  std::string request_text;  // set when relation is kPending

  friend bool operator==(const ContactEntry&, const ContactEntry&) = default;
};

namespace store {

// Largest strings with a u8 and a u16 length prefix.
inline constexpr size_t kMaxShortStringLength = 255;
inline constexpr size_t kMaxLongStringLength = 65535;

// Sizes of the fixed parts of keys.
inline constexpr size_t kU64Size = 8;
inline constexpr size_t kItemIdSize = std::tuple_size_v<protocol::ItemId>;

inline constexpr std::string_view kSchemaVersionKey = "meta/schema_version";
inline constexpr std::string_view kNextUserIdKey = "meta/next_user_id";
inline constexpr std::string_view kNextMailboxSeqKey = "meta/next_mbox_seq";
inline constexpr std::string_view kUserPrefix = "user/";
inline constexpr std::string_view kNamePrefix = "name/";
inline constexpr std::string_view kTokenPrefix = "token/";
inline constexpr std::string_view kUserTokenPrefix = "usertoken/";
inline constexpr std::string_view kContactPrefix = "contact/";
inline constexpr std::string_view kMailboxPrefix = "mbox/";
inline constexpr std::string_view kMailboxIndexPrefix = "mboxid/";
inline constexpr std::string_view kDedupPrefix = "dedup/";
inline constexpr std::string_view kConversationSeqPrefix = "convseq/";

// --- bytes ---

inline std::string ToString(const protocol::Bytes& bytes) {
  return std::string(bytes.begin(), bytes.end());
}

inline protocol::ByteSpan AsSpan(std::string_view text) {
  return protocol::ByteSpan(reinterpret_cast<const uint8_t*>(text.data()),
                            text.size());
}

std::string EncodeU32(uint32_t value);
std::string EncodeU64(uint64_t value);

// --- keys ---

std::string UserKey(uint64_t user_id);
std::string NameKey(std::string_view canonical_name);
std::string TokenKey(const TokenHash& token_hash);
// The prefix shared by every usertoken/ key of one user.
std::string UserTokenPrefix(uint64_t user_id);
std::string UserTokenKey(uint64_t user_id, const TokenHash& token_hash);

// Each *Prefix is the part shared by every key of one owner (or sender).
std::string ContactPrefix(uint64_t owner);
std::string ContactKey(uint64_t owner, uint64_t peer);
std::string MailboxPrefix(uint64_t recipient);
std::string MailboxKey(uint64_t recipient, uint64_t mailbox_seq);
std::string MailboxIndexPrefix(uint64_t recipient);
std::string MailboxIndexKey(uint64_t recipient, const protocol::ItemId& item_id,
                            uint64_t sender);
std::string DedupPrefix(uint64_t sender);
std::string DedupKey(uint64_t sender, const protocol::ItemId& message_id);
std::string ConversationSeqPrefix(uint64_t sender);
std::string ConversationSeqKey(uint64_t sender, uint64_t recipient);

// The big-endian u64 at `offset` of a key.
// REQUIRES: key.size() >= offset + kU64Size (callers check key lengths).
uint64_t KeyU64(std::string_view key, size_t offset);

// --- values ---

// A value that is exactly one u32 / u64; Corruption ("malformed <what>")
// otherwise.
Result<uint32_t> DecodeU32Value(std::string_view value, std::string_view what);
Result<uint64_t> DecodeU64Value(std::string_view value, std::string_view what);

// user/<id>: version u8 (1), username str8, password_hash str16,
// created_unix u64, last_login_unix u64, last observed endpoint, last LAN
// endpoint (each as protocol::EncodeEndpoint), last client version str8.
// The id lives in the key and is not part of the value.
// REQUIRES: username and client_version <= 255 bytes, password_hash <= 65535.
protocol::Bytes EncodeUserRecord(const UserRecord& record);
// Corruption for an unknown version, a truncated value, trailing bytes or an
// empty username. The result's user_id is `user_id`.
Result<UserRecord> DecodeUserRecord(uint64_t user_id, protocol::ByteSpan value);

// token/<hash>: user_id u64, expires_unix u64.
std::string EncodeTokenEntry(const TokenEntry& entry);
Result<TokenEntry> DecodeTokenEntry(std::string_view value);

// contact/<owner><peer>: relation u8, since_unix u64, text str16.
// InvalidArgument when text is over 65535 bytes. `relation` must not be kNone
// (setting kNone deletes the entry), or the decoder rejects the value.
Result<std::string> EncodeContact(protocol::Relation relation,
                                  uint64_t since_unix, std::string_view text);
// Corruption for a malformed value or a relation that is kNone or unknown.
// The result's user_id is `peer`.
Result<ContactEntry> DecodeContact(uint64_t peer, std::string_view value);

// mbox/<recipient><seq>: kind u8, item_id[16], sender_id u64, sender str8,
// conversation seq u64, accepted_unix u64, flag u8, ref_id[16], text str16.
// mailbox_seq lives in the key. InvalidArgument when sender_name is over 255
// bytes or text over 65535.
Result<std::string> EncodeMailItem(const MailItem& item);
// Corruption for a malformed value or an unknown kind. The result's
// mailbox_seq is `mailbox_seq`.
Result<MailItem> DecodeMailItem(uint64_t mailbox_seq, std::string_view value);

// dedup/<sender><message_id>: recipient u64, content hash[32], route u8,
// seq u64, accepted_unix u64.
std::string EncodeSentRecord(const SentRecord& record);
// Corruption for a malformed value or a route other than live or stored.
Result<SentRecord> DecodeSentRecord(std::string_view value);

}  // namespace store
}  // namespace hail::server

#endif  // HAIL_SERVER_STORE_RECORDS_H_
