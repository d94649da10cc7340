// Fuzzes everything the server's UDP intercept runs on a raw datagram before
// any peer exists (SPEC.md sections 3 and 4.3): the demultiplexing rule, the
// three pre-session decoders and the ENet header and CONNECT parsers.
#include <sodium.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>

#include "protocol/enet_wire.h"
#include "protocol/presession.h"

namespace {

namespace protocol = hail::protocol;
namespace enet_wire = hail::protocol::enet_wire;
using protocol::ByteSpan;

void Check(bool condition) {
  if (!condition) std::abort();
}

const protocol::CookieMinter& Minter() {
  static const protocol::CookieMinter minter([] {
    std::array<uint8_t, 32> secret;
    secret.fill(0x44);
    return secret;
  }());
  return minter;
}

void FuzzPresession(ByteSpan datagram) {
  protocol::DatagramClass kind = protocol::ClassifyDatagram(datagram);
  std::optional<protocol::HelloDatagram> hello =
      protocol::DecodeHello(datagram);
  std::optional<protocol::CookieDatagram> cookie =
      protocol::DecodeCookie(datagram);
  std::optional<protocol::PresessionRejectDatagram> reject =
      protocol::DecodePresessionReject(datagram);
  // At most one decoder accepts a datagram, and only a "HAIL" one.
  Check(int{hello.has_value()} + int{cookie.has_value()} +
            int{reject.has_value()} <=
        1);
  if (hello || cookie || reject) {
    Check(kind == protocol::DatagramClass::kHail);
  }
  // Every accepted datagram is canonical: re-encoding gives it back.
  if (hello) {
    Check(datagram.size() == protocol::kHelloSize);
    Check(protocol::EncodeHello(*hello) ==
          protocol::Bytes(datagram.begin(), datagram.end()));
  }
  if (cookie) {
    Check(protocol::EncodeCookie(*cookie) ==
          protocol::Bytes(datagram.begin(), datagram.end()));
  }
  if (reject) {
    Check(protocol::EncodePresessionReject(*reject) ==
          protocol::Bytes(datagram.begin(), datagram.end()));
  }
}

void FuzzEnet(ByteSpan datagram) {
  for (bool with_checksum : {true, false}) {
    std::optional<enet_wire::Header> header =
        enet_wire::ParseHeader(datagram, with_checksum);
    std::optional<enet_wire::Connect> connect =
        enet_wire::ParsePeerlessConnect(datagram, with_checksum);
    if (header) {
      Check(header->size <= datagram.size());
      Check(header->peer_id <= enet_wire::kPeerIdMask);
    }
    if (connect) {
      Check(header.has_value());
      Check(header->peer_id == enet_wire::kNoPeerId);
      Check(!header->compressed);
      Check(datagram.size() >= header->size + enet_wire::kConnectCommandSize);
      // What the server's intercept does next; must not crash whatever the
      // data.
      protocol::Endpoint source = protocol::Endpoint::Ipv4(0xc6336407, 51000);
      (void)Minter().Verify(source, connect->data, 1764547200);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (sodium_init() < 0) std::abort();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteSpan datagram(data, size);
  FuzzPresession(datagram);
  FuzzEnet(datagram);
  return 0;
}
