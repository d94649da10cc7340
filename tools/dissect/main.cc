// hail-dissect: prints Hail traffic from a capture file or a live interface
// (README.md "Looking at the wire: hail-dissect").
//
// Exit codes: 0 everything decoded; 1 something was malformed, unknown or
// (with --keylog) undecryptable, or the file was cut short; 2 usage error;
// 3 the input or key log cannot be opened.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/registry.h"
#include "tools/dissect/dissector.h"
#include "tools/dissect/escape.h"
#include "tools/dissect/key_log_reader.h"
#include "tools/dissect/pcap_source.h"
#include "tools/dissect/printers.h"

namespace {

using hail::dissect::CapturedFrame;
using hail::dissect::DatagramResult;
using hail::dissect::Dissector;
using hail::dissect::KeyLogReader;
using hail::dissect::PcapSource;

constexpr int kExitOk = 0;
constexpr int kExitProblems = 1;
constexpr int kExitUsage = 2;
constexpr int kExitInput = 3;

constexpr char kUsage[] =
    "usage: hail-dissect (-r FILE | -i IFACE [-f BPF]) [--port N]\n"
    "                    [--keylog FILE] [--show-secrets] [--no-enet-crc]\n"
    "                    [-V | --json] [--kind NAME] [--user NAME]\n"
    "  -r FILE         read a pcap or pcapng file ('-' for stdin)\n"
    "  -i IFACE        capture live on IFACE (needs privileges)\n"
    "  -f BPF          capture filter for -i (default \"udp or tcp\")\n"
    "  --port N        the Hail server's port (default: learnt from the\n"
    "                  HELLO, COOKIE or ENet CONNECT that names it, else "
    "4000)\n"
    "  --keylog FILE   HAIL_KEYLOGFILE to decrypt SEALED frames\n"
    "  --show-secrets  show passwords and tokens instead of <secret>\n"
    "  --no-enet-crc   ENet headers carry no CRC32 field (Hail hosts always\n"
    "                  enable it; for captures of other ENet peers)\n"
    "  -V              detailed tree of every layer and field\n"
    "  --json          one JSON object per datagram\n"
    "  --kind NAME     only datagrams carrying a message of that kind\n"
    "  --user NAME     only datagrams whose messages name that user\n";

struct Options {
  std::string file;
  std::string interface;
  std::string filter = "udp or tcp";
  std::optional<uint16_t> port;  // unset: learnt from the traffic
  std::string keylog;
  bool show_secrets = false;
  bool enet_crc = true;
  bool verbose = false;
  bool json = false;
  std::optional<std::string> kind;
  std::optional<std::string> user;
};

std::optional<Options> ParseArguments(int argc, char** argv,
                                      std::string* error) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto value = [&](std::string* out) {
      if (i + 1 >= argc) {
        *error = std::string(arg) + " needs a value";
        return false;
      }
      *out = argv[++i];
      return true;
    };
    std::string text;
    if (arg == "-r") {
      if (!value(&o.file)) return std::nullopt;
    } else if (arg == "-i") {
      if (!value(&o.interface)) return std::nullopt;
    } else if (arg == "-f") {
      if (!value(&o.filter)) return std::nullopt;
    } else if (arg == "--port") {
      if (!value(&text)) return std::nullopt;
      char* end = nullptr;
      unsigned long port = std::strtoul(text.c_str(), &end, 10);
      if (text.empty() || *end != '\0' || port == 0 || port > 65535) {
        *error = "--port needs a number from 1 to 65535";
        return std::nullopt;
      }
      o.port = static_cast<uint16_t>(port);
    } else if (arg == "--keylog") {
      if (!value(&o.keylog)) return std::nullopt;
    } else if (arg == "--show-secrets") {
      o.show_secrets = true;
    } else if (arg == "--no-enet-crc") {
      o.enet_crc = false;
    } else if (arg == "-V") {
      o.verbose = true;
    } else if (arg == "--json") {
      o.json = true;
    } else if (arg == "--kind") {
      if (!value(&text)) return std::nullopt;
      o.kind = text;
    } else if (arg == "--user") {
      if (!value(&text)) return std::nullopt;
      o.user = text;
    } else if (arg == "-h" || arg == "--help") {
      std::cout << kUsage;
      std::exit(kExitOk);
    } else {
      *error = "unknown argument: " + hail::dissect::EscapeText(arg);
      return std::nullopt;
    }
  }
  if (o.file.empty() == o.interface.empty()) {
    *error = "give exactly one of -r FILE and -i IFACE";
    return std::nullopt;
  }
  if (o.verbose && o.json) {
    *error = "-V and --json exclude each other";
    return std::nullopt;
  }
  if (o.kind) {
    bool known = false;
    for (const auto& info : hail::protocol::AllKinds()) {
      known = known || info.name == *o.kind;
    }
    if (!known) {
      *error =
          "--kind: no message kind named " + hail::dissect::EscapeText(*o.kind);
      return std::nullopt;
    }
  }
  return o;
}

