#include "client/known_servers.h"

#include <fmt/format.h>

#include <utility>
#include <vector>

#include "client/state_file.h"
#include "protocol/handshake.h"

namespace hail::client {
namespace {

struct Entry {
  std::string_view server;
  std::string_view fingerprint;
};

// Splits "SERVER FINGERPRINT" on ASCII spaces or tabs; nullopt for comments,
// blank lines and lines with another number of fields.
std::optional<Entry> SplitEntry(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) fields.push_back(line.substr(start, i - start));
  }
  if (fields.empty() || fields[0].front() == '#' || fields.size() != 2) {
    return std::nullopt;
  }
  return Entry{fields[0], fields[1]};
}

// The first field of a non-comment line, for spotting malformed entries.
std::string_view FirstField(std::string_view line) {
  size_t start = line.find_first_not_of(" \t");
  if (start == std::string_view::npos) return {};
  size_t end = line.find_first_of(" \t", start);
  return line.substr(start, end == std::string_view::npos ? end : end - start);
}

}  // namespace

KnownServers::KnownServers(std::filesystem::path file)
    : file_(std::move(file)) {}

Result<std::optional<protocol::PublicKey>> KnownServers::Find(
    std::string_view server) const {
  Result<std::vector<std::string>> lines = ReadLines(file_);
  if (!lines.ok()) return lines.status();
  std::optional<protocol::PublicKey> found;
  for (size_t number = 0; number < lines->size(); ++number) {
    const std::string& line = (*lines)[number];
    if (FirstField(line) != server) continue;
    std::optional<Entry> entry = SplitEntry(line);
    std::optional<protocol::PublicKey> key;
    if (entry) key = protocol::ParseFingerprint(entry->fingerprint);
    if (!key) {
      return Status::Corruption(fmt::format(
          "{} line {}: malformed entry for {} (expected '{} ed25519:HEX')",
          file_.string(), number + 1, server, server));
    }
    if (found && *found != *key) {
      return Status::Corruption(
          fmt::format("{} line {}: a second, different key for {}",
                      file_.string(), number + 1, server));
    }
    found = key;
  }
  return found;
}

Status KnownServers::Pin(std::string_view server,
                         const protocol::PublicKey& identity) {
  std::filesystem::path directory =
      file_.has_parent_path() ? file_.parent_path() : ".";
  Result<DirectoryLock> lock = DirectoryLock::Acquire(directory);
  if (!lock.ok()) return lock.status();
  Result<std::vector<std::string>> lines = ReadLines(file_);
  if (!lines.ok()) return lines.status();
  std::string content;
  for (const std::string& line : *lines) {
    if (FirstField(line) == server) continue;
    content += line;
    content += '\n';
  }
  content += fmt::format("{} {}\n", server, protocol::Fingerprint(identity));
  return ReplaceFileAtomically(file_, content);
}

}  // namespace hail::client
