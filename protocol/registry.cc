#include "protocol/registry.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <type_traits>
#include <utility>

namespace hail::protocol {
namespace {

// Computes a body's size bounds from its field list.
class SizeBounds {
 public:
  size_t min = 0;
  size_t max = 0;
  void U8(std::string_view, uint8_t&) { Add(1, 1); }
  void U16(std::string_view, uint16_t&) { Add(2, 2); }
  void U32(std::string_view, uint32_t&) { Add(4, 4); }
  void U64(std::string_view, uint64_t&) { Add(8, 8); }
  void I16(std::string_view, int16_t&) { Add(2, 2); }
  void Error(std::string_view, ErrorCode&) { Add(2, 2); }
  template <size_t N>
  void Fixed(std::string_view, std::array<uint8_t, N>&,
             Sensitivity = Sensitivity::kPublic) {
    Add(N, N);
  }
  void Str8(std::string_view, std::string&, size_t max_len,
            Sensitivity = Sensitivity::kPublic) {
    Add(1, 1 + max_len);
  }
  void Str16(std::string_view, std::string&, size_t max_len,
             Sensitivity = Sensitivity::kPublic) {
    Add(2, 2 + max_len);
  }
  void Addr(std::string_view, Endpoint&) { Add(1, 19); }

 private:
  void Add(size_t lo, size_t hi) {
    min += lo;
    max += hi;
  }
};

template <class M>
KindInfo Info(std::string_view name, Direction direction, Framing framing,
              uint8_t channel) {
  M message;
  SizeBounds bounds;
  message.Fields(bounds);
  FieldPrinter printer;  // names the fields in wire order
  message.Fields(printer);
  // Only a request's leading u32 is its own id; ERROR and the results echo.
  bool request = !printer.fields.empty() &&
                 printer.fields[0].name == "request_id" &&
                 direction == Direction::kClientToServer;
  return KindInfo{M::kKind, name,       direction,  framing,
                  channel,  bounds.min, bounds.max, request};
}

constexpr Direction kC2S = Direction::kClientToServer;
constexpr Direction kS2C = Direction::kServerToClient;
constexpr Direction kBoth = Direction::kBoth;
constexpr Direction kP2P = Direction::kPeerToPeer;
constexpr Framing kPlain = Framing::kPlain;
constexpr Framing kSealed = Framing::kSealed;

const std::vector<KindInfo>& Table() {
  static const std::vector<KindInfo> table = [] {
    std::vector<KindInfo> t = {
        Info<ClientHello>("CLIENT_HELLO", kC2S, kPlain, kChannelControl),
        Info<ServerHello>("SERVER_HELLO", kS2C, kPlain, kChannelControl),
        Info<HandshakeReject>("HANDSHAKE_REJECT", kS2C, kPlain,
                              kChannelControl),
        Info<ErrorMessage>("ERROR", kBoth, kSealed, kChannelControl),
        Info<Ping>("PING", kBoth, kSealed, kChannelControl),
        Info<Pong>("PONG", kBoth, kSealed, kChannelControl),
        Info<SessionEnded>("SESSION_ENDED", kS2C, kSealed, kChannelControl),
        Info<RegisterRequest>("REGISTER_REQUEST", kC2S, kSealed,
                              kChannelControl),
        Info<RegisterResult>("REGISTER_RESULT", kS2C, kSealed, kChannelControl),
        Info<LoginRequest>("LOGIN_REQUEST", kC2S, kSealed, kChannelControl),
        Info<ResumeRequest>("RESUME_REQUEST", kC2S, kSealed, kChannelControl),
        Info<LoginResult>("LOGIN_RESULT", kS2C, kSealed, kChannelControl),
        Info<LogoutRequest>("LOGOUT_REQUEST", kC2S, kSealed, kChannelControl),
        Info<LogoutResult>("LOGOUT_RESULT", kS2C, kSealed, kChannelControl),
        Info<ChangePasswordRequest>("CHANGE_PASSWORD_REQUEST", kC2S, kSealed,
                                    kChannelControl),
        Info<ChangePasswordResult>("CHANGE_PASSWORD_RESULT", kS2C, kSealed,
                                   kChannelControl),
        Info<DeleteAccountRequest>("DELETE_ACCOUNT_REQUEST", kC2S, kSealed,
                                   kChannelControl),
        Info<DeleteAccountResult>("DELETE_ACCOUNT_RESULT", kS2C, kSealed,
                                  kChannelControl),
        Info<SessionInfoRequest>("SESSION_INFO_REQUEST", kC2S, kSealed,
                                 kChannelControl),
        Info<SessionInfo>("SESSION_INFO", kS2C, kSealed, kChannelControl),
        Info<RequestResult>("REQUEST_RESULT", kS2C, kSealed, kChannelControl),
        Info<ContactAdd>("CONTACT_ADD", kC2S, kSealed, kChannelControl),
        Info<ContactAnswer>("CONTACT_ANSWER", kC2S, kSealed, kChannelControl),
        Info<ContactRemove>("CONTACT_REMOVE", kC2S, kSealed, kChannelControl),
        Info<ContactBlock>("CONTACT_BLOCK", kC2S, kSealed, kChannelControl),
        Info<ContactListRequest>("CONTACT_LIST_REQUEST", kC2S, kSealed,
                                 kChannelControl),
        Info<ContactUpdate>("CONTACT_UPDATE", kS2C, kSealed, kChannelControl),
        Info<ContactRequestNotice>("CONTACT_REQUEST_NOTICE", kS2C, kSealed,
                                   kChannelMessaging),
        Info<ContactAnswerNotice>("CONTACT_ANSWER_NOTICE", kS2C, kSealed,
                                  kChannelMessaging),
        Info<ContactListEnd>("CONTACT_LIST_END", kS2C, kSealed,
                             kChannelControl),
        Info<SetPresence>("SET_PRESENCE", kC2S, kSealed, kChannelControl),
        Info<PresenceUpdate>("PRESENCE_UPDATE", kS2C, kSealed, kChannelControl),
        Info<SendMessage>("SEND_MESSAGE", kC2S, kSealed, kChannelMessaging),
        Info<MessageAccepted>("MESSAGE_ACCEPTED", kS2C, kSealed,
                              kChannelMessaging),
        Info<MessageDeliver>("MESSAGE_DELIVER", kS2C, kSealed,
                             kChannelMessaging),
        Info<ItemAck>("ITEM_ACK", kC2S, kSealed, kChannelMessaging),
        Info<DeliveryReceipt>("DELIVERY_RECEIPT", kS2C, kSealed,
                              kChannelMessaging),
        Info<MailboxEnd>("MAILBOX_END", kS2C, kSealed, kChannelMessaging),
        Info<P2pRequest>("P2P_REQUEST", kC2S, kSealed, kChannelControl),
        Info<P2pOffer>("P2P_OFFER", kS2C, kSealed, kChannelControl),
        Info<P2pAnswer>("P2P_ANSWER", kC2S, kSealed, kChannelControl),
        Info<P2pReady>("P2P_READY", kS2C, kSealed, kChannelControl),
        Info<P2pClosed>("P2P_CLOSED", kS2C, kSealed, kChannelControl),
        Info<LinkHello>("LINK_HELLO", kP2P, kSealed, kChannelControl),
        Info<DirectMessage>("DIRECT_MESSAGE", kP2P, kSealed, kChannelMessaging),
        Info<DirectAck>("DIRECT_ACK", kP2P, kSealed, kChannelMessaging),
        Info<ForwardAddressAdd>("FORWARD_ADDRESS_ADD", kC2S, kSealed,
                                kChannelControl),
        Info<ForwardAddressVerify>("FORWARD_ADDRESS_VERIFY", kC2S, kSealed,
                                   kChannelControl),
        Info<ForwardAddressRemove>("FORWARD_ADDRESS_REMOVE", kC2S, kSealed,
                                   kChannelControl),
        Info<ForwardRulesSet>("FORWARD_RULES_SET", kC2S, kSealed,
                              kChannelControl),
        Info<ForwardListRequest>("FORWARD_LIST_REQUEST", kC2S, kSealed,
                                 kChannelControl),
        Info<ForwardEntry>("FORWARD_ENTRY", kS2C, kSealed, kChannelControl),
        Info<ForwardListEnd>("FORWARD_LIST_END", kS2C, kSealed,
                             kChannelControl),
        Info<ForwardNotice>("FORWARD_NOTICE", kS2C, kSealed, kChannelMessaging),
    };
    static_assert(std::variant_size_v<Message> == 54,
                  "every Message alternative needs a registry row");
    for (const KindInfo& info : t) {
      (void)info;
      assert(info.max_body <= kMaxBodySize);
    }
    return t;
  }();
  return table;
}

// Decodes the body of kind M into `out`.
template <class M>
DecodeStatus DecodeBody(ByteSpan body, Message* out) {
  M message;
  FieldReader reader(body);
  message.Fields(reader);
  if (!reader.ok()) {
    return reader.invalid() ? DecodeStatus::kInvalid : DecodeStatus::kTruncated;
  }
  *out = std::move(message);
  return DecodeStatus::kOk;
}

template <size_t I = 0>
DecodeStatus DecodeByKind(uint16_t kind, ByteSpan body, Message* out) {
  if constexpr (I == std::variant_size_v<Message>) {
    (void)kind;
    (void)body;
    (void)out;
    return DecodeStatus::kUnknownKind;
  } else {
    using M = std::variant_alternative_t<I, Message>;
    if (static_cast<uint16_t>(M::kKind) == kind) {
      return DecodeBody<M>(body, out);
    }
    return DecodeByKind<I + 1>(kind, body, out);
  }
}

}  // namespace

std::span<const KindInfo> AllKinds() { return Table(); }

const KindInfo* FindKind(uint16_t kind) {
  for (const KindInfo& info : Table()) {
    if (static_cast<uint16_t>(info.kind) == kind) return &info;
  }
  return nullptr;
}

std::string_view KindName(uint16_t kind) {
  const KindInfo* info = FindKind(kind);
  return info ? info->name : "UNKNOWN";
}

Kind KindOf(const Message& message) {
  return std::visit([](const auto& m) { return m.kKind; }, message);
}

Bytes EncodeMessage(const Message& message) {
  Bytes out;
  ByteWriter(&out).U16(static_cast<uint16_t>(KindOf(message)));
  bool ok = std::visit(
      [&](const auto& m) {
        auto copy = m;
        FieldWriter writer(&out);
        copy.Fields(writer);
        return writer.ok();
      },
      message);
  if (!ok) out.clear();
  return out;
}

Decoded DecodeMessage(ByteSpan bytes) {
  Decoded result;
  ByteReader reader(bytes);
  if (!reader.U16(&result.kind)) {
    result.status = DecodeStatus::kTruncated;
    return result;
  }
  ByteSpan body = reader.Rest();
  const KindInfo* info = FindKind(result.kind);
  if (info == nullptr) {
    result.status = DecodeStatus::kUnknownKind;
    return result;
  }
  if (info->has_request_id && body.size() >= 4) {
    ByteReader(body).U32(&result.request_id);
  }
  if (body.size() > kMaxBodySize) {
    result.status = DecodeStatus::kOversized;
    return result;
  }
  result.status = DecodeByKind(result.kind, body, &result.message);
  return result;
}

std::vector<PrintedField> DescribeMessage(const Message& message) {
  FieldPrinter printer;
  std::visit(
      [&](const auto& m) {
        auto copy = m;
        copy.Fields(printer);
      },
      message);
  return printer.fields;
}

}  // namespace hail::protocol
