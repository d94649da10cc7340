// The attacks hail-attack runs against a live haild (issue 10), each one
// measured on the wire and in the server's statistics, each with the
// invariants that must hold (SPEC.md 3.7, 4.3, 4.6, 3.8). A scenario never
// sends anywhere but the target on loopback, is bounded in count and time,
// and cleans up what it opened.
#ifndef HAIL_TOOLS_ATTACK_SCENARIOS_H_
#define HAIL_TOOLS_ATTACK_SCENARIOS_H_

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "tools/attack/target.h"

namespace hail::attack {

struct Scale {
  int amplification_requests = 50;   // per request kind
  int flood_datagrams = 20'000;      // spoofed HELLO/CONNECT
  int cookie_holders = 8;            // addresses, 64 CONNECTs each
  int malformed_datagrams = 20'000;  // before and after login, each
  int tcp_connections = 200;         // each sending garbage
  int guessers = 20;                 // addresses guessing one password
};

struct Report {
  std::string name;
  std::vector<std::pair<std::string, std::string>> figures;  // in order
  std::vector<std::string> failures;  // broken invariants

  void Figure(std::string key, std::string value) {
    figures.emplace_back(std::move(key), std::move(value));
  }
  void Check(bool ok, std::string what) {
    if (!ok) failures.push_back(std::move(what));
  }
};

struct Context {
  const Target* target = nullptr;
  Scale scale;
  std::filesystem::path work_dir;  // probe clients' homes
  uint64_t seed = 1;
};

// Every pre-session reply, from spoofed sources: bytes and datagrams back
// per request, per kind (at most 1x and one datagram; STUN 1.6x).
Report Amplification(const Context& c);
// Spoofed HELLOs and CONNECTs from many sources while a real client logs
// in: no peer slot used, every datagram counted, memory flat.
Report SpoofedFlood(const Context& c);
// Addresses holding cookies open 64 connections each: bounded half-open
// peers, all gone within seconds, a real client logs in meanwhile.
Report CookieHolders(const Context& c);
// Malformed datagrams from many sources, then from a logged-in client's own
// address: all counted, the session unharmed, memory flat.
Report MalformedDatagrams(const Context& c);
// TCP connections sending garbage records: each closed and counted.
Report MalformedTcp(const Context& c);
// Password guessing against one account: sequentially from one address,
// then in parallel from many. Few guesses are checked (SPEC.md 7.12), and
// the owner still logs in from a known address meanwhile.
Report PasswordGuessing(const Context& c);

}  // namespace hail::attack

#endif  // HAIL_TOOLS_ATTACK_SCENARIOS_H_
