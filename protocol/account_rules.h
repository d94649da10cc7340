// Username and password rules of SPEC.md section "Accounts". Shared by the
// server (which enforces them) and clients (which check before sending).
#ifndef HAIL_PROTOCOL_ACCOUNT_RULES_H_
#define HAIL_PROTOCOL_ACCOUNT_RULES_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace hail::protocol {

inline constexpr size_t kUsernameMinLength = 3;
inline constexpr size_t kUsernameMaxLength = 32;
inline constexpr size_t kPasswordMinLength = 8;
inline constexpr size_t kPasswordMaxLength = 128;
inline constexpr size_t kClientVersionMaxLength = 64;

// Returns the canonical (ASCII-lowercased) username, or nullopt when the name
// breaks the rules: 3..32 bytes of [A-Za-z0-9._-], starting with a letter.
std::optional<std::string> NormalizeUsername(std::string_view name);

// True when the password is 8..128 bytes of valid UTF-8 with no NUL byte.
bool IsAcceptablePassword(std::string_view password);

// True when `text` is well-formed UTF-8 (no overlongs, no surrogates).
bool IsValidUtf8(std::string_view text);

// True when `version` is 1..64 bytes of printable ASCII (0x20..0x7e).
bool IsAcceptableClientVersion(std::string_view version);

}  // namespace hail::protocol

#endif  // HAIL_PROTOCOL_ACCOUNT_RULES_H_
