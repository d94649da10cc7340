// Classifies IP addresses the way NAT reasoning needs: which are private
// (RFC 1918, RFC 4193), loopback, link-local, carrier-grade NAT (RFC 6598) or
// public. Used to judge a client's declared LAN endpoint against the one the
// server observes.
#ifndef HAIL_NAT_ADDRESS_CLASS_H_
#define HAIL_NAT_ADDRESS_CLASS_H_

#include <string_view>

#include "protocol/endpoint.h"

namespace hail::nat {

enum class AddressClass {
  kNone,         // no address
  kLoopback,     // 127/8, ::1
  kPrivate,      // 10/8, 172.16/12, 192.168/16, fc00::/7
  kLinkLocal,    // 169.254/16, fe80::/10
  kSharedCgn,    // 100.64/10
  kUnspecified,  // 0.0.0.0, ::
  kPublic,
};

AddressClass ClassifyAddress(const protocol::Endpoint& endpoint);
std::string_view AddressClassName(AddressClass address_class);

// True when a declared LAN endpoint is usable: a specified address with a
// non-zero port. The server stores only usable declarations.
bool IsPlausibleLanEndpoint(const protocol::Endpoint& endpoint);

// True when the observed endpoint differs from the declared one, i.e. some
// translation (NAT) sits between client and server.
bool IsBehindNat(const protocol::Endpoint& declared,
                 const protocol::Endpoint& observed);

}  // namespace hail::nat

#endif  // HAIL_NAT_ADDRESS_CLASS_H_
