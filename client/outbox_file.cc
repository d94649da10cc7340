#include "client/outbox_file.h"

#include <fmt/format.h>
#include <sodium.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>
#include <utility>

#include "client/state_file.h"
#include "protocol/account_rules.h"
#include "protocol/byte_io.h"

namespace hail::client {
namespace {

constexpr std::string_view kMagic = "hail-outbox";

std::string Checksum(std::string_view content) {
  protocol::Bytes digest(16);
  crypto_generichash(digest.data(), digest.size(),
                     reinterpret_cast<const unsigned char*>(content.data()),
                     content.size(), nullptr, 0);
  return protocol::ToHex(protocol::ByteSpan(digest.data(), digest.size()));
}

// The space-separated fields of `line`; empty fields make it malformed.
std::vector<std::string_view> Fields(std::string_view line) {
  std::vector<std::string_view> fields;
  while (true) {
    size_t space = line.find(' ');
    fields.push_back(line.substr(0, space));
    if (space == std::string_view::npos) break;
    line.remove_prefix(space + 1);
  }
  return fields;
}

bool ParseDecimal(std::string_view text, uint64_t* value) {
  if (text.empty() || text.size() > 20) return false;
  auto [end, error] =
      std::from_chars(text.data(), text.data() + text.size(), *value);
  return error == std::errc() && end == text.data() + text.size();
}

// Hex digits only (FromHex also skips whitespace, which a field never has).
bool ParseHex(std::string_view text, protocol::Bytes* out) {
  bool lowercase_hex = std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
  return lowercase_hex && protocol::FromHex(text, out);
}

Status Corrupt(size_t line_number, std::string_view what) {
  return Status::Corruption(fmt::format("line {}: {}", line_number, what));
}

Result<protocol::SendMessage> DecodeMessage(std::string_view line,
                                            size_t line_number) {
  std::vector<std::string_view> fields = Fields(line);
  if (fields.size() != 5 || fields[0] != "m") {
    return Corrupt(line_number, "not a message record");
  }
  protocol::SendMessage message;
  protocol::Bytes id;
  if (!ParseHex(fields[1], &id) || id.size() != message.message_id.size()) {
    return Corrupt(line_number, "bad message id");
  }
  std::copy(id.begin(), id.end(), message.message_id.begin());
  std::optional<std::string> recipient = protocol::NormalizeUsername(fields[2]);
  if (!recipient || *recipient != fields[2]) {
    return Corrupt(line_number, "bad recipient");
  }
  message.recipient = std::move(*recipient);
  if (!ParseDecimal(fields[3], &message.sent_unix)) {
    return Corrupt(line_number, "bad time");
  }
  protocol::Bytes text;
  if (!ParseHex(fields[4], &text) || text.empty() ||
      text.size() > protocol::kMessageTextMaxLength) {
    return Corrupt(line_number, "bad text");
  }
  message.text.assign(text.begin(), text.end());
  if (!protocol::IsValidUtf8(message.text)) {
    return Corrupt(line_number, "text is not UTF-8");
  }
  return message;
}

Result<std::string> ReadWholeFile(const std::filesystem::path& file,
                                  bool* exists) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    std::error_code error;
    if (!std::filesystem::exists(file, error) && !error) {
      *exists = false;
      return std::string();
    }
    return Status::IoError(fmt::format("cannot read {}", file.string()));
  }
  *exists = true;
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) {
    return Status::IoError(fmt::format("error reading {}", file.string()));
  }
  return content.str();
}

}  // namespace

OutboxFile::OutboxFile(const std::filesystem::path& home,
                       std::string_view server, std::string_view username)
    : file_(home / "outbox" / fmt::format("{}@{}", username, server)) {}

std::string OutboxFile::Encode(
    const std::vector<protocol::SendMessage>& messages) {
  std::string content = fmt::format("{} {}\n", kMagic, kVersion);
  for (const protocol::SendMessage& m : messages) {
    content += fmt::format(
        "m {} {} {} {}\n",
        protocol::ToHex(
            protocol::ByteSpan(m.message_id.data(), m.message_id.size())),
        m.recipient, m.sent_unix,
        protocol::ToHex(protocol::ByteSpan(
            reinterpret_cast<const uint8_t*>(m.text.data()), m.text.size())));
  }
  content += fmt::format("end {} {}\n", messages.size(), Checksum(content));
  return content;
}

