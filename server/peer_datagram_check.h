// What ENet would silently drop of a datagram addressed to one of its peers
// (peer id below 0xfff), judged in the intercept so that every drop is
// counted (SPEC.md 4.3): the same tests ENet 1.3 makes before it reads the
// commands, in the same order. A datagram that passes goes to ENet, which
// repeats them.
#ifndef HAIL_SERVER_PEER_DATAGRAM_CHECK_H_
#define HAIL_SERVER_PEER_DATAGRAM_CHECK_H_

#include <enet/enet.h>

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
PeerDatagramVerdict JudgePeerDatagram(
    ENetHost* host, const protocol::enet_wire::Header& header);

}  // namespace hail::server

#endif  // HAIL_SERVER_PEER_DATAGRAM_CHECK_H_
