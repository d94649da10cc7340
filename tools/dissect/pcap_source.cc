#include "tools/dissect/pcap_source.h"

#include <pcap/pcap.h>

namespace hail::dissect {

PcapSource::PcapSource(pcap* handle, bool live)
    : handle_(handle), live_(live), link_type_(pcap_datalink(handle)) {}

PcapSource::~PcapSource() { pcap_close(handle_); }

std::unique_ptr<PcapSource> PcapSource::OpenFile(const std::string& path,
                                                 std::string* error) {
  char message[PCAP_ERRBUF_SIZE] = "";
  pcap_t* handle = pcap_open_offline_with_tstamp_precision(
      path.c_str(), PCAP_TSTAMP_PRECISION_MICRO, message);
  if (!handle) {
    *error = message;
    return nullptr;
  }
  return std::unique_ptr<PcapSource>(new PcapSource(handle, false));
}

std::unique_ptr<PcapSource> PcapSource::OpenStream(FILE* stream,
                                                   std::string* error) {
  char message[PCAP_ERRBUF_SIZE] = "";
  pcap_t* handle = pcap_fopen_offline_with_tstamp_precision(
      stream, PCAP_TSTAMP_PRECISION_MICRO, message);
  if (!handle) {
    std::fclose(stream);
    *error = message;
    return nullptr;
  }
  return std::unique_ptr<PcapSource>(new PcapSource(handle, false));
}

std::unique_ptr<PcapSource> PcapSource::OpenLive(const std::string& interface,
                                                 const std::string& filter,
                                                 std::string* error) {
  char message[PCAP_ERRBUF_SIZE] = "";
  // 500 ms read timeout so that Interrupt is noticed on a quiet link.
  pcap_t* handle = pcap_open_live(interface.c_str(), 262144, 0, 500, message);
  if (!handle) {
    *error = message;
    return nullptr;
  }
  bpf_program program;
  if (pcap_compile(handle, &program, filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) !=
      0) {
    *error = std::string("bad filter: ") + pcap_geterr(handle);
    pcap_close(handle);
    return nullptr;
  }
  int set = pcap_setfilter(handle, &program);
  pcap_freecode(&program);
  if (set != 0) {
    *error = std::string("cannot set filter: ") + pcap_geterr(handle);
    pcap_close(handle);
    return nullptr;
  }
  return std::unique_ptr<PcapSource>(new PcapSource(handle, true));
}

PcapSource::ReadStatus PcapSource::Read(CapturedFrame* frame,
                                        std::string* error) {
  for (;;) {
    pcap_pkthdr* header = nullptr;
    const u_char* data = nullptr;
    int rc = pcap_next_ex(handle_, &header, &data);
    if (rc == 0 && live_) continue;  // read timeout
    if (rc == PCAP_ERROR_BREAK) return ReadStatus::kEnd;
    if (rc != 1) {
      *error = pcap_geterr(handle_);
      return ReadStatus::kError;
    }
    frame->seconds = header->ts.tv_sec;
    frame->microseconds = header->ts.tv_usec;
    frame->link_type = link_type_;
    frame->data = protocol::ByteSpan(data, header->caplen);
    frame->original_length = header->len;
    return ReadStatus::kFrame;
  }
}

void PcapSource::Interrupt() { pcap_breakloop(handle_); }

}  // namespace hail::dissect
