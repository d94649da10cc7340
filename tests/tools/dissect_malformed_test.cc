// Issue #4: hail-dissect never trusts a capture. A corpus of broken files is
// generated at test time (truncated pcaps at every length, lying caplen and
// snaplen, random bytes, garbage "HAIL" payloads, absurd ENet fragments);
// the binary must report the problem and exit 1 or 3, never die of a signal.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "tests/integration/haild_process.h"
#include "tests/tools/dissect_packets.h"

namespace hail::testing {
namespace {

namespace fs = std::filesystem;
namespace packets = dissect_packets;
using packets::PcapFile;
using packets::PcapRecord;
using protocol::Bytes;

class DissectMalformedTest : public ::testing::Test {
 protected:
  fs::path Write(const std::string& name, const Bytes& bytes) {
    fs::path path = dir_.path() / name;
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()),
               static_cast<std::streamsize>(bytes.size()));
    return path;
  }

  // Runs hail-dissect on `file` in each output mode; every run must end
  // with one of `allowed` exit codes (a signal shows as -1 or >= 128).
  void ExpectRejected(const fs::path& file, std::set<int> allowed = {1, 3}) {
    for (const char* mode : {"--json", "-V", ""}) {
      std::vector<std::string> argv = {HAIL_DISSECT_PATH, "-r", file.string(),
                                       "--keylog", KeyLog().string()};
      if (*mode) argv.push_back(mode);
      CommandResult r = RunCommand(argv, {}, 20000);
      EXPECT_TRUE(allowed.count(r.exit_code))
          << file.filename() << " " << mode << " exit " << r.exit_code << "\n"
          << r.err;
      if (r.exit_code == 1) {
        EXPECT_NE(r.err.find("hail-dissect:"), std::string::npos) << r.err;
      }
    }
  }

  fs::path KeyLog() {
    fs::path path = dir_.path() / "empty.keys";
    if (!fs::exists(path)) std::ofstream(path) << "";
    return path;
  }

  // A valid capture: HELLO, COOKIE and a CONNECT.
  Bytes ValidCapture() {
    Bytes hello(64, 0);
    Bytes hail = {0x48, 0x41, 0x49, 0x4c, 0x01, 0x01};
    std::copy(hail.begin(), hail.end(), hello.begin());
    Bytes connect = {0x82, 0xff, 0x00, 0x01, 0x00, 0x00, 0xff, 0xff, 0x00, 0x00,
                     0x05, 0x78, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
                     0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                     0x13, 0x88, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x02,
                     0x01, 0x02, 0x03, 0x04, 0xb1, 0x61, 0x03, 0x8d};
    return PcapFile({{packets::ToServer(hello)},
                     {packets::ToServer(packets::Enet(0xfff, connect))}});
  }

  TempDir dir_;
};

