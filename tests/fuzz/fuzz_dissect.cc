// Fuzzes hail-dissect's sans-I/O core and printers (issue #4): the input is
// used once as a link-layer frame of each supported link type, and once as a
// whole capture file read by libpcap (pcap_fopen_offline on fmemopen).
// Nothing may crash, leak or read out of bounds, and every printed form
// must stay free of raw control characters.
#include <sodium.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "tools/dissect/dissector.h"
#include "tools/dissect/pcap_source.h"
#include "tools/dissect/printers.h"

namespace {

namespace dissect = hail::dissect;

void Check(bool condition) {
  if (!condition) std::abort();
}

void PrintAll(const dissect::DatagramResult& result) {
  for (bool secrets : {false, true}) {
    dissect::PrintOptions options{.show_secrets = secrets};
    for (const std::string& out : {dissect::FormatLine(result, options),
                                   dissect::FormatTree(result, options),
                                   dissect::FormatJson(result, options)}) {
      for (char c : out) {
        auto byte = static_cast<unsigned char>(c);
        Check(c == '\n' || (byte >= 0x20 && byte != 0x7f));
      }
    }
  }
}

dissect::Dissector::Options FuzzOptions() {
  return {.server_port = 4000, .expect_keys = true};
}

void FuzzFrame(const uint8_t* data, size_t size) {
  // A dissector that knows the SPEC.md key derivation vector's keys for the
  // session named by a CLIENT_HELLO key of 32 bytes of 0xaa.
  dissect::Dissector dissector(FuzzOptions());
  hail::protocol::KeyLogEntry entry;
  entry.client_ephemeral.fill(0xaa);
  entry.keys.client_to_server.fill(0x11);
  entry.keys.server_to_client.fill(0x22);
  dissector.AddKeys(entry);
  for (int link :
       {dissect::kLinkRaw, dissect::kLinkEthernet, dissect::kLinkLinuxSll,
        dissect::kLinkLinuxSll2, dissect::kLinkNull}) {
    dissect::CapturedFrame frame;
    frame.link_type = link;
    frame.data = hail::protocol::ByteSpan(data, size);
    frame.original_length = size;
    dissect::DatagramResult result = dissector.Dissect(frame);
    PrintAll(result);
  }
}

void FuzzFile(const uint8_t* data, size_t size) {
  if (size == 0) return;
  FILE* stream = fmemopen(const_cast<uint8_t*>(data), size, "rb");
  if (!stream) return;
  std::string error;
  std::unique_ptr<dissect::PcapSource> source =
      dissect::PcapSource::OpenStream(stream, &error);
  if (!source) return;
  dissect::Dissector dissector(FuzzOptions());
  dissect::CapturedFrame frame;
  for (int i = 0; i < 1000; ++i) {
    if (source->Read(&frame, &error) !=
        dissect::PcapSource::ReadStatus::kFrame) {
      break;
    }
    PrintAll(dissector.Dissect(frame));
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (sodium_init() < 0) std::abort();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzFrame(data, size);
  FuzzFile(data, size);
  return 0;
}
