// hail-conform --client: a scripted server that a client implementation
// connects to (three times), checking the client-side rules of SPEC.md:
// the HELLO and its resend, the cookie in CONNECT, the first frame, the
// acknowledgement of every mailbox item (also after an unknown kind, with
// trailing bytes, and for a duplicate), and the refusal of a bad signature
// and of a changed server identity.
#ifndef HAIL_TOOLS_CONFORM_CLIENT_MODE_H_
#define HAIL_TOOLS_CONFORM_CLIENT_MODE_H_

#include <string>

namespace hail::conform {

// Serves on `listen` (IPv4:port) until the client has connected three times
// or `total_ms` passed; prints one line (or JSON entry) per rule and
// returns the exit code: 0 when no rule failed.
int RunClientMode(const std::string& listen, bool json, int timeout_ms,
                  int total_ms);

}  // namespace hail::conform

#endif  // HAIL_TOOLS_CONFORM_CLIENT_MODE_H_
