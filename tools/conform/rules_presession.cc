// Rules of SPEC.md section 3 (one UDP port): pre-session datagrams, the
// no-amplification rule, CONNECT admission by cookie, STUN.
#include <sodium.h>

#include "protocol/presession.h"
#include "protocol/stun.h"
#include "tools/conform/rule.h"
#include "tools/conform/udp_probe.h"

namespace hail::conform {
namespace {

using protocol::Bytes;

uint64_t Nonce() {
  uint64_t n = 0;
  randombytes_buf(&n, sizeof n);
  return n;
}

std::string Hex(const Bytes& bytes) {
  std::string out;
  for (uint8_t b : bytes) out += fmt::format("{:02x}", b);
  return out;
}

Result<std::unique_ptr<UdpProbe>> Probe(Context& ctx) {
  return UdpProbe::Open(ctx.target().host, ctx.target().port,
                        ctx.SpareSource());
}

// Sends `datagram` and expects no answer at all within 1 s.
Outcome ExpectSilence(Context& ctx, const Bytes& datagram,
                      const std::string& what) {
  auto probe = Probe(ctx);
  if (!probe.ok()) return Skip("{}", probe.status().message());
  (*probe)->Send(datagram);
  if (auto reply = (*probe)->Receive(1000)) {
    return Fail("{} was answered with {} bytes: {}", what, reply->size(),
                Hex(*reply));
  }
  return Pass();
}

}  // namespace

HAIL_RULE(
    "3.7", "hello-gets-one-cookie-smaller-than-it",
    "a HELLO of version 1 gets exactly one 20-byte COOKIE with its nonce") {
  auto probe = Probe(ctx);
  if (!probe.ok()) return Skip("{}", probe.status().message());
  const uint64_t nonce = Nonce();
  Bytes hello = protocol::EncodeHello({1, nonce});
  (*probe)->Send(hello);
  auto reply = (*probe)->Receive(ctx.timeout_ms());
  if (!reply) return Fail("no answer to a HELLO");
  if (reply->size() != protocol::kCookieSize) {
    return Fail("the answer has {} bytes, not 20: {}", reply->size(),
                Hex(*reply));
  }
  auto cookie = protocol::DecodeCookie(*reply);
  if (!cookie) return Fail("the answer is not a COOKIE: {}", Hex(*reply));
  if (cookie->client_nonce != nonce) {
    return Fail("the COOKIE carries nonce {:016x}, not ours {:016x}",
                cookie->client_nonce, nonce);
  }
  if (auto second = (*probe)->Receive(500)) {
    return Fail("a second datagram answered one HELLO: {}", Hex(*second));
  }
  return Pass();
}

HAIL_RULE("3.7", "hello-of-another-version-gets-reject",
          "a HELLO of version 2 gets one 16-byte REJECT naming version 1") {
  auto probe = Probe(ctx);
  if (!probe.ok()) return Skip("{}", probe.status().message());
  const uint64_t nonce = Nonce();
  (*probe)->Send(protocol::EncodeHello({2, nonce}));
  auto reply = (*probe)->Receive(ctx.timeout_ms());
  if (!reply) return Fail("no answer to a HELLO of version 2");
  auto reject = protocol::DecodePresessionReject(*reply);
  if (!reject || reply->size() != protocol::kPresessionRejectSize) {
    return Fail("the answer is not a 16-byte REJECT: {}", Hex(*reply));
  }
  if (reject->client_nonce != nonce || reject->highest_version != 1) {
    return Fail(
        "REJECT{{highest_version {}, nonce {:016x}}}, expected 1 and {:016x}",
        reject->highest_version, reject->client_nonce, nonce);
  }
  return Pass();
}

HAIL_RULE("3.5", "hello-with-nonzero-padding-is-dropped",
          "a HELLO with a non-zero padding byte gets no answer") {
  Bytes hello = protocol::EncodeHello({1, Nonce()});
  hello.back() = 1;
  return ExpectSilence(ctx, hello, "a HELLO with padding byte 63 = 01");
}

HAIL_RULE("3.5", "hello-of-wrong-size-is-dropped",
          "a HELLO one byte short or one byte long gets no answer") {
  Bytes hello = protocol::EncodeHello({1, Nonce()});
  Bytes shorter(hello.begin(), hello.end() - 1);
  if (Outcome o = ExpectSilence(ctx, shorter, "a 63-byte HELLO");
      o.verdict != Outcome::Verdict::kPass) {
    return o;
  }
  Bytes longer = hello;
  longer.push_back(0);
  return ExpectSilence(ctx, longer, "a 65-byte HELLO");
}

HAIL_RULE("3.7", "cookie-datagram-sent-to-server-is-dropped",
          "a COOKIE or REJECT datagram sent to the server gets no answer") {
  Bytes cookie = protocol::EncodeCookie({1, Nonce(), 1234, 60});
  if (Outcome o = ExpectSilence(ctx, cookie, "a COOKIE datagram");
      o.verdict != Outcome::Verdict::kPass) {
    return o;
  }
  return ExpectSilence(ctx, protocol::EncodePresessionReject({1, Nonce()}),
                       "a REJECT datagram");
}

HAIL_RULE(
    "4.3", "connect-with-a-wrong-cookie-gets-nothing",
    "an ENet CONNECT whose data is not a valid cookie is never answered") {
  Target target = ctx.target();
  target.local_host = ctx.SpareSource();
  auto enet =
      client::EnetTransport::Open(target.host, target.port, target.local_host);
  if (!enet.ok()) return Skip("{}", enet.status().message());
  uint32_t wrong = 0;
  randombytes_buf(&wrong, sizeof wrong);
  (*enet)->Connect(wrong);
  const uint64_t deadline = WireClient::NowMs() + 2500;
  while (WireClient::NowMs() < deadline) {
    client::TransportEvent event = (*enet)->Service(50);
    if (event.type == client::TransportEvent::Type::kConnected) {
      return Fail("a CONNECT with data {:08x} (no cookie) was admitted", wrong);
    }
  }
  return Pass();
}

HAIL_RULE(
    "3.4", "stun-binding-request-gets-our-address",
    "a STUN Binding request on the server's port gets a success response "
    "with our address in XOR-MAPPED-ADDRESS, at most 1.6 times its size") {
  auto probe = Probe(ctx);
  if (!probe.ok()) return Skip("{}", probe.status().message());
  protocol::stun::BindingRequest request;
  randombytes_buf(request.transaction.id.data(), request.transaction.id.size());
  request.software_size = protocol::stun::kHailSoftwareSize;
  Bytes datagram = protocol::stun::EncodeBindingRequest(request);
  (*probe)->Send(datagram);
  auto reply = (*probe)->Receive(ctx.timeout_ms());
  if (!reply)
    return Fail("no answer to a {}-byte Binding request", datagram.size());
  auto response = protocol::stun::DecodeBindingResponse(*reply);
  if (!response || !response->success) {
    return Fail("not a Binding success response: {}", Hex(*reply));
  }
  if (response->transaction != request.transaction) {
    return Fail("the response carries another transaction id");
  }
  if (reply->size() * 10 > datagram.size() * 16) {
    return Fail("the response has {} bytes for a {}-byte request (over 1.6x)",
                reply->size(), datagram.size());
  }
  if (ctx.target().host.rfind("127.", 0) == 0 &&
      response->mapped != (*probe)->local()) {
    return Fail("XOR-MAPPED-ADDRESS says {}, we sent from {}",
                response->mapped.ToString(), (*probe)->local().ToString());
  }
  return Pass();
}

}  // namespace hail::conform
