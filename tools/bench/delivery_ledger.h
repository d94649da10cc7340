// What hail-bench sent and what arrived, to check every run: each message
// must reach its addressed recipient exactly once. The text of every bench
// message names the run, sender, recipient, per-sender sequence and send
// time (steady clock of this process), so a delivery can be judged and timed
// from the text alone. One ledger belongs to one thread (one ClientPool);
// senders and recipients of a ledger's messages are in the same pool.
#ifndef HAIL_TOOLS_BENCH_DELIVERY_LEDGER_H_
#define HAIL_TOOLS_BENCH_DELIVERY_LEDGER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hail::bench {

struct MessageStamp {
  uint64_t run = 0;
  uint32_t sender = 0;
  uint32_t recipient = 0;
  uint32_t seq = 0;
  int64_t sent_ns = 0;
};

// "hb1 RUN SENDER RECIPIENT SEQ SENT_NS " padded with '.' to `size` bytes
// (never shorter than the stamp itself).
std::string EncodeStamp(const MessageStamp& stamp, size_t size);
// nullopt when `text` is not a bench stamp.
std::optional<MessageStamp> DecodeStamp(std::string_view text);

class DeliveryLedger {
 public:
  enum class Verdict : uint8_t {
    kOk,
    kOtherRun,        // a leftover of an earlier run: not counted
    kUnknown,         // this run's stamp, but never sent
    kWrongRecipient,  // arrived at someone it was not addressed to
    kDuplicate,       // arrived a second time
  };

  // Indices of senders and recipients are below `clients`.
  DeliveryLedger(uint64_t run, uint32_t clients);

  uint64_t run() const { return run_; }
  // Records a send now; returns its stamp (the caller puts it in the text).
  MessageStamp RecordSend(uint32_t sender, uint32_t recipient, int64_t now_ns);
  // Judges a delivery to `at` and, when kOk, records its latency.
  Verdict RecordDelivery(uint32_t at, const MessageStamp& stamp,
                         int64_t now_ns);

  uint64_t sent() const { return sent_; }
  uint64_t delivered() const { return delivered_; }
  uint64_t outstanding() const { return sent_ - delivered_; }
  uint64_t violations() const { return violations_.size(); }
  // Send -> delivery, milliseconds, in arrival order.
  const std::vector<double>& latencies_ms() const { return latencies_ms_; }
  // One line per violation seen so far plus, when `final`, one per message
  // never delivered; at most `limit` lines (the count is exact elsewhere).
  std::vector<std::string> Describe(bool final, size_t limit) const;

 private:
  struct Sent {
    uint32_t recipient;
    uint32_t deliveries;
  };
  uint64_t run_;
  std::vector<std::vector<Sent>> by_sender_;  // [sender][seq]
  uint64_t sent_ = 0;
  uint64_t delivered_ = 0;
  std::vector<double> latencies_ms_;
  std::vector<std::string> violations_;
};

}  // namespace hail::bench

#endif  // HAIL_TOOLS_BENCH_DELIVERY_LEDGER_H_