Result<std::vector<protocol::SendMessage>> OutboxFile::Decode(
    std::string_view content) {
  std::vector<protocol::SendMessage> messages;
  size_t line_number = 0;
  size_t consumed = 0;  // bytes before the current line
  bool ended = false;
  while (consumed < content.size()) {
    ++line_number;
    size_t newline = content.find('\n', consumed);
    if (newline == std::string_view::npos) {
      return Corrupt(line_number, "truncated (no line end)");
    }
    std::string_view line = content.substr(consumed, newline - consumed);
    if (ended) return Corrupt(line_number, "data after the end record");
    if (line_number == 1) {
      std::vector<std::string_view> fields = Fields(line);
      if (fields.size() != 2 || fields[0] != kMagic) {
        return Corrupt(line_number, "not an outbox file");
      }
      if (fields[1] != std::to_string(kVersion)) {
        return Corrupt(line_number,
                       fmt::format("unsupported version {}", fields[1]));
      }
    } else if (line.starts_with("end ")) {
      std::vector<std::string_view> fields = Fields(line);
      uint64_t count = 0;
      if (fields.size() != 3 || !ParseDecimal(fields[1], &count)) {
        return Corrupt(line_number, "bad end record");
      }
      if (count != messages.size()) {
        return Corrupt(line_number,
                       fmt::format("{} messages, the end record says {}",
                                   messages.size(), count));
      }
      if (fields[2] != Checksum(content.substr(0, consumed))) {
        return Corrupt(line_number, "checksum mismatch");
      }
      ended = true;
    } else {
      Result<protocol::SendMessage> message = DecodeMessage(line, line_number);
      if (!message.ok()) return message.status();
      for (const protocol::SendMessage& held : messages) {
        if (held.message_id == message->message_id) {
          return Corrupt(line_number, "message id twice");
        }
      }
      messages.push_back(std::move(*message));
    }
    consumed = newline + 1;
  }
  if (!ended) {
    return Corrupt(line_number + 1, "truncated (no end record)");
  }
  return messages;
}

Result<OutboxFile::Contents> OutboxFile::Load(uint64_t now_unix) const {
  bool exists = false;
  Result<std::string> content = ReadWholeFile(file_, &exists);
  if (!content.ok()) return content.status();
  Contents contents;
  if (!exists) return contents;
  Result<std::vector<protocol::SendMessage>> messages = Decode(*content);
  if (messages.ok()) {
    contents.messages = std::move(*messages);
    return contents;
  }
  // Keep the bytes for a person to look at; start afresh.
  std::filesystem::path aside = file_;
  aside += fmt::format(".corrupt-{}", now_unix);
  if (::rename(file_.c_str(), aside.c_str()) != 0) {
    return Status::IoError(fmt::format(
        "outbox file {} is corrupt ({}) and cannot be moved aside: {}",
        file_.string(), messages.status().message(), std::strerror(errno)));
  }
  contents.problem = fmt::format(
      "outbox file {} is corrupt ({}); its messages were not resent, the file "
      "is kept as {}",
      file_.string(), messages.status().message(), aside.string());
  return contents;
}

template <class Change>
Status OutboxFile::Update(uint64_t now_unix, Change change) {
  std::filesystem::path directory = file_.parent_path();
  if (Status status = EnsurePrivateDirectory(directory); !status.ok()) {
    return status;
  }
  Result<DirectoryLock> lock = DirectoryLock::Acquire(directory);
  if (!lock.ok()) return lock.status();
  Result<Contents> contents = Load(now_unix);
  if (!contents.ok()) return contents.status();
  if (!change(contents->messages)) return Status::Ok();
  if (contents->messages.empty()) {
    if (::unlink(file_.c_str()) != 0 && errno != ENOENT) {
      return Status::IoError(fmt::format("cannot remove {}: {}", file_.string(),
                                         std::strerror(errno)));
    }
    return Status::Ok();
  }
  return ReplaceFileAtomically(file_, Encode(contents->messages));
}

Status OutboxFile::Add(const protocol::SendMessage& message,
                       uint64_t now_unix) {
  return Update(now_unix, [&](std::vector<protocol::SendMessage>& messages) {
    for (const protocol::SendMessage& held : messages) {
      if (held.message_id == message.message_id) return false;
    }
    messages.push_back(message);
    return true;
  });
}

Status OutboxFile::Remove(const protocol::ItemId& message_id,
                          uint64_t now_unix) {
  return Update(now_unix, [&](std::vector<protocol::SendMessage>& messages) {
    auto held = std::find_if(messages.begin(), messages.end(),
                             [&](const protocol::SendMessage& m) {
                               return m.message_id == message_id;
                             });
    if (held == messages.end()) return false;
    messages.erase(held);
    return true;
  });
}

}  // namespace hail::client
