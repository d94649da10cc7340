// Small checks shared by hail-conform's rules: wait for an answer of one
// kind and say precisely what came instead.
#ifndef HAIL_TOOLS_CONFORM_CHECKS_H_
#define HAIL_TOOLS_CONFORM_CHECKS_H_

#include <optional>
#include <string>

#include "tools/conform/rule.h"

namespace hail::conform {

// What the client holds that was not taken, for failure messages.
inline std::string Seen(const WireClient& client) {
  if (client.kept().empty()) {
    return client.closed() ? fmt::format("the connection closed (data {})",
                                         client.close_data())
                           : std::string("nothing");
  }
  std::string out;
  for (const Received& r : client.kept()) {
    if (!out.empty()) out += "; ";
    out += Show(r.message);
  }
  return out;
}

// Waits for ERROR{offending_kind == kind}; fails unless it says `code`.
// With `request_id`, the ERROR must echo it.
inline Outcome ExpectError(WireClient& client, uint16_t kind,
                           protocol::ErrorCode code, int timeout_ms,
                           std::optional<uint32_t> request_id = {}) {
  auto error = client.Wait<protocol::ErrorMessage>(
      timeout_ms, [kind](const protocol::ErrorMessage& e) {
        return e.offending_kind == kind;
      });
  if (!error) {
    return Fail("expected ERROR{{kind {:#06x}, {}}}, saw {}", kind,
                protocol::ErrorCodeName(code), Seen(client));
  }
  if (error->error != code ||
      (request_id && error->request_id != *request_id)) {
    return Fail("expected ERROR{{request_id {}, kind {:#06x}, {}}}, got {}",
                request_id ? std::to_string(*request_id) : "any", kind,
                protocol::ErrorCodeName(code), Show(*error));
  }
  return Pass();
}

// PING with a fresh nonce; passes when the PONG echoes it.
inline Outcome ExpectAlive(WireClient& client, int timeout_ms) {
  const uint64_t nonce = WireClient::NowMs() * 7919 + 17;
  client.Send(protocol::Ping{nonce});
  auto pong = client.Wait<protocol::Pong>(
      timeout_ms,
      [nonce](const protocol::Pong& p) { return p.nonce == nonce; });
  if (!pong) {
    return Fail("the session did not answer a PING afterwards; saw {}",
                Seen(client));
  }
  return Pass();
}

// The REQUEST_RESULT for `request_id`, or a failure naming what came.
inline Outcome ExpectResult(WireClient& client, uint32_t request_id,
                            protocol::ErrorCode code, int timeout_ms) {
  auto result = client.Wait<protocol::RequestResult>(
      timeout_ms, [request_id](const protocol::RequestResult& r) {
        return r.request_id == request_id;
      });
  if (!result) {
    return Fail("no REQUEST_RESULT{{request_id {}}}; saw {}", request_id,
                Seen(client));
  }
  if (result->error != code) {
    return Fail("expected REQUEST_RESULT{{{}}}, got {}",
                protocol::ErrorCodeName(code), Show(*result));
  }
  return Pass();
}

inline bool Failed(const Outcome& o) {
  return o.verdict != Outcome::Verdict::kPass;
}

#define HAIL_CHECK(expr)                        \
  do {                                          \
    ::hail::conform::Outcome o_ = (expr);       \
    if (::hail::conform::Failed(o_)) return o_; \
  } while (0)

#define HAIL_REQUIRE_OK(result)                                  \
  do {                                                           \
    if (!(result).ok()) {                                        \
      return ::hail::conform::Fail("setup failed: {}",           \
                                   (result).status().message()); \
    }                                                            \
  } while (0)

}  // namespace hail::conform

#endif  // HAIL_TOOLS_CONFORM_CHECKS_H_
