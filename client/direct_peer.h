// The client's state for one contact's direct link (SPEC.md "Direct
// links"): the rendezvous, the hole punching and the sealed ENet link.
// Owned by Client; not thread-safe.
#ifndef HAIL_CLIENT_DIRECT_PEER_H_
#define HAIL_CLIENT_DIRECT_PEER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "nat/hole_punch.h"
#include "protocol/p2p_link.h"
#include "protocol/secure_channel.h"

namespace hail::client {

struct DirectPeer {
  enum class Stage : uint8_t {
    kIdle,       // nothing in progress; messages go through the server
    kRequested,  // P2P_REQUEST sent, waiting for P2P_READY or P2P_CLOSED
    kOffered,    // P2P_OFFER received (kAsk: waiting for the application)
    kPunching,   // P2P_READY received: probing, connecting, LINK_HELLO
    kUp,         // the link is authenticated; messages go over it
  };

  std::string username;
  bool online = false;  // accepted contact, seen online
  Stage stage = Stage::kIdle;
  uint64_t session_id = 0;
  uint32_t request_id = 0;
  protocol::LinkRole role = protocol::LinkRole::kListener;
  protocol::LinkKeys keys;
  std::unique_ptr<nat::HolePunch> punch;
  uint32_t link = 0;  // EnetTransport link id; 0 when none
  std::unique_ptr<protocol::SecureChannel> channel;
  uint64_t ready_ms = 0;  // P2P_READY arrived
  // kRequested or kOffered: given up when nothing more arrives by then
  // (the server forgets an unanswered rendezvous after 15 s).
  uint64_t stage_deadline_ms = 0;
  uint64_t hello_deadline_ms = 0;  // connected, LINK_HELLO due by then
  // Automatic attempts (ClientOptions::p2p == kAuto): not before this.
  uint64_t retry_at_ms = 0;
  uint64_t retry_delay_ms = 0;
  std::string last_failure;
};

}  // namespace hail::client

#endif  // HAIL_CLIENT_DIRECT_PEER_H_
