#include "tools/bench/delivery_ledger.h"

#include <fmt/format.h>

#include <charconv>

namespace hail::bench {
namespace {

// Parses one space-terminated number at `*pos`, in `base`.
template <typename T>
bool Number(std::string_view text, size_t* pos, T* out, int base = 10) {
  const char* begin = text.data() + *pos;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(begin, end, *out, base);
  if (ec != std::errc() || ptr == end || *ptr != ' ') return false;
  *pos = static_cast<size_t>(ptr - text.data()) + 1;
  return true;
}

}  // namespace

std::string EncodeStamp(const MessageStamp& s, size_t size) {
  std::string text = fmt::format("hb1 {:016x} {} {} {} {} ", s.run, s.sender,
                                 s.recipient, s.seq, s.sent_ns);
  if (text.size() < size) text.append(size - text.size(), '.');
  return text;
}

std::optional<MessageStamp> DecodeStamp(std::string_view text) {
  if (text.substr(0, 4) != "hb1 ") return std::nullopt;
  size_t pos = 4;
  MessageStamp s;
  if (!Number(text, &pos, &s.run, 16) || !Number(text, &pos, &s.sender) ||
      !Number(text, &pos, &s.recipient) || !Number(text, &pos, &s.seq) ||
      !Number(text, &pos, &s.sent_ns)) {
    return std::nullopt;
  }
  return s;
}

DeliveryLedger::DeliveryLedger(uint64_t run, uint32_t clients)
    : run_(run), by_sender_(clients) {}

MessageStamp DeliveryLedger::RecordSend(uint32_t sender, uint32_t recipient,
                                        int64_t now_ns) {
  std::vector<Sent>& sent = by_sender_.at(sender);
  MessageStamp stamp{run_, sender, recipient,
                     static_cast<uint32_t>(sent.size()), now_ns};
  sent.push_back(Sent{recipient, 0});
  ++sent_;
  return stamp;
}

DeliveryLedger::Verdict DeliveryLedger::RecordDelivery(
    uint32_t at, const MessageStamp& stamp, int64_t now_ns) {
  if (stamp.run != run_) return Verdict::kOtherRun;
  if (stamp.sender >= by_sender_.size() ||
      stamp.seq >= by_sender_[stamp.sender].size()) {
    violations_.push_back(fmt::format("client {} got message {}#{} never sent",
                                      at, stamp.sender, stamp.seq));
    return Verdict::kUnknown;
  }
  Sent& sent = by_sender_[stamp.sender][stamp.seq];
  if (at != sent.recipient || stamp.recipient != sent.recipient) {
    violations_.push_back(
        fmt::format("message {}#{} for client {} arrived at client {}",
                    stamp.sender, stamp.seq, sent.recipient, at));
    return Verdict::kWrongRecipient;
  }
  if (++sent.deliveries > 1) {
    violations_.push_back(
        fmt::format("message {}#{} to client {} arrived {} times", stamp.sender,
                    stamp.seq, at, sent.deliveries));
    return Verdict::kDuplicate;
  }
  ++delivered_;
  latencies_ms_.push_back(static_cast<double>(now_ns - stamp.sent_ns) / 1e6);
  return Verdict::kOk;
}

std::vector<std::string> DeliveryLedger::Describe(bool final,
                                                  size_t limit) const {
  std::vector<std::string> lines;
  for (const std::string& v : violations_) {
    if (lines.size() >= limit) return lines;
    lines.push_back(v);
  }
  if (!final) return lines;
  for (size_t sender = 0; sender < by_sender_.size(); ++sender) {
    const std::vector<Sent>& sent = by_sender_[sender];
    for (size_t seq = 0; seq < sent.size(); ++seq) {
      if (sent[seq].deliveries != 0) continue;
      if (lines.size() >= limit) return lines;
      lines.push_back(fmt::format("message {}#{} to client {} never arrived",
                                  sender, seq, sent[seq].recipient));
    }
  }
  return lines;
}

}  // namespace hail::bench
