#include "protocol/stream_framing.h"

#include "protocol/registry.h"

namespace hail::protocol::stream {

std::string_view StreamErrorName(StreamError error) {
  switch (error) {
    case StreamError::kNone:
      return "none";
    case StreamError::kEmptyRecord:
      return "empty_record";
    case StreamError::kOversized:
      return "oversized";
    case StreamError::kUnknownChannel:
      return "unknown_channel";
    case StreamError::kBadClose:
      return "bad_close";
  }
  return "unknown";
}

Bytes EncodeFrameRecord(uint8_t channel, ByteSpan frame) {
  if (channel >= kChannelCount || frame.empty() ||
      frame.size() > kMaxFrameSize) {
    return {};
  }
  Bytes out;
  out.reserve(kLengthSize + 1 + frame.size());
  ByteWriter w(&out);
  w.U32(static_cast<uint32_t>(1 + frame.size()));
  w.U8(channel);
  w.Raw(frame);
  return out;
}

Bytes EncodeCloseRecord(uint16_t code) {
  Bytes out;
  ByteWriter w(&out);
  w.U32(kCloseRecordLength);
  w.U8(kCloseChannel);
  w.U16(code);
  return out;
}

void StreamDecoder::Append(ByteSpan bytes) {
  if (error_ != StreamError::kNone || closed_) return;
  // Drop what was consumed before growing, so the buffer stays bounded.
  if (consumed_ > 0) {
    buffer_.erase(buffer_.begin(),
                  buffer_.begin() + static_cast<ptrdiff_t>(consumed_));
    consumed_ = 0;
  }
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

std::optional<Record> StreamDecoder::Next() {
  if (error_ != StreamError::kNone || closed_) return std::nullopt;
  ByteReader r(ByteSpan(buffer_).subspan(consumed_));
  uint32_t length = 0;
  if (!r.U32(&length)) return std::nullopt;
  if (length < 2) {
    error_ = StreamError::kEmptyRecord;
    return std::nullopt;
  }
  if (length > kMaxRecordLength) {
    error_ = StreamError::kOversized;
    return std::nullopt;
  }
  uint8_t channel = 0;
  if (!r.U8(&channel)) return std::nullopt;
  if (channel == kCloseChannel) {
    if (length != kCloseRecordLength) {
      error_ = StreamError::kBadClose;
      return std::nullopt;
    }
  } else if (channel >= kChannelCount) {
    error_ = StreamError::kUnknownChannel;
    return std::nullopt;
  }
  if (r.remaining() < length - 1) return std::nullopt;
  Record record;
  record.channel = channel;
  if (channel == kCloseChannel) {
    record.type = Record::Type::kClose;
    r.U16(&record.close_code);
    closed_ = true;
  } else {
    ByteSpan body = r.Rest().first(length - 1);
    record.frame.assign(body.begin(), body.end());
  }
  consumed_ += kLengthSize + length;
  if (consumed_ == buffer_.size()) {
    buffer_.clear();
    consumed_ = 0;
  }
  return record;
}

}  // namespace hail::protocol::stream
