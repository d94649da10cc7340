// Fuzzes the decoders of the values stored in the data dir's database
// (server/store_records.h, SPEC.md 14.2), which read bytes that bit rot, a
// torn write or another build may have damaged. The first input byte picks
// the decoder, the rest is the stored value. A decoder must return a record
// or Corruption, never anything else, and never read past the value (ASan);
// every record it accepts must encode back to exactly the input (the
// encodings are canonical) and decode again to the same record.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "protocol/status.h"
#include "server/forward/forward_records.h"
#include "server/store_records.h"

namespace {

namespace forward = hail::server::forward;
namespace store = hail::server::store;
using hail::Result;
using hail::Status;
using hail::server::ContactEntry;
using hail::server::MailItem;
using hail::server::SentRecord;
using hail::server::TokenEntry;
using hail::server::UserRecord;

// Ids that the stores take from the key; any value will do.
constexpr uint64_t kUserId = 10000;
constexpr uint64_t kPeer = 10001;
constexpr uint64_t kMailboxSeq = 42;

void Check(bool condition) {
  if (!condition) std::abort();
}

// A rejected value is Corruption, never an error of another kind.
template <typename T>
bool Accepted(const Result<T>& decoded) {
  if (!decoded.ok()) {
    Check(decoded.status().code() == Status::Code::kCorruption);
    return false;
  }
  return true;
}

void FuzzUserRecord(std::string_view value) {
  Result<UserRecord> decoded =
      store::DecodeUserRecord(kUserId, store::AsSpan(value));
  if (!Accepted(decoded)) return;
  Check(decoded->user_id == kUserId);
  const std::string encoded =
      store::ToString(store::EncodeUserRecord(*decoded));
  Check(encoded == value);
  Result<UserRecord> again =
      store::DecodeUserRecord(kUserId, store::AsSpan(encoded));
  Check(again.ok() && *again == *decoded);
}

void FuzzTokenEntry(std::string_view value) {
  Result<TokenEntry> decoded = store::DecodeTokenEntry(value);
  if (!Accepted(decoded)) return;
  const std::string encoded = store::EncodeTokenEntry(*decoded);
  Check(encoded == value);
  Result<TokenEntry> again = store::DecodeTokenEntry(encoded);
  Check(again.ok() && *again == *decoded);
}

void FuzzContact(std::string_view value) {
  Result<ContactEntry> decoded = store::DecodeContact(kPeer, value);
  if (!Accepted(decoded)) return;
  Check(decoded->user_id == kPeer);
  Result<std::string> encoded = store::EncodeContact(
      decoded->relation, decoded->since_unix, decoded->request_text);
  Check(encoded.ok() && *encoded == value);
  Result<ContactEntry> again = store::DecodeContact(kPeer, *encoded);
  Check(again.ok() && *again == *decoded);
}

void FuzzMailItem(std::string_view value) {
  Result<MailItem> decoded = store::DecodeMailItem(kMailboxSeq, value);
  if (!Accepted(decoded)) return;
  Check(decoded->mailbox_seq == kMailboxSeq);
  Result<std::string> encoded = store::EncodeMailItem(*decoded);
  Check(encoded.ok() && *encoded == value);
  Result<MailItem> again = store::DecodeMailItem(kMailboxSeq, *encoded);
  Check(again.ok() && *again == *decoded);
}

void FuzzSentRecord(std::string_view value) {
  Result<SentRecord> decoded = store::DecodeSentRecord(value);
  if (!Accepted(decoded)) return;
  const std::string encoded = store::EncodeSentRecord(*decoded);
  Check(encoded == value);
  Result<SentRecord> again = store::DecodeSentRecord(encoded);
  Check(again.ok() && *again == *decoded);
}

// meta/next_user_id, meta/next_mbox_seq, name/, mboxid/, convseq/.
void FuzzU64Value(std::string_view value) {
  Result<uint64_t> decoded = store::DecodeU64Value(value, "u64 value");
  if (!Accepted(decoded)) return;
  Check(store::EncodeU64(*decoded) == value);
}

// meta/schema_version.
void FuzzU32Value(std::string_view value) {
  Result<uint32_t> decoded = store::DecodeU32Value(value, "u32 value");
  if (!Accepted(decoded)) return;
  Check(store::EncodeU32(*decoded) == value);
}

// fwdset/ (SPEC.md 14.2, extended delivery).
void FuzzForwardSettings(std::string_view value) {
  Result<forward::ForwardSettings> decoded =
      forward::DecodeForwardSettings(value);
  if (!Accepted(decoded)) return;
  Result<std::string> encoded = forward::EncodeForwardSettings(*decoded);
  Check(encoded.ok() && *encoded == value);
  Result<forward::ForwardSettings> again =
      forward::DecodeForwardSettings(*encoded);
  Check(again.ok() && *again == *decoded);
}

// fwdjob/.
void FuzzForwardJob(std::string_view value) {
  forward::JobKey key;
  key.fill(0x22);
  Result<forward::JobRecord> decoded = forward::DecodeJobRecord(key, value);
  if (!Accepted(decoded)) return;
  Check(decoded->job_key == key);
  Result<std::string> encoded = forward::EncodeJobRecord(*decoded);
  Check(encoded.ok() && *encoded == value);
  Result<forward::JobRecord> again = forward::DecodeJobRecord(key, *encoded);
  Check(again.ok() && *again == *decoded);
}

}  // namespace

// Input: selector u8 (taken modulo 9), then the stored value. The seeds
// (spec_corpus.py) are SPEC.md 14.2's examples behind their selector.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view value(reinterpret_cast<const char*>(data) + 1,
                               size - 1);
  switch (data[0] % 9) {
    case 0:
      FuzzUserRecord(value);
      break;
    case 1:
      FuzzTokenEntry(value);
      break;
    case 2:
      FuzzContact(value);
      break;
    case 3:
      FuzzMailItem(value);
      break;
    case 4:
      FuzzSentRecord(value);
      break;
    case 5:
      FuzzU64Value(value);
      break;
    case 6:
      FuzzU32Value(value);
      break;
    case 7:
      FuzzForwardSettings(value);
      break;
    case 8:
      FuzzForwardJob(value);
      break;
  }
  return 0;
}
