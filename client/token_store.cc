#include "client/token_store.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <utility>
#include <vector>

#include "client/state_file.h"
#include "protocol/account_rules.h"
#include "protocol/byte_io.h"

namespace hail::client {
namespace {

std::vector<std::string_view> SplitFields(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) fields.push_back(line.substr(start, i - start));
  }
  return fields;
}

// Parses one entry line; nullopt for anything else.
std::optional<StoredToken> ParseEntry(std::string_view line) {
  std::vector<std::string_view> fields = SplitFields(line);
  if (fields.size() != 4 || fields[0].front() == '#') return std::nullopt;
  StoredToken entry;
  entry.server = std::string(fields[0]);
  entry.username = std::string(fields[1]);
  protocol::Bytes raw;
  if (fields[2].size() != 2 * entry.token.size() ||
      !protocol::FromHex(fields[2], &raw) || raw.size() != entry.token.size()) {
    return std::nullopt;
  }
  std::copy(raw.begin(), raw.end(), entry.token.begin());
  std::string_view expires = fields[3];
  auto [end, error] = std::from_chars(
      expires.data(), expires.data() + expires.size(), entry.expires_unix);
  if (error != std::errc() || end != expires.data() + expires.size()) {
    return std::nullopt;
  }
  return entry;
}

std::string FormatEntry(const StoredToken& entry) {
  return fmt::format("{} {} {} {}\n", entry.server, entry.username,
                     protocol::ToHex(entry.token), entry.expires_unix);
}

}  // namespace

TokenStore::TokenStore(std::filesystem::path file) : file_(std::move(file)) {}

Result<std::optional<StoredToken>> TokenStore::Find(std::string_view server,
                                                    std::string_view username,
                                                    uint64_t now_unix) const {
  std::optional<std::string> canonical = protocol::NormalizeUsername(username);
  if (!canonical) {
    return Status::InvalidArgument(
        fmt::format("'{}' is not a valid username", username));
  }
  Result<std::vector<std::string>> lines = ReadLines(file_);
  if (!lines.ok()) return lines.status();
  std::optional<StoredToken> found;
  for (const std::string& line : *lines) {
    std::optional<StoredToken> entry = ParseEntry(line);
    if (entry && entry->server == server && entry->username == *canonical &&
        entry->expires_unix > now_unix) {
      found = std::move(entry);  // the last entry wins
    }
  }
  return found;
}

Result<std::vector<std::string>> TokenStore::Usernames(
    std::string_view server, uint64_t now_unix) const {
  Result<std::vector<std::string>> lines = ReadLines(file_);
  if (!lines.ok()) return lines.status();
  std::vector<std::string> names;
  for (const std::string& line : *lines) {
    std::optional<StoredToken> entry = ParseEntry(line);
    if (entry && entry->server == server && entry->expires_unix > now_unix &&
        protocol::NormalizeUsername(entry->username) == entry->username) {
      names.push_back(std::move(entry->username));
    }
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

Status TokenStore::Put(const StoredToken& token, uint64_t now_unix) {
  return Rewrite(token.server, token.username, token, now_unix);
}

Status TokenStore::Remove(std::string_view server, std::string_view username,
                          uint64_t now_unix) {
  std::optional<std::string> canonical = protocol::NormalizeUsername(username);
  if (!canonical) {
    return Status::InvalidArgument(
        fmt::format("'{}' is not a valid username", username));
  }
  return Rewrite(server, *canonical, std::nullopt, now_unix);
}

Status TokenStore::Rewrite(std::string_view server, std::string_view username,
                           const std::optional<StoredToken>& extra,
                           uint64_t now_unix) {
  std::filesystem::path directory =
      file_.has_parent_path() ? file_.parent_path() : ".";
  Result<DirectoryLock> lock = DirectoryLock::Acquire(directory);
  if (!lock.ok()) return lock.status();
  Result<std::vector<std::string>> lines = ReadLines(file_);
  if (!lines.ok()) return lines.status();
  std::string content;
  for (const std::string& line : *lines) {
    std::optional<StoredToken> entry = ParseEntry(line);
    if (entry && ((entry->server == server && entry->username == username) ||
                  entry->expires_unix <= now_unix)) {
      continue;
    }
    content += line;
    content += '\n';
  }
  if (extra) content += FormatEntry(*extra);
  return ReplaceFileAtomically(file_, content);
}

}  // namespace hail::client
