// Fuzzes the STUN codec as the server and the client run it (SPEC.md 3.4):
// Decode in both modes, the server's AnswerBinding, whose reply must never
// break the 1.6x budget of SPEC.md 3.7 nor be a reply to something that is
// not a Binding request, and the client's DecodeBindingResponse.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>

#include "protocol/endpoint.h"
#include "protocol/stun.h"

namespace {

namespace protocol = hail::protocol;
namespace stun = hail::protocol::stun;
using protocol::ByteSpan;

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteSpan datagram(data, size);
  stun::DecodeResult strict = stun::Decode(datagram, /*allow_classic=*/false);
  stun::DecodeResult classic = stun::Decode(datagram, /*allow_classic=*/true);
  // Allowing classic requests only ever accepts more.
  if (strict.message) Check(classic.message.has_value());
  for (const stun::Attribute& a : classic.message
                                      ? classic.message->attributes
                                      : std::vector<stun::Attribute>{}) {
    // Attribute values view the datagram.
    Check(a.value.empty() || (a.value.data() >= data &&
                              a.value.data() + a.value.size() <= data + size));
    stun::AttributeName(a.type);
  }
  const protocol::Endpoint source = protocol::Endpoint::Ipv4(0xc6336407, 51000);
  const protocol::Endpoint local = protocol::Endpoint::Ipv4(0xcb007105, 4000);
  const protocol::Endpoint other = protocol::Endpoint::Ipv4(0xcb007105, 4001);
  stun::ServerReply reply = stun::AnswerBinding(datagram, source, local, other);
  switch (reply.outcome) {
    case stun::ServerReply::Outcome::kAnswered:
    case stun::ServerReply::Outcome::kErrorAnswered:
      Check(classic.message.has_value());
      Check(!reply.datagram.empty());
      Check(reply.datagram.size() <= stun::ResponseBudget(size));
      // What the server sends decodes as STUN, and a success as a response
      // our client can read.
      Check(stun::Decode(reply.datagram, true).message.has_value());
      if (reply.outcome == stun::ServerReply::Outcome::kAnswered &&
          !classic.message->transaction.classic()) {
        std::optional<stun::BindingResponse> read =
            stun::DecodeBindingResponse(reply.datagram);
        Check(read.has_value() && read->success);
        Check(read->mapped == source);
      }
      break;
    case stun::ServerReply::Outcome::kMalformed:
      // The server is stricter than Decode (a classic request has the
      // shape of SPEC.md 3.2); either way, nothing is sent.
      Check(reply.datagram.empty());
      break;
    case stun::ServerReply::Outcome::kTooLarge:
    case stun::ServerReply::Outcome::kIgnored:
      Check(reply.datagram.empty());
      break;
  }
  stun::DecodeBindingResponse(datagram);
  return 0;
}
