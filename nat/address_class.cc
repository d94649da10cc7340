#include "nat/address_class.h"

namespace hail::nat {

using protocol::Endpoint;

AddressClass ClassifyAddress(const Endpoint& endpoint) {
  const auto& a = endpoint.address;
  switch (endpoint.family) {
    case Endpoint::Family::kNone:
      return AddressClass::kNone;
    case Endpoint::Family::kIpv4:
      if (a[0] == 0 && a[1] == 0 && a[2] == 0 && a[3] == 0) {
        return AddressClass::kUnspecified;
      }
      if (a[0] == 127) return AddressClass::kLoopback;
      if (a[0] == 10 || (a[0] == 172 && (a[1] & 0xf0) == 16) ||
          (a[0] == 192 && a[1] == 168)) {
        return AddressClass::kPrivate;
      }
      if (a[0] == 169 && a[1] == 254) return AddressClass::kLinkLocal;
      if (a[0] == 100 && (a[1] & 0xc0) == 64) return AddressClass::kSharedCgn;
      return AddressClass::kPublic;
    case Endpoint::Family::kIpv6: {
      bool all_zero_but_last = true;
      for (int i = 0; i < 15; ++i) all_zero_but_last &= a[i] == 0;
      if (all_zero_but_last && a[15] == 0) return AddressClass::kUnspecified;
      if (all_zero_but_last && a[15] == 1) return AddressClass::kLoopback;
      if ((a[0] & 0xfe) == 0xfc) return AddressClass::kPrivate;
      if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
        return AddressClass::kLinkLocal;
      return AddressClass::kPublic;
    }
  }
  return AddressClass::kNone;
}

std::string_view AddressClassName(AddressClass address_class) {
  switch (address_class) {
    case AddressClass::kNone:
      return "none";
    case AddressClass::kLoopback:
      return "loopback";
    case AddressClass::kPrivate:
      return "private";
    case AddressClass::kLinkLocal:
      return "link-local";
    case AddressClass::kSharedCgn:
      return "shared-cgn";
    case AddressClass::kUnspecified:
      return "unspecified";
    case AddressClass::kPublic:
      return "public";
  }
  return "none";
}

bool IsPlausibleLanEndpoint(const Endpoint& endpoint) {
  AddressClass c = ClassifyAddress(endpoint);
  return c != AddressClass::kNone && c != AddressClass::kUnspecified &&
         endpoint.port != 0;
}

bool IsBehindNat(const Endpoint& declared, const Endpoint& observed) {
  return !declared.empty() && !observed.empty() && declared != observed;
}

}  // namespace hail::nat
