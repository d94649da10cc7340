// Client: extended-delivery settings requests and the server messages that
// answer them or report a forwarded message (SPEC.md section 17). The
// connection itself is in client.cc.
#include <fmt/format.h>

#include <utility>

#include "client/client.h"
#include "protocol/forward_rules.h"

namespace hail::client {
namespace {

using protocol::ForwardChannel;
using protocol::Kind;

uint8_t ChannelValue(ForwardChannel channel) {
  return static_cast<uint8_t>(channel);
}

Status CheckChannel(ForwardChannel channel) {
  uint8_t value = ChannelValue(channel);
  if (value < protocol::kForwardChannelFirst ||
      value >= protocol::kForwardChannelEnd) {
    return Status::InvalidArgument(
        fmt::format("forwarding channel {} is not email, sms or fax", value));
  }
  return Status::Ok();
}

}  // namespace

// --- Requests ---

Result<uint32_t> Client::AddForwardAddress(ForwardChannel channel,
                                           std::string_view address) {
  if (Status status = RequireSecured(); !status.ok()) return status;
  if (Status status = CheckChannel(channel); !status.ok()) return status;
  if (!protocol::IsValidForwardAddress(ChannelValue(channel), address)) {
    return Status::InvalidArgument(
        channel == ForwardChannel::kEmail
            ? "not an e-mail address Hail accepts: local@domain.tld, ASCII, "
              "at most 254 bytes (SPEC.md 17.2)"
            : "not a number in E.164 form: + and 8..15 digits, e.g. "
              "+4915112345678 (SPEC.md 17.2)");
  }
  protocol::ForwardAddressAdd request;
  uint32_t request_id = NextRequestId();
  request.request_id = request_id;
  request.channel = ChannelValue(channel);
  request.address = std::string(address);
  return SendRequest(std::move(request), request_id,
                     {Kind::kForwardAddressAdd, {}});
}

Result<uint32_t> Client::VerifyForwardAddress(ForwardChannel channel,
                                              std::string_view code) {
  if (Status status = RequireSecured(); !status.ok()) return status;
  if (Status status = CheckChannel(channel); !status.ok()) return status;
  if (!protocol::IsValidForwardCode(code)) {
    return Status::InvalidArgument("a verification code is 6 digits");
  }
  protocol::ForwardAddressVerify request;
  uint32_t request_id = NextRequestId();
  request.request_id = request_id;
  request.channel = ChannelValue(channel);
  request.code = std::string(code);
  return SendRequest(std::move(request), request_id,
                     {Kind::kForwardAddressVerify, {}});
}

Result<uint32_t> Client::RemoveForwardAddress(ForwardChannel channel) {
  if (Status status = RequireSecured(); !status.ok()) return status;
  if (Status status = CheckChannel(channel); !status.ok()) return status;
  protocol::ForwardAddressRemove request;
  uint32_t request_id = NextRequestId();
  request.request_id = request_id;
  request.channel = ChannelValue(channel);
  return SendRequest(request, request_id, {Kind::kForwardAddressRemove, {}});
}

Result<uint32_t> Client::SetForwardRules(
    ForwardChannel channel, const protocol::ForwardRuleFields& rule) {
  if (Status status = RequireSecured(); !status.ok()) return status;
  if (Status status = CheckChannel(channel); !status.ok()) return status;
  if (!protocol::AreValidForwardRules(rule)) {
    return Status::InvalidArgument(
        "forwarding rule out of range: after 1..1440 minutes, quiet hours "
        "within the day, UTC offset -14:00..+14:00, cap 1..100, contacts "
        "all or 1..64 names (SPEC.md 17.4)");
  }
  protocol::ForwardRulesSet request;
  uint32_t request_id = NextRequestId();
  request.request_id = request_id;
  request.channel = ChannelValue(channel);
  request.rule = rule;
  return SendRequest(std::move(request), request_id,
                     {Kind::kForwardRulesSet, {}});
}

Result<uint32_t> Client::RequestForwardList() {
  if (Status status = RequireSecured(); !status.ok()) return status;
  protocol::ForwardListRequest request;
  uint32_t request_id = NextRequestId();
  request.request_id = request_id;
  return SendRequest(request, request_id, {Kind::kForwardListRequest, {}});
}

// --- Server messages ---

void Client::Handle(const protocol::ForwardEntry& message) {
  // Entries come before the FORWARD_LIST_END that ends the pending request.
  if (!pending_.contains(message.request_id)) {
    ++counters_.unmatched_replies;
    return;
  }
  events_.push_back(ForwardSetting{message.request_id, message.channel,
                                   message.address, message.verified != 0,
                                   message.rule});
}

void Client::Handle(const protocol::ForwardListEnd& message) {
  if (!TakePending(message.request_id, {Kind::kForwardListRequest})) {
    ++counters_.unmatched_replies;
    return;
  }
  events_.push_back(ForwardListEnd{message.request_id, message.count});
}

void Client::Handle(const protocol::ForwardNotice& message) {
  OnItem(
      0, message.item_id,
      MessageForwarded{message.item_id, message.message_id,
                       message.recipient_id, message.recipient, message.channel,
                       message.state, message.reason, message.state_unix});
}

}  // namespace hail::client
