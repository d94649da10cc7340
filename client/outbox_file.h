// The durable copy of a client's outbox (SPEC.md 10.3): the messages one
// account sent to one server that have no final MESSAGE_ACCEPTED yet, kept
// in $HAIL_HOME/outbox/USERNAME@HOST:PORT so that a later `hail` process
// resends them with the same message ids after its login.
//
// Format, version 1 (text, one record a line, "\n" line ends):
//
//   hail-outbox 1
//   m MESSAGE_ID_HEX RECIPIENT SENT_UNIX TEXT_HEX      (0 or more, oldest
//   first) end COUNT CHECKSUM_HEX
//
// MESSAGE_ID_HEX is 32 lowercase hex digits, RECIPIENT a canonical username,
// SENT_UNIX decimal, TEXT_HEX the UTF-8 text (1..4096 bytes) in hex.
// COUNT is the number of "m" lines and CHECKSUM_HEX the 16-byte BLAKE2b of
// every byte before the "end" line. A file that breaks any of this (another
// version, a truncated or edited file) is corrupt: it is renamed to
// FILE.corrupt-UNIXTIME, never deleted, and reported.
//
// The file (mode 0600) is replaced atomically; every change is a
// read-modify-write under a lock on its directory, so concurrent `hail`
// processes of the same account keep each other's messages. Not
// thread-safe; one owner.
#ifndef HAIL_CLIENT_OUTBOX_FILE_H_
#define HAIL_CLIENT_OUTBOX_FILE_H_

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/chat_messages.h"
#include "protocol/status.h"

namespace hail::client {

class OutboxFile {
 public:
  static constexpr int kVersion = 1;

  // What Load found. `problem` is non-empty when a corrupt file was set
  // aside (its messages are then not in `messages`).
  struct Contents {
    std::vector<protocol::SendMessage> messages;  // oldest first
    std::string problem;
  };

  // `server` is "host:port"; `username` canonical.
  OutboxFile(const std::filesystem::path& home, std::string_view server,
             std::string_view username);

  const std::filesystem::path& file() const { return file_; }

  // The messages in the file; none when it does not exist. Errors: IoError
  // (unreadable; nothing is moved).
  Result<Contents> Load(uint64_t now_unix) const;
  // Appends `message` unless a message with its id is held. Errors: IoError.
  Status Add(const protocol::SendMessage& message, uint64_t now_unix);
  // Forgets the message with this id; no error when it is not held.
  // Errors: IoError.
  Status Remove(const protocol::ItemId& message_id, uint64_t now_unix);

  // The file's content for `messages`, and back. Decode errors: Corruption
  // with what is wrong.
  static std::string Encode(const std::vector<protocol::SendMessage>& messages);
  static Result<std::vector<protocol::SendMessage>> Decode(
      std::string_view content);

 private:
  // Load, then `change` the messages, then write them back (or remove the
  // file when none is left), all under the directory lock.
  template <class Change>
  Status Update(uint64_t now_unix, Change change);

  std::filesystem::path file_;
};

}  // namespace hail::client

#endif  // HAIL_CLIENT_OUTBOX_FILE_H_
