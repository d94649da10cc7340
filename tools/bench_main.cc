// hail-bench: measures the cost of Hail's hot paths and prints numbers.
// Every figure is real work done in this process (or against a real haild
// with --server); nothing is estimated.
#include <sodium.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "protocol/messages.h"
#include "protocol/registry.h"
#include "protocol/secure_channel.h"
#include "tools/chat_load.h"
#include "tools/latency_stats.h"

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

int main(int argc, char** argv) {
  namespace po = boost::program_options;
  int iterations = 200000;
  int hashes = 10;
  std::string server;
  hail::tools::ChatLoadOptions load;
  po::options_description options("hail-bench options");
  // clang-format off
  options.add_options()
      ("help,h", "show this help")
      ("iterations", po::value(&iterations)->default_value(iterations),
       "codec and AEAD iterations")
      ("hashes", po::value(&hashes)->default_value(hashes),
       "Argon2id hashes to time")
      ("server", po::value(&server),
       "HOST:PORT of a running haild: also measure a chat load against it "
       "(creates accounts named bench*)")
      ("pairs", po::value(&load.pairs)->default_value(load.pairs),
       "chat load: pairs of users messaging each other")
      ("messages",
       po::value(&load.messages_per_user)->default_value(load.messages_per_user),
       "chat load: messages each user sends")
      ("window", po::value(&load.window)->default_value(load.window),
       "chat load: messages a user may have in flight");
  // clang-format on
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, options), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "hail-bench: " << e.what() << "\n" << options;
    return 2;
  }
  if (vm.count("help")) {
    std::cout << "usage: hail-bench [options]\n\n" << options;
    return 0;
  }
  if (sodium_init() < 0) return 1;
  BenchCodec(iterations);
  for (size_t size : {64, 1024, 16384}) BenchAead(iterations / 4, size);
  BenchArgon2(hashes);
  if (server.empty()) return 0;
  size_t colon = server.rfind(':');
  if (colon == std::string::npos) {
    std::cerr << "hail-bench: --server wants HOST:PORT\n";
    return 2;
  }
  load.host = server.substr(0, colon);
  load.port = static_cast<uint16_t>(std::stoi(server.substr(colon + 1)));
  load.home = std::filesystem::temp_directory_path() /
              ("hail-bench-" + std::to_string(::getpid()));
  hail::Result<hail::tools::ChatLoadResult> result =
      hail::tools::RunChatLoad(load);
  std::error_code ec;
  std::filesystem::remove_all(load.home, ec);
  if (!result.ok()) {
    std::cerr << "hail-bench: chat load failed: " << result.status().message()
              << "\n";
    return 1;
  }
  std::printf(
      "chat   %d messages between %d pairs in %.2f s: %.0f msg/s "
      "(%d live, %d stored)\n",
      result->messages, load.pairs, result->seconds,
      result->messages / result->seconds, result->live, result->stored);
  std::printf("chat   send -> accepted: %s\n",
              hail::tools::FormatSummary(result->accept_ms, "ms").c_str());
  std::printf("chat   send -> delivered: %s\n",
              hail::tools::FormatSummary(result->delivery_ms, "ms").c_str());
  return 0;
}