TEST_F(DissectMalformedTest, ValidSyntheticCaptureExitsZero) {
  fs::path file = Write("valid.pcap", ValidCapture());
  CommandResult r = RunCommand({HAIL_DISSECT_PATH, "-r", file.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_NE(r.out.find("HAIL HELLO"), std::string::npos);
  EXPECT_NE(r.out.find("ENet CONNECT"), std::string::npos);
}

TEST_F(DissectMalformedTest, MissingFileAndUsageErrorsHaveTheirCodes) {
  EXPECT_EQ(
      RunCommand({HAIL_DISSECT_PATH, "-r", "/nonexistent.pcap"}).exit_code, 3);
  EXPECT_EQ(RunCommand({HAIL_DISSECT_PATH}).exit_code, 2);
  EXPECT_EQ(RunCommand({HAIL_DISSECT_PATH, "-r", "x", "--port", "0"}).exit_code,
            2);
  EXPECT_EQ(
      RunCommand({HAIL_DISSECT_PATH, "-r", "x", "--kind", "NOPE"}).exit_code,
      2);
}

TEST_F(DissectMalformedTest, TruncatedPcapAtEveryLengthIsReported) {
  Bytes full = ValidCapture();
  for (size_t n = 0; n < full.size(); n += (n < 48 ? 1 : 7)) {
    fs::path file = Write("cut" + std::to_string(n) + ".pcap",
                          Bytes(full.begin(), full.begin() + long(n)));
    // Cut exactly between records is a valid (shorter) capture.
    ExpectRejected(file, {0, 1, 3});
  }
  // Cut inside the second record: must be reported.
  ExpectRejected(
      Write("cut_record.pcap", Bytes(full.begin(), full.end() - 10)));
}

TEST_F(DissectMalformedTest, LyingCaplenAndSnaplenAreReported) {
  Bytes packet = packets::ToServer(Bytes{0x48, 0x41, 0x49, 0x4c});
  ExpectRejected(Write("caplen.pcap", PcapFile({{packet, 0x7fffffff}})));
  ExpectRejected(Write("caplen_small.pcap",
                       PcapFile({{packet, uint32_t(packet.size() + 100)}})));
  ExpectRejected(Write("snaplen.pcap", PcapFile({{packet}}, 0xffffffff)));
  ExpectRejected(Write("snaplen_small.pcap", PcapFile({{packet}}, 8)));
  ExpectRejected(Write("linktype.pcap", PcapFile({{packet}}, 65535, 147)));
}

TEST_F(DissectMalformedTest, RandomBytesAreRejected) {
  std::mt19937 random(4);
  for (int i = 0; i < 20; ++i) {
    Bytes bytes(static_cast<size_t>(random() % 400));
    for (uint8_t& b : bytes) b = static_cast<uint8_t>(random());
    ExpectRejected(Write("random" + std::to_string(i), bytes));
  }
}

TEST_F(DissectMalformedTest, GarbageHailPayloadsAreReported) {
  std::mt19937 random(5);
  std::vector<PcapRecord> records;
  for (size_t size : {4, 5, 6, 16, 19, 20, 21, 63, 64, 65, 200}) {
    Bytes payload = {0x48, 0x41, 0x49, 0x4c};
    while (payload.size() < size) payload.push_back(uint8_t(random()));
    records.push_back({packets::ToServer(payload)});
  }
  ExpectRejected(Write("hail_garbage.pcap", PcapFile(records)), {1});
}

TEST_F(DissectMalformedTest, AbsurdEnetCommandsAreReported) {
  Bytes data(32, 0xab);
  std::vector<Bytes> datagrams = {
      // Fragment counts, numbers, totals and offsets out of range.
      packets::SendFragment(0, 1, 1, 0xffffffff, 0, 100, 0, data),
      packets::SendFragment(0, 2, 1, 2, 5, 100, 0, data),
      packets::SendFragment(0, 3, 1, 2, 0, 0xffffffff, 0, data),
      packets::SendFragment(0, 4, 1, 2, 0, 100, 0xfffffff0, data),
      packets::SendFragment(0, 5, 1, 200, 0, 100, 0, data),
      packets::SendFragment(0, 6, 9, 0, 0, 0, 0, data),
      // Data length past the end.
      {0x86, 0x00, 0x00, 0x07, 0xff, 0xff, 0x01},
      // Unknown command, truncated CONNECT.
      {0x8f, 0x00, 0x00, 0x01},
      {0x82, 0xff, 0x00, 0x01, 0x00},
      // Bad frames: empty, unknown type, short SEALED, truncated PLAIN.
      packets::SendReliable(0, 8, {}),
      packets::SendReliable(0, 9, {0x07, 0x00}),
      packets::SendReliable(0, 10, {0x02, 0x00, 0x01}),
      packets::SendReliable(0, 11, {0x01, 0x00, 0x22, 0x00}),
  };
  std::vector<PcapRecord> records;
  for (const Bytes& d : datagrams) {
    records.push_back({packets::ToServer(packets::Enet(0, d))});
  }
  records.push_back({packets::ToServer(Bytes{0x00})});  // short ENet header
  fs::path file = Write("enet_absurd.pcap", PcapFile(records));
  ExpectRejected(file, {1});
  CommandResult r =
      RunCommand({HAIL_DISSECT_PATH, "-r", file.string(), "--json"});
  // One JSON line per datagram, each with at least one error.
  size_t lines =
      static_cast<size_t>(std::count(r.out.begin(), r.out.end(), '\n'));
  EXPECT_EQ(lines, records.size());
  EXPECT_EQ(r.out.find("\"errors\":[]"), std::string::npos) << r.out;
}

TEST_F(DissectMalformedTest, IpAndUdpLengthsAreNotTrusted) {
  Bytes packet = packets::ToServer(Bytes(40, 0x01));
  Bytes long_ip = packet;
  long_ip[2] = 0xff;  // IPv4 total length beyond the frame
  Bytes long_udp = packet;
  long_udp[24] = 0xff;  // UDP length beyond the frame
  Bytes short_udp = packet;
  short_udp[24] = 0;
  short_udp[25] = 3;  // below the UDP header
  Bytes bad_ihl = packet;
  bad_ihl[0] = 0x4f;  // 60-byte header
  Bytes fragment = packet;
  fragment[6] = 0x20;  // more fragments
  std::vector<PcapRecord> records;
  for (const Bytes& p : {long_ip, long_udp, short_udp, bad_ihl, fragment}) {
    records.push_back({p});
  }
  records.push_back({Bytes{0x45}});
  records.push_back({Bytes{}});
  ExpectRejected(Write("ip.pcap", PcapFile(records)), {1});
  // The same bytes behind Ethernet, SLL and SLL2 headers.
  for (uint32_t link : {1u, 113u, 276u, 0u}) {
    ExpectRejected(Write("link" + std::to_string(link) + ".pcap",
                         PcapFile({{Bytes(3, 0)}, {long_ip}}, 65535, link)),
                   {1});
  }
}

}  // namespace
}  // namespace hail::testing