PcapSource* g_live_source = nullptr;

void OnSignal(int) {
  if (g_live_source) g_live_source->Interrupt();
}

}  // namespace

int main(int argc, char** argv) {
  std::string error;
  std::optional<Options> options = ParseArguments(argc, argv, &error);
  if (!options) {
    std::cerr << "hail-dissect: " << error << "\n" << kUsage;
    return kExitUsage;
  }
  std::unique_ptr<PcapSource> source =
      options->file.empty()
          ? PcapSource::OpenLive(options->interface, options->filter, &error)
          : PcapSource::OpenFile(options->file, &error);
  if (!source) {
    std::cerr << "hail-dissect: cannot open "
              << hail::dissect::EscapeText(
                     options->file.empty() ? options->interface : options->file)
              << ": " << hail::dissect::EscapeText(error) << "\n";
    return kExitInput;
  }
  if (!hail::dissect::IsSupportedLinkType(source->link_type())) {
    std::cerr << "hail-dissect: unsupported link type " << source->link_type()
              << "\n";
    return kExitInput;
  }
  Dissector dissector(
      Dissector::Options{.server_port = options->port,
                         .expect_keys = !options->keylog.empty(),
                         .enet_crc = options->enet_crc});
  std::optional<KeyLogReader> key_log;
  if (!options->keylog.empty()) {
    key_log.emplace(options->keylog);
    if (!key_log->ReadNew(&dissector)) {
      std::cerr << "hail-dissect: cannot read key log "
                << hail::dissect::EscapeText(options->keylog) << "\n";
      return kExitInput;
    }
  }
  if (!options->interface.empty()) {
    g_live_source = source.get();
    std::signal(SIGINT, OnSignal);
    std::signal(SIGTERM, OnSignal);
  }

  hail::dissect::PrintOptions print{.show_secrets = options->show_secrets};
  bool read_failed = false;
  CapturedFrame frame;
  for (;;) {
    PcapSource::ReadStatus status = source->Read(&frame, &error);
    if (status == PcapSource::ReadStatus::kEnd) break;
    if (status == PcapSource::ReadStatus::kError) {
      std::cerr << "hail-dissect: read error: "
                << hail::dissect::EscapeText(error) << "\n";
      read_failed = true;
      break;
    }
    // A live key log grows as sessions are secured.
    if (key_log && !options->interface.empty()) key_log->ReadNew(&dissector);
    DatagramResult result = dissector.Dissect(frame);
    if (options->kind && !hail::dissect::HasKind(result, *options->kind)) {
      continue;
    }
    if (options->user && !hail::dissect::MentionsUser(result, *options->user)) {
      continue;
    }
    if (options->json) {
      std::cout << hail::dissect::FormatJson(result, print);
    } else if (options->verbose) {
      std::cout << hail::dissect::FormatTree(result, print);
    } else {
      std::cout << hail::dissect::FormatLine(result, print);
    }
    if (!options->interface.empty()) std::cout.flush();
  }
  g_live_source = nullptr;
  std::cout.flush();

  const Dissector::Counts& counts = dissector.counts();
  bool problems = read_failed || counts.with_problems > 0;
  if (problems) {
    std::cerr << "hail-dissect: " << counts.datagrams << " datagrams, "
              << counts.with_problems << " with problems: " << counts.malformed
              << " malformed, " << counts.unknown << " unknown, "
              << counts.undecryptable << " undecryptable"
              << (read_failed ? ", capture file cut short or corrupt" : "")
              << "; " << counts.hail_frames << " Hail frames, "
              << counts.decrypted << " decrypted, "
              << dissector.dropped_fragment_sets()
              << " incomplete fragment sets dropped\n";
  }
  return problems ? kExitProblems : kExitOk;
}
