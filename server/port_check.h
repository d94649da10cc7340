// Refusing a port another process holds. haild binds its UDP and TCP ports
// with SO_REUSEPORT so that its loops share them, and Linux lets any other
// process of the same user join such a port and silently take part of the
// traffic (a second haild with another data dir, say). Before binding,
// haild therefore tries the port once without SO_REUSEPORT: that bind fails
// exactly when some socket already holds the port.
#ifndef HAIL_SERVER_PORT_CHECK_H_
#define HAIL_SERVER_PORT_CHECK_H_

#include "protocol/endpoint.h"
#include "protocol/status.h"

namespace hail::server {

enum class PortKind { kUdp, kTcp };

// Ok when nothing holds `endpoint` (port 0 always passes: the kernel picks
// a free one). Errors: IoError naming the port and saying that another
// process uses it, or why the check could not run.
Status CheckPortFree(const protocol::Endpoint& endpoint, PortKind kind);

}  // namespace hail::server

#endif  // HAIL_SERVER_PORT_CHECK_H_
