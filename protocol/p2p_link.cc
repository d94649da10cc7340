#include "protocol/p2p_link.h"

#include <sodium.h>

#include <algorithm>
#include <string_view>

#include "protocol/presession.h"

namespace hail::protocol {
namespace {

constexpr std::string_view kLinkKeyLogLabel = "HAIL_LINK_KEYS";
constexpr size_t kProbeSignedSize = kProbeSize - kProbeTagSize;

// BLAKE2b-256 keyed with the session key over
// "hail-p2p-v1" || label || session_id.
Key DeriveOne(const SessionKey& session_key, uint64_t session_id,
              uint8_t label) {
  static constexpr char kContext[] = "hail-p2p-v1";
  Bytes input;
  ByteWriter w(&input);
  w.Raw(std::string_view(kContext));
  w.U8(label);
  w.U64(session_id);
  Key out;
  crypto_generichash(out.data(), out.size(), input.data(), input.size(),
                     session_key.data(), session_key.size());
  return out;
}

std::array<uint8_t, kProbeTagSize> ProbeTag(ByteSpan signed_part,
                                            const Key& probe_key) {
  std::array<uint8_t, kProbeTagSize> tag;
  crypto_generichash(tag.data(), tag.size(), signed_part.data(),
                     signed_part.size(), probe_key.data(), probe_key.size());
  return tag;
}

}  // namespace

LinkKeys DeriveLinkKeys(const SessionKey& session_key, uint64_t session_id) {
  LinkKeys keys;
  keys.channel.client_to_server = DeriveOne(session_key, session_id, 1);
  keys.channel.server_to_client = DeriveOne(session_key, session_id, 2);
  keys.probe = DeriveOne(session_key, session_id, 3);
  return keys;
}

Bytes EncodeProbe(const ProbeDatagram& probe, const Key& probe_key) {
  Bytes out;
  ByteWriter w(&out);
  w.Raw(ByteSpan(kPresessionMagic));
  w.U8(static_cast<uint8_t>(PresessionType::kProbe));
  w.U8(kPresessionVersion);
  w.U64(probe.session_id);
  w.U8(static_cast<uint8_t>(probe.sender_role));
  w.U8(0);
  w.U32(probe.seq);
  std::array<uint8_t, kProbeTagSize> tag =
      ProbeTag(ByteSpan(out.data(), out.size()), probe_key);
  w.Raw(ByteSpan(tag));
  return out;
}

std::optional<uint64_t> PeekProbeSession(ByteSpan datagram) {
  if (datagram.size() != kProbeSize) return std::nullopt;
  if (!std::equal(kPresessionMagic.begin(), kPresessionMagic.end(),
                  datagram.begin())) {
    return std::nullopt;
  }
  ByteReader r(datagram.subspan(kPresessionMagic.size()));
  uint8_t type = 0, version = 0;
  uint64_t session_id = 0;
  r.U8(&type);
  r.U8(&version);
  r.U64(&session_id);
  if (!r.ok() || type != static_cast<uint8_t>(PresessionType::kProbe) ||
      version != kPresessionVersion) {
    return std::nullopt;
  }
  return session_id;
}

std::optional<ProbeDatagram> DecodeProbe(ByteSpan datagram,
                                         const Key& probe_key) {
  std::optional<uint64_t> session_id = PeekProbeSession(datagram);
  if (!session_id) return std::nullopt;
  ByteReader r(datagram.subspan(kPresessionMagic.size() + 2 + 8));
  uint8_t role = 0, reserved = 0;
  ProbeDatagram probe;
  probe.session_id = *session_id;
  r.U8(&role);
  r.U8(&reserved);
  r.U32(&probe.seq);
  if (!r.ok() || role > 1 || reserved != 0) return std::nullopt;
  probe.sender_role = static_cast<LinkRole>(role);
  std::array<uint8_t, kProbeTagSize> tag =
      ProbeTag(datagram.first(kProbeSignedSize), probe_key);
  if (sodium_memcmp(tag.data(), datagram.data() + kProbeSignedSize,
                    tag.size()) != 0) {
    return std::nullopt;
  }
  return probe;
}

std::string FormatLinkKeyLogLine(uint64_t session_id,
                                 const SessionKey& session_key) {
  Bytes id;
  ByteWriter w(&id);
  w.U64(session_id);
  return std::string(kLinkKeyLogLabel) + " " + ToHex(id) + " " +
         ToHex(session_key) + "\n";
}

std::optional<LinkKeyLogEntry> ParseLinkKeyLogLine(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
    line.remove_suffix(1);
  }
  constexpr size_t kIdDigits = 16;
  constexpr size_t kKeyDigits = 2 * std::tuple_size_v<SessionKey>;
  const size_t expected_size =
      kLinkKeyLogLabel.size() + 1 + kIdDigits + 1 + kKeyDigits;
  if (line.size() != expected_size || !line.starts_with(kLinkKeyLogLabel) ||
      line[kLinkKeyLogLabel.size()] != ' ' ||
      line[kLinkKeyLogLabel.size() + 1 + kIdDigits] != ' ') {
    return std::nullopt;
  }
  std::string_view id_text =
      line.substr(kLinkKeyLogLabel.size() + 1, kIdDigits);
  std::string_view key_text = line.substr(line.size() - kKeyDigits);
  Bytes id, key;
  // FromHex skips whitespace; the exact digit counts below reject it.
  if (!FromHex(id_text, &id) || id.size() != kIdDigits / 2 ||
      !FromHex(key_text, &key) || key.size() != kKeyDigits / 2) {
    return std::nullopt;
  }
  LinkKeyLogEntry entry;
  ByteReader r(ByteSpan(id.data(), id.size()));
  r.U64(&entry.session_id);
  std::copy(key.begin(), key.end(), entry.session_key.begin());
  return entry;
}

}  // namespace hail::protocol
