// The I/O half of hail-dissect: reads link-layer frames with libpcap from a
// pcap/pcapng file, an open stream or a live interface. Owns its pcap_t.
// Not thread-safe, except Interrupt (async-signal-safe via pcap_breakloop).
#ifndef HAIL_TOOLS_DISSECT_PCAP_SOURCE_H_
#define HAIL_TOOLS_DISSECT_PCAP_SOURCE_H_

#include <cstdio>
#include <memory>
#include <string>

#include "tools/dissect/dissector.h"

struct pcap;

namespace hail::dissect {

class PcapSource {
 public:
  // Each returns nullptr and sets *error when the input cannot be opened.
  static std::unique_ptr<PcapSource> OpenFile(const std::string& path,
                                              std::string* error);
  // Takes ownership of `stream` (closed with the source, or on failure).
  static std::unique_ptr<PcapSource> OpenStream(FILE* stream,
                                                std::string* error);
  static std::unique_ptr<PcapSource> OpenLive(const std::string& interface,
                                              const std::string& filter,
                                              std::string* error);
  ~PcapSource();
  PcapSource(const PcapSource&) = delete;
  PcapSource& operator=(const PcapSource&) = delete;

  enum class ReadStatus { kFrame, kEnd, kError };
  // Fills `frame` (its data stays valid until the next Read) or reports the
  // end of the input or a read error (truncated or corrupt file).
  ReadStatus Read(CapturedFrame* frame, std::string* error);
  int link_type() const { return link_type_; }
  // Makes a live Read return kEnd soon.
  void Interrupt();

 private:
  explicit PcapSource(pcap* handle, bool live);
  pcap* handle_;
  bool live_;
  int link_type_;
};

}  // namespace hail::dissect

#endif  // HAIL_TOOLS_DISSECT_PCAP_SOURCE_H_
