#include "server/forward/mail_message.h"

#include <fmt/format.h>

#include <ctime>

namespace hail::server::forward {
namespace {

constexpr char kBase64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string Base64(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = (static_cast<uint8_t>(bytes[i]) << 16) |
                 (static_cast<uint8_t>(bytes[i + 1]) << 8) |
                 static_cast<uint8_t>(bytes[i + 2]);
    out += kBase64[v >> 18];
    out += kBase64[(v >> 12) & 63];
    out += kBase64[(v >> 6) & 63];
    out += kBase64[v & 63];
  }
  if (size_t left = bytes.size() - i; left > 0) {
    uint32_t v = static_cast<uint8_t>(bytes[i]) << 16;
    if (left == 2) v |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    out += kBase64[v >> 18];
    out += kBase64[(v >> 12) & 63];
    out += left == 2 ? kBase64[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

bool IsPrintableAscii(std::string_view text) {
  for (char c : text) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

// Length of the UTF-8 sequence that starts with `lead` (1 for a stray
// continuation byte, so that malformed input still advances).
size_t SequenceLength(uint8_t lead) {
  if (lead >= 0xf0) return 4;
  if (lead >= 0xe0) return 3;
  if (lead >= 0xc0) return 2;
  return 1;
}

// Lone LF becomes CRLF: the canonical form of text before base64.
std::string CanonicalLines(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 32);
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) out += '\r';
    out += text[i];
  }
  return out;
}

// The first words of the text for the subject: one line, at most 60
// characters (code points), "..." when cut.
std::string Snippet(std::string_view text) {
  std::string out;
  size_t chars = 0;
  for (size_t i = 0; i < text.size();) {
    if (chars == 60) return out + "...";
    size_t n = std::min(SequenceLength(static_cast<uint8_t>(text[i])),
                        text.size() - i);
    char c = text[i];
    if (n == 1 && (c == '\n' || c == '\r' || c == '\t')) {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else if (n > 1 || (c >= 0x20 && c != 0x7f)) {
      out.append(text.substr(i, n));
    }
    i += n;
    ++chars;
  }
  return out;
}

std::string Domain(const MailIdentity& identity) {
  if (!identity.message_id_domain.empty()) return identity.message_id_domain;
  size_t at = identity.from_address.rfind('@');
  if (at == std::string::npos) return "hail.invalid";
  return identity.from_address.substr(at + 1);
}

}  // namespace

bool IsForwardableMailAddress(std::string_view address) {
  if (address.empty() || address.size() > 254) return false;
  size_t at = address.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 >= address.size() ||
      address.find('@', at + 1) != std::string_view::npos) {
    return false;
  }
  for (char c : address) {
    if (c <= 0x20 || c >= 0x7f) return false;
    if (std::string_view("\"<>(),;:[]\\").find(c) != std::string_view::npos) {
      return false;
    }
  }
  std::string_view domain = address.substr(at + 1);
  return domain.find('.') != std::string_view::npos && domain.front() != '.' &&
         domain.back() != '.';
}

std::string Base64Lines(std::string_view bytes) {
  std::string encoded = Base64(bytes);
  std::string out;
  for (size_t i = 0; i < encoded.size(); i += 76) {
    out.append(encoded, i, 76);
    out += "\r\n";
  }
  return out;
}

std::string EncodeHeaderText(std::string_view text) {
  if (IsPrintableAscii(text)) return std::string(text);
  // "=?UTF-8?B?" + base64 + "?=" within 75 characters leaves 63 for the
  // base64, that is 45 bytes of text; chunks end on sequence boundaries.
  constexpr size_t kMaxBytes = 45;
  std::string out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = start;
    while (end < text.size()) {
      size_t n = SequenceLength(static_cast<uint8_t>(text[end]));
      if (end + n - start > kMaxBytes) break;
      end += n;
    }
    if (end == start) end = std::min(text.size(), start + kMaxBytes);
    end = std::min(end, text.size());
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + Base64(text.substr(start, end - start)) + "?=";
    start = end;
  }
  return out;
}

std::string MailDate(uint64_t unix_seconds) {
  static const char* kDays[] = {"Sun", "Mon", "Tue", "Wed",
                                "Thu", "Fri", "Sat"};
  static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  time_t t = static_cast<time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{}, {:02} {} {} {:02}:{:02}:{:02} +0000",
                     kDays[tm.tm_wday], tm.tm_mday, kMonths[tm.tm_mon],
                     tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string ComposeMail(const ForwardJob& job, const MailIdentity& identity) {
  time_t t = static_cast<time_t>(job.sent_unix);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::string when =
      fmt::format("{}-{:02}-{:02} {:02}:{:02} UTC", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min);
  std::string body =
      job.is_code
          ? fmt::format(
                "{}\n\nSomeone asked the Hail server {} to forward offline "
                "messages of the Hail user {} to this address. If that was "
                "not you, ignore this e-mail: nothing else is sent here "
                "unless the code is typed into Hail.\n",
                job.text, job.sender, job.recipient)
          : fmt::format(
                "{} wrote to you ({}) on Hail, {}:\n\n{}\n\n-- \n"
                "Forwarded by Hail because this message waited while you were "
                "offline.\n"
                "This copy left Hail's encrypted connections. The message "
                "stays in "
                "your\n"
                "Hail mailbox until you read it there. Replies to this e-mail "
                "are not "
                "read.\n",
                job.sender, job.recipient, when, job.text);
  std::string out;
  out += "Date: " + MailDate(job.sent_unix) + "\r\n";
  out += "From: " +
         EncodeHeaderText(job.is_code ? std::string("Hail")
                                      : job.sender + " via Hail") +
         " <" + identity.from_address + ">\r\n";
  out += "To: <" + job.address + ">\r\n";
  out += "Subject: " +
         EncodeHeaderText(job.is_code
                              ? job.text
                              : job.sender + " on Hail: " + Snippet(job.text)) +
         "\r\n";
  out += "Message-ID: <" + job.job_key + "@" + Domain(identity) + ">\r\n";
  out += "Auto-Submitted: auto-generated\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: text/plain; charset=UTF-8\r\n";
  out += "Content-Transfer-Encoding: base64\r\n";
  out += "\r\n";
  out += Base64Lines(CanonicalLines(body));
  return out;
}

}  // namespace hail::server::forward
