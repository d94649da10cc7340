#include "tools/bench/micro_bench.h"

#include <sodium.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "protocol/messages.h"
#include "protocol/registry.h"
#include "protocol/secure_channel.h"
#include "tools/latency_stats.h"

namespace hail::bench {
namespace {

using Clock = std::chrono::steady_clock;

double MicrosSince(Clock::time_point start) {
  return std::chrono::duration<double, std::micro>(Clock::now() - start)
      .count();
}

void BenchCodec(int iterations) {
  hail::protocol::LoginRequest request;
  request.request_id = 7;
  request.username = "alice";
  request.password = "correct horse battery staple";
  request.client_version = "hail-bench/0.1";
  request.lan_endpoint = *hail::protocol::Endpoint::Parse("10.0.0.5:51000");
  hail::protocol::Message message = request;
  auto start = Clock::now();
  size_t bytes = 0;
  for (int i = 0; i < iterations; ++i) {
    hail::protocol::Bytes encoded = hail::protocol::EncodeMessage(message);
    hail::protocol::Decoded decoded = hail::protocol::DecodeMessage(encoded);
    if (decoded.status != hail::protocol::DecodeStatus::kOk) std::abort();
    bytes += encoded.size();
  }
  double us = MicrosSince(start);
  std::printf(
      "codec  LOGIN_REQUEST encode+decode: %.1f ns/op (%zu bytes/msg)\n",
      us * 1000.0 / iterations, bytes / iterations);
}

void BenchAead(int iterations, size_t size) {
  hail::protocol::SessionKeys keys;
  randombytes_buf(keys.client_to_server.data(), 32);
  randombytes_buf(keys.server_to_client.data(), 32);
  hail::protocol::SecureChannel client(
      keys, hail::protocol::SecureChannel::Role::kClient);
  hail::protocol::SecureChannel server(
      keys, hail::protocol::SecureChannel::Role::kServer);
  hail::protocol::Bytes plaintext(size, 0x42);
  hail::protocol::Bytes opened;
  auto start = Clock::now();
  for (int i = 0; i < iterations; ++i) {
    hail::protocol::Bytes frame = client.Seal(0, plaintext);
    if (server.Open(0, frame, &opened) != hail::protocol::OpenStatus::kOk) {
      std::abort();
    }
  }
  double us = MicrosSince(start);
  std::printf("aead   seal+open %5zu-byte payload: %.1f ns/op, %.1f MB/s\n",
              size, us * 1000.0 / iterations,
              static_cast<double>(size) * iterations / us);
}

void BenchArgon2(int iterations) {
  std::vector<double> samples;
  char hash[crypto_pwhash_STRBYTES];
  for (int i = 0; i < iterations; ++i) {
    auto start = Clock::now();
    if (crypto_pwhash_str(hash, "correct horse battery staple", 28,
                          crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
      std::abort();
    }
    samples.push_back(MicrosSince(start) / 1000.0);
  }
  std::printf("argon2 crypto_pwhash_str (interactive): %s\n",
              hail::tools::FormatSummary(hail::tools::Summarize(samples), "ms")
                  .c_str());
}

}  // namespace

void RunMicroBenchmarks(int iterations, int hashes) {
  BenchCodec(iterations);
  for (size_t size : {64, 1024, 16384}) BenchAead(iterations / 4, size);
  BenchArgon2(hashes);
}

}  // namespace hail::bench
