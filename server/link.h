// How a session's frames reach its client: an ENet peer or a TCP
// connection (SPEC.md 3.8). The session logic of Shard sees only this
// interface. A link is used only on its shard's loop thread.
#ifndef HAIL_SERVER_LINK_H_
#define HAIL_SERVER_LINK_H_

#include <enet/enet.h>

#include <cstdint>
#include <string_view>

#include "protocol/error_code.h"
#include "protocol/server_session.h"

namespace hail::server {

class Link {
 public:
  enum class Kind : uint8_t { kEnet, kTcp };

  virtual ~Link() = default;
  virtual Kind kind() const = 0;
  // Queues `frame` reliably on its channel. A frame that cannot be queued
  // is dropped (TCP: the connection is then closed and counted).
  virtual void Send(const protocol::OutgoingFrame& frame) = 0;
  // Delivers what is queued, then ends the connection telling the client
  // `reason` (ENet disconnect data, or a TCP CLOSE record). The shard
  // learns that the link is gone from its ENet or TCP event, later.
  virtual void CloseLater(protocol::ErrorCode reason) = 0;
};

std::string_view LinkKindName(Link::Kind kind);

// A link over one ENet peer; the peer belongs to one of the shard's hosts,
// whose `host_dirty` flag it sets when it queues something to flush.
class EnetLink final : public Link {
 public:
  EnetLink(ENetPeer* peer, bool* host_dirty)
      : peer_(peer), host_dirty_(host_dirty) {}
  Kind kind() const override { return Kind::kEnet; }
  void Send(const protocol::OutgoingFrame& frame) override;
  void CloseLater(protocol::ErrorCode reason) override;

 private:
  ENetPeer* peer_;
  bool* host_dirty_;
};

}  // namespace hail::server

#endif  // HAIL_SERVER_LINK_H_
