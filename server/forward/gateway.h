// Extended delivery (SPEC.md section 17): a message that waited in an
// offline user's mailbox is handed, on that user's rules, to a real
// gateway that carries it out of Hail: an SMTP server (e-mail), Kannel
// (SMS) or HylaFAX (fax). This is what every gateway implements.
//
// A gateway is called on a gateway worker thread, never on a network loop:
// Send blocks for as long as the gateway takes (bounded by its own
// timeout). The caller has already made the job durable; Send must be safe
// to call again for the same job after a crash (see job_key).
#ifndef HAIL_SERVER_FORWARD_GATEWAY_H_
#define HAIL_SERVER_FORWARD_GATEWAY_H_

#include <cstdint>
#include <string>

#include "protocol/forward_rules.h"

namespace hail::server::forward {

// The channels of SPEC.md 17.1, as the protocol numbers them.
using Channel = protocol::ForwardChannel;

// "email", "sms", "fax".
inline std::string ChannelName(Channel channel) {
  return protocol::ForwardChannelName(static_cast<uint8_t>(channel));
}

// One forwarded message on one channel.
struct ForwardJob {
  // Unique per message and channel, stable across retries and restarts:
  // the idempotency key the gateway passes on (Message-ID for mail, the
  // DLR reference for SMS, the job identifier for fax). Printable ASCII,
  // [A-Za-z0-9.-] only, at most 64 characters.
  std::string job_key;
  // The destination exactly as the recipient registered it: an e-mail
  // address, or a phone or fax number in E.164 form ("+4915112345678").
  std::string address;
  // The Hail username of the message's sender, shown as who wrote it.
  std::string sender;
  // The Hail username of the recipient (for the greeting, the subject).
  std::string recipient;
  // The message text, UTF-8, as the sender wrote it (1..4096 bytes,
  // SPEC.md 11.34). A gateway that cannot carry all of it cuts it at its
  // documented limit and says so in the text it sends and in
  // GatewayAnswer::cut.
  std::string text;
  // When the sender sent it (Unix seconds, UTC).
  uint64_t sent_unix = 0;
  // A verification code from the server (SPEC.md 17.3), not a message:
  // `sender` is the server's name and `text` the code's text.
  bool is_code = false;
};

struct GatewayAnswer {
  enum class Kind : uint8_t {
    kAccepted,  // the gateway took the job; `reference` names it there
    kRetry,     // temporary: gateway down, busy, timed out; try later
    kRejected,  // permanent: the gateway refused this job; do not retry
  };
  Kind kind = Kind::kRetry;
  // kAccepted: the gateway's reference (SMTP queue answer, Kannel's
  // answer, HylaFAX job id). Otherwise: why, for logs and the sender.
  std::string detail;
  // The text was cut to fit the channel (the sent text says so too).
  bool cut = false;
};

class Gateway {
 public:
  virtual ~Gateway() = default;
  virtual Channel channel() const = 0;
  // Hands `job` to the gateway. Blocking; gateway worker threads only.
  virtual GatewayAnswer Send(const ForwardJob& job) = 0;
};

}  // namespace hail::server::forward

#endif  // HAIL_SERVER_FORWARD_GATEWAY_H_
