#include "protocol/endpoint.h"

#include <charconv>
#include <cstdio>
#include <vector>

namespace hail::protocol {

Endpoint Endpoint::Ipv4(uint32_t host_order_address, uint16_t port) {
  Endpoint e;
  e.family = Family::kIpv4;
  e.address[0] = static_cast<uint8_t>(host_order_address >> 24);
  e.address[1] = static_cast<uint8_t>(host_order_address >> 16);
  e.address[2] = static_cast<uint8_t>(host_order_address >> 8);
  e.address[3] = static_cast<uint8_t>(host_order_address);
  e.port = port;
  return e;
}

uint32_t Endpoint::Ipv4HostOrder() const {
  return uint32_t{address[0]} << 24 | uint32_t{address[1]} << 16 |
         uint32_t{address[2]} << 8 | address[3];
}

namespace {

// Address text is parsed and printed here rather than with inet_pton/ntop so
// that protocol/ stays free of socket headers.
bool ParseUnsigned(std::string_view text, int base, unsigned max,
                   unsigned* out) {
  if (text.empty()) return false;
  auto [end, ec] =
      std::from_chars(text.data(), text.data() + text.size(), *out, base);
  return ec == std::errc() && end == text.data() + text.size() && *out <= max;
}

bool ParseIpv4(std::string_view text, uint8_t* out) {
  for (int i = 0; i < 4; ++i) {
    size_t dot = text.find('.');
    std::string_view part = i < 3 ? text.substr(0, dot) : text;
    if ((i < 3) == (dot == std::string_view::npos)) return false;
    unsigned v;
    // No leading zeros: "010" is octal to some parsers and decimal to others.
    if (part.size() > 3 || (part.size() > 1 && part[0] == '0') ||
        !ParseUnsigned(part, 10, 255, &v)) {
      return false;
    }
    out[i] = static_cast<uint8_t>(v);
    if (i < 3) text.remove_prefix(dot + 1);
  }
  return true;
}

bool ParseGroups(std::string_view text, std::vector<uint16_t>* groups) {
  if (text.empty()) return true;
  while (true) {
    size_t colon = text.find(':');
    std::string_view part = text.substr(0, colon);
    unsigned v;
    if (part.size() > 4 || !ParseUnsigned(part, 16, 0xffff, &v)) return false;
    groups->push_back(static_cast<uint16_t>(v));
    if (colon == std::string_view::npos) return true;
    text.remove_prefix(colon + 1);
  }
}

bool ParseIpv6(std::string_view text, uint8_t* out) {
  std::vector<uint16_t> head, tail;
  size_t gap = text.find("::");
  if (gap == std::string_view::npos) {
    if (!ParseGroups(text, &head) || head.size() != 8) return false;
  } else {
    if (!ParseGroups(text.substr(0, gap), &head) ||
        !ParseGroups(text.substr(gap + 2), &tail) ||
        head.size() + tail.size() > 7) {
      return false;
    }
  }
  std::vector<uint16_t> all = head;
  all.resize(8 - tail.size(), 0);
  all.insert(all.end(), tail.begin(), tail.end());
  for (int i = 0; i < 8; ++i) {
    out[2 * i] = static_cast<uint8_t>(all[i] >> 8);
    out[2 * i + 1] = static_cast<uint8_t>(all[i]);
  }
  return true;
}

std::string FormatIpv6(const std::array<uint8_t, 16>& a) {
  uint16_t g[8];
  for (int i = 0; i < 8; ++i)
    g[i] = static_cast<uint16_t>(a[2 * i] << 8 | a[2 * i + 1]);
  // RFC 5952: compress the longest run (of two or more) of zero groups.
  int best = -1, best_len = 1;
  for (int i = 0; i < 8;) {
    int j = i;
    while (j < 8 && g[j] == 0) ++j;
    if (j - i > best_len) {
      best = i;
      best_len = j - i;
    }
    i = j == i ? i + 1 : j;
  }
  std::string out;
  char buf[8];
  for (int i = 0; i < 8; ++i) {
    if (i == best) {
      out += "::";
      i += best_len - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') out += ':';
    std::snprintf(buf, sizeof buf, "%x", g[i]);
    out += buf;
  }
  return out;
}

}  // namespace

std::string Endpoint::ToString() const {
  switch (family) {
    case Family::kNone:
      return "-";
    case Family::kIpv4:
      return std::to_string(address[0]) + "." + std::to_string(address[1]) +
             "." + std::to_string(address[2]) + "." +
             std::to_string(address[3]) + ":" + std::to_string(port);
    case Family::kIpv6:
      return "[" + FormatIpv6(address) + "]:" + std::to_string(port);
  }
  return "-";
}

std::optional<Endpoint> Endpoint::Parse(std::string_view text) {
  if (text == "-") return Endpoint{};
  Endpoint e;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() ||
        text[close + 1] != ':') {
      return std::nullopt;
    }
    e.family = Family::kIpv6;
    if (!ParseIpv6(text.substr(1, close - 1), e.address.data())) {
      return std::nullopt;
    }
    port_text = text.substr(close + 2);
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    e.family = Family::kIpv4;
    if (!ParseIpv4(text.substr(0, colon), e.address.data())) {
      return std::nullopt;
    }
    port_text = text.substr(colon + 1);
  }
  unsigned port;
  if (!ParseUnsigned(port_text, 10, 65535, &port)) return std::nullopt;
  e.port = static_cast<uint16_t>(port);
  return e;
}

void EncodeEndpoint(const Endpoint& endpoint, ByteWriter* writer) {
  writer->U8(static_cast<uint8_t>(endpoint.family));
  switch (endpoint.family) {
    case Endpoint::Family::kNone:
      return;
    case Endpoint::Family::kIpv4:
      writer->Raw(ByteSpan(endpoint.address.data(), 4));
      break;
    case Endpoint::Family::kIpv6:
      writer->Raw(ByteSpan(endpoint.address.data(), 16));
      break;
  }
  writer->U16(endpoint.port);
}

bool DecodeEndpoint(ByteReader* reader, Endpoint* endpoint) {
  uint8_t family;
  if (!reader->U8(&family)) return false;
  *endpoint = Endpoint{};
  size_t length;
  switch (family) {
    case 0:
      return true;
    case 4:
      length = 4;
      break;
    case 6:
      length = 16;
      break;
    default:
      return reader->Invalid();
  }
  endpoint->family = static_cast<Endpoint::Family>(family);
  ByteSpan raw;
  if (!reader->Raw(length, &raw)) return false;
  std::copy(raw.begin(), raw.end(), endpoint->address.begin());
  return reader->U16(&endpoint->port);
}

}  // namespace hail::protocol
