#include "client/server_address.h"

#include <fmt/format.h>

#include <charconv>

namespace hail::client {
namespace {

bool IsHostCharacter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '-' || c == '_';
}

}  // namespace

std::string ServerAddress::ToString() const {
  return fmt::format("{}:{}", host, port);
}

Result<ServerAddress> ParseServerAddress(std::string_view text) {
  if (!text.empty() && text.front() == '[') {
    return Status::InvalidArgument(fmt::format(
        "server address '{}': IPv6 is not supported (ENet 1.3 is IPv4 only)",
        text));
  }
  ServerAddress address;
  std::string_view host_text = text;
  size_t colon = text.find(':');
  if (colon != std::string_view::npos) {
    host_text = text.substr(0, colon);
    std::string_view port_text = text.substr(colon + 1);
    unsigned port = 0;
    auto [end, error] = std::from_chars(
        port_text.data(), port_text.data() + port_text.size(), port);
    if (port_text.empty() || error != std::errc() ||
        end != port_text.data() + port_text.size() || port == 0 ||
        port > 65535) {
      return Status::InvalidArgument(fmt::format(
          "server address '{}': the port must be a number from 1 to 65535",
          text));
    }
    address.port = static_cast<uint16_t>(port);
  }
  if (host_text.empty()) {
    return Status::InvalidArgument(
        fmt::format("server address '{}': the host is missing", text));
  }
  address.host.clear();
  for (char c : host_text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (!IsHostCharacter(c)) {
      return Status::InvalidArgument(fmt::format(
          "server address '{}': expected HOST:PORT with a DNS name or IPv4 "
          "address",
          text));
    }
    address.host.push_back(c);
  }
  return address;
}

}  // namespace hail::client
