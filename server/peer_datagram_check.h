// What ENet would silently drop of a datagram addressed to one of its peers
// (peer id below 0xfff), judged in the intercept so that every drop is
// counted (SPEC.md 4.3): the same tests ENet 1.3 makes before it reads the
// commands, in the same order. A datagram that passes goes to ENet, which
// repeats them.
#ifndef HAIL_SERVER_PEER_DATAGRAM_CHECK_H_
#define HAIL_SERVER_PEER_DATAGRAM_CHECK_H_

#include <enet/enet.h>

#include <cstdint>
#include <optional>

#include "protocol/enet_wire.h"

namespace hail::server {

enum class PeerDatagramVerdict {
  kPass,
  kNoSuchPeer,    // id beyond the host, or the slot is free
  kWrongSource,   // the peer is at another address or port
  kWrongSession,  // a datagram of an earlier connection in that slot
  kCompressed,    // Hail peers never compress
  kBadChecksum,   // CRC32 with the peer's connect id does not match
};

// `header` is ParseHeader(datagram, true) of host->receivedData. Reads
// host->receivedAddress; restores the checksum field it computes over.
// A datagram that passes is remembered, on this thread, as verified (see
// PeerChecksum); any other verdict forgets the last one.
PeerDatagramVerdict JudgePeerDatagram(
    ENetHost* host, const protocol::enet_wire::Header& header);

// The host's checksum function (host->checksum): enet_crc32, except that
// when ENet checks the datagram JudgePeerDatagram has just passed (the
// same received buffer and length, once) it returns the CRC computed
// there instead of computing it a second time.
enet_uint32 PeerChecksum(const ENetBuffer* buffers, size_t count);

// The total length of the packet ENet will refuse in `datagram` (one that
// passed JudgePeerDatagram): that of its first SEND_FRAGMENT or
// SEND_UNRELIABLE_FRAGMENT command whose total_length is above
// `maximum_packet_size` (host->maximumPacketSize). ENet drops such a command
// and the rest of its datagram without a word or an acknowledgement, so the
// sender would retransmit it until its connection times out; the server
// ends the session instead (SPEC.md 4.6). nullopt when there is none.
std::optional<uint32_t> OversizedPacketLength(protocol::ByteSpan datagram,
                                              size_t maximum_packet_size);

// Forgets the verified datagram; the intercept calls it before it looks at
// each received datagram, so nothing verified outlives its datagram.
void ForgetVerifiedDatagram();

}  // namespace hail::server

#endif  // HAIL_SERVER_PEER_DATAGRAM_CHECK_H_
