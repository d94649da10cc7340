#include "server/store_records.h"

#include <cassert>

namespace hail::server::store {

using protocol::ByteReader;
using protocol::Bytes;
using protocol::ByteSpan;
using protocol::ByteWriter;
using protocol::ItemId;
using protocol::Relation;
using protocol::Route;

namespace {

std::string IdString(const ItemId& id) {
  return std::string(id.begin(), id.end());
}

}  // namespace

// --- bytes ---

std::string EncodeU32(uint32_t value) {
  Bytes out;
  ByteWriter(&out).U32(value);
  return ToString(out);
}

std::string EncodeU64(uint64_t value) {
  Bytes out;
  ByteWriter(&out).U64(value);
  return ToString(out);
}

// --- keys ---

std::string UserKey(uint64_t user_id) {
  return std::string(kUserPrefix) + EncodeU64(user_id);
}

std::string NameKey(std::string_view canonical_name) {
  return std::string(kNamePrefix) + std::string(canonical_name);
}

std::string TokenKey(const TokenHash& token_hash) {
  Bytes out;
  ByteWriter writer(&out);
  writer.Raw(kTokenPrefix);
  writer.Raw(ByteSpan(token_hash));
  return ToString(out);
}

std::string UserTokenPrefix(uint64_t user_id) {
  return std::string(kUserTokenPrefix) + EncodeU64(user_id);
}

std::string UserTokenKey(uint64_t user_id, const TokenHash& token_hash) {
  Bytes out;
  ByteWriter writer(&out);
  writer.Raw(UserTokenPrefix(user_id));
  writer.Raw(ByteSpan(token_hash));
  return ToString(out);
}

std::string ContactPrefix(uint64_t owner) {
  return std::string(kContactPrefix) + EncodeU64(owner);
}

std::string ContactKey(uint64_t owner, uint64_t peer) {
  return ContactPrefix(owner) + EncodeU64(peer);
}

std::string MailboxPrefix(uint64_t recipient) {
  return std::string(kMailboxPrefix) + EncodeU64(recipient);
}

std::string MailboxKey(uint64_t recipient, uint64_t mailbox_seq) {
  return MailboxPrefix(recipient) + EncodeU64(mailbox_seq);
}

std::string MailboxIndexPrefix(uint64_t recipient) {
  return std::string(kMailboxIndexPrefix) + EncodeU64(recipient);
}

std::string MailboxIndexKey(uint64_t recipient, const ItemId& item_id,
                            uint64_t sender) {
  return MailboxIndexPrefix(recipient) + IdString(item_id) + EncodeU64(sender);
}

std::string DedupPrefix(uint64_t sender) {
  return std::string(kDedupPrefix) + EncodeU64(sender);
}

std::string DedupKey(uint64_t sender, const ItemId& message_id) {
  return DedupPrefix(sender) + IdString(message_id);
}

std::string ConversationSeqPrefix(uint64_t sender) {
  return std::string(kConversationSeqPrefix) + EncodeU64(sender);
}

std::string ConversationSeqKey(uint64_t sender, uint64_t recipient) {
  return ConversationSeqPrefix(sender) + EncodeU64(recipient);
}

uint64_t KeyU64(std::string_view key, size_t offset) {
  assert(key.size() >= offset + kU64Size);
  uint64_t value = 0;
  ByteReader reader(AsSpan(key.substr(offset, kU64Size)));
  reader.U64(&value);
  return value;
}

// --- values ---

Result<uint32_t> DecodeU32Value(std::string_view value, std::string_view what) {
  ByteReader reader(AsSpan(value));
  uint32_t out;
  if (!reader.U32(&out) || reader.remaining() != 0) {
    return Status::Corruption("malformed " + std::string(what));
  }
  return out;
}

Result<uint64_t> DecodeU64Value(std::string_view value, std::string_view what) {
  ByteReader reader(AsSpan(value));
  uint64_t out;
  if (!reader.U64(&out) || reader.remaining() != 0) {
    return Status::Corruption("malformed " + std::string(what));
  }
  return out;
}

protocol::Bytes EncodeUserRecord(const UserRecord& record) {
  assert(record.username.size() <= kMaxShortStringLength);
  assert(record.password_hash.size() <= kMaxLongStringLength);
  assert(record.last_login.client_version.size() <= kMaxShortStringLength);
  Bytes out;
  ByteWriter writer(&out);
  writer.U8(kUserRecordVersion);
  writer.String8(record.username);
  writer.String16(record.password_hash);
  writer.U64(record.created_unix);
  writer.U64(record.last_login.unix_time);
  protocol::EncodeEndpoint(record.last_login.observed, &writer);
  protocol::EncodeEndpoint(record.last_login.lan, &writer);
  writer.String8(record.last_login.client_version);
  return out;
}

Result<UserRecord> DecodeUserRecord(uint64_t user_id,
                                    protocol::ByteSpan value) {
  ByteReader reader(value);
  uint8_t version;
  if (!reader.U8(&version)) {
    return Status::Corruption("empty user record " + std::to_string(user_id));
  }
  if (version != kUserRecordVersion) {
    return Status::Corruption("unknown user record version " +
                              std::to_string(version) + " for user " +
                              std::to_string(user_id));
  }
  UserRecord record;
  record.user_id = user_id;
  bool ok =
      reader.String8(&record.username, kMaxShortStringLength) &&
      reader.String16(&record.password_hash, kMaxLongStringLength) &&
      reader.U64(&record.created_unix) &&
      reader.U64(&record.last_login.unix_time) &&
      protocol::DecodeEndpoint(&reader, &record.last_login.observed) &&
      protocol::DecodeEndpoint(&reader, &record.last_login.lan) &&
      reader.String8(&record.last_login.client_version, kMaxShortStringLength);
  if (!ok) {
    return Status::Corruption("truncated or malformed user record " +
                              std::to_string(user_id));
  }
  if (reader.remaining() != 0) {
    return Status::Corruption("trailing bytes in user record " +
                              std::to_string(user_id));
  }
  if (record.username.empty()) {
    return Status::Corruption("empty username in user record " +
                              std::to_string(user_id));
  }
  return record;
}

std::string EncodeTokenEntry(const TokenEntry& entry) {
  Bytes out;
  ByteWriter writer(&out);
  writer.U64(entry.user_id);
  writer.U64(entry.expires_unix);
  return ToString(out);
}

Result<TokenEntry> DecodeTokenEntry(std::string_view value) {
  ByteReader reader(AsSpan(value));
  TokenEntry entry;
  if (!reader.U64(&entry.user_id) || !reader.U64(&entry.expires_unix) ||
      reader.remaining() != 0) {
    return Status::Corruption("malformed token entry");
  }
  return entry;
}

Result<std::string> EncodeContact(Relation relation, uint64_t since_unix,
                                  std::string_view text) {
  if (text.size() > kMaxLongStringLength) {
    return Status::InvalidArgument("contact request text over 65535 bytes");
  }
  Bytes out;
  ByteWriter writer(&out);
  writer.U8(static_cast<uint8_t>(relation));
  writer.U64(since_unix);
  writer.String16(text);
  return ToString(out);
}

Result<ContactEntry> DecodeContact(uint64_t peer, std::string_view value) {
  ByteReader reader(AsSpan(value));
  ContactEntry entry;
  entry.user_id = peer;
  uint8_t relation;
  if (!reader.U8(&relation) || !reader.U64(&entry.since_unix) ||
      !reader.String16(&entry.request_text, kMaxLongStringLength) ||
      reader.remaining() != 0) {
    return Status::Corruption("malformed contact entry for peer " +
                              std::to_string(peer));
  }
  // kNone is never stored: setting it deletes the entry.
  if (relation == static_cast<uint8_t>(Relation::kNone) ||
      relation >= protocol::kRelationEnd) {
    return Status::Corruption("unknown relation " + std::to_string(relation));
  }
  entry.relation = static_cast<Relation>(relation);
  return entry;
}

Result<std::string> EncodeMailItem(const MailItem& item) {
  if (item.sender_name.size() > kMaxShortStringLength) {
    return Status::InvalidArgument("mail item sender name over 255 bytes");
  }
  if (item.text.size() > kMaxLongStringLength) {
    return Status::InvalidArgument("mail item text over 65535 bytes");
  }
  Bytes out;
  ByteWriter writer(&out);
  writer.U8(static_cast<uint8_t>(item.kind));
  writer.Raw(ByteSpan(item.item_id));
  writer.U64(item.sender_id);
  writer.String8(item.sender_name);
  writer.U64(item.conversation_seq);
  writer.U64(item.accepted_unix);
  writer.U8(item.flag);
  writer.Raw(ByteSpan(item.ref_id));
  writer.String16(item.text);
  return ToString(out);
}

Result<MailItem> DecodeMailItem(uint64_t mailbox_seq, std::string_view value) {
  ByteReader reader(AsSpan(value));
  MailItem item;
  item.mailbox_seq = mailbox_seq;
  uint8_t kind;
  if (!reader.U8(&kind) || !reader.Fixed(&item.item_id) ||
      !reader.U64(&item.sender_id) ||
      !reader.String8(&item.sender_name, kMaxShortStringLength) ||
      !reader.U64(&item.conversation_seq) || !reader.U64(&item.accepted_unix) ||
      !reader.U8(&item.flag) || !reader.Fixed(&item.ref_id) ||
      !reader.String16(&item.text, kMaxLongStringLength) ||
      reader.remaining() != 0) {
    return Status::Corruption("malformed mailbox entry " +
                              std::to_string(mailbox_seq));
  }
  if (kind < static_cast<uint8_t>(MailItemKind::kMessage) ||
      kind > static_cast<uint8_t>(MailItemKind::kForwardNotice)) {
    return Status::Corruption("unknown mailbox item kind " +
                              std::to_string(kind));
  }
  item.kind = static_cast<MailItemKind>(kind);
  return item;
}

std::string EncodeSentRecord(const SentRecord& record) {
  Bytes out;
  ByteWriter writer(&out);
  writer.U64(record.recipient_id);
  writer.Raw(ByteSpan(record.content_hash));
  writer.U8(static_cast<uint8_t>(record.route));
  writer.U64(record.conversation_seq);
  writer.U64(record.accepted_unix);
  return ToString(out);
}

Result<SentRecord> DecodeSentRecord(std::string_view value) {
  ByteReader reader(AsSpan(value));
  SentRecord record;
  uint8_t route;
  if (!reader.U64(&record.recipient_id) ||
      !reader.Fixed(&record.content_hash) || !reader.U8(&route) ||
      !reader.U64(&record.conversation_seq) ||
      !reader.U64(&record.accepted_unix) || reader.remaining() != 0) {
    return Status::Corruption("malformed dedup record");
  }
  if (route != static_cast<uint8_t>(Route::kLive) &&
      route != static_cast<uint8_t>(Route::kStored)) {
    return Status::Corruption("unknown route " + std::to_string(route));
  }
  record.route = static_cast<Route>(route);
  return record;
}

}  // namespace hail::server::store
