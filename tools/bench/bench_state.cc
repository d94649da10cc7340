#include "tools/bench/bench_state.h"

#include <fmt/format.h>
#include <sodium.h>

#include <charconv>
#include <fstream>
#include <sstream>

#include "protocol/byte_io.h"

namespace hail::bench {
namespace {

constexpr std::string_view kHeader = "hail-bench-state 1";

std::string RandomHex(size_t bytes) {
  protocol::Bytes random(bytes);
  randombytes_buf(random.data(), random.size());
  return protocol::ToHex(random);
}

template <size_t N>
bool ParseKey(const std::string& hex, std::array<uint8_t, N>* out) {
  protocol::Bytes bytes;
  if (!protocol::FromHex(hex, &bytes) || bytes.size() != N) return false;
  std::copy(bytes.begin(), bytes.end(), out->begin());
  return true;
}

}  // namespace

Result<BenchState> BenchState::Load(const std::filesystem::path& dir) {
  BenchState state;
  state.dir_ = dir;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return Status::IoError(
        fmt::format("cannot create {}: {}", dir.string(), ec.message()));
  }
  std::ifstream in(dir / "accounts");
  if (!in) {
    state.prefix_ = "hb" + RandomHex(4);
    state.password_ = RandomHex(16);
    return state;
  }
  std::string line;
  if (!std::getline(in, line) || line != kHeader) {
    return Status::InvalidArgument((dir / "accounts").string() +
                                   " is not a hail-bench state file");
  }
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string key;
    words >> key;
    if (key == "prefix") {
      words >> state.prefix_;
    } else if (key == "password") {
      words >> state.password_;
    } else if (key == "identity") {
      std::string hex;
      words >> hex;
      protocol::PublicKey identity;
      if (ParseKey(hex, &identity)) state.identity_ = identity;
    } else if (key == "user") {
      uint32_t index = 0;
      int registered = 0;
      std::string token;
      words >> index >> registered >> token;
      if (!words || index > 10'000'000) continue;
      state.EnsureAccounts(index + 1);
      Account& account = state.accounts_[index];
      account.registered = registered != 0;
      protocol::Token parsed;
      if (ParseKey(token, &parsed)) account.token = parsed;
    }
  }
  if (state.prefix_.size() != 10 || state.password_.size() < 8) {
    return Status::InvalidArgument((dir / "accounts").string() +
                                   " lacks a prefix or password");
  }
  return state;
}

Status BenchState::Save() const {
  std::filesystem::path path = dir_ / "accounts";
  std::filesystem::path temp = dir_ / "accounts.tmp";
  {
    std::ofstream out(temp, std::ios::trunc);
    out << kHeader << "\nprefix " << prefix_ << "\npassword " << password_
        << "\n";
    if (identity_) out << "identity " << protocol::ToHex(*identity_) << "\n";
    for (size_t i = 0; i < accounts_.size(); ++i) {
      const Account& a = accounts_[i];
      out << "user " << i << " " << (a.registered ? 1 : 0) << " "
          << (a.token ? protocol::ToHex(*a.token) : std::string("-")) << "\n";
    }
    if (!out.flush()) return Status::IoError("cannot write " + temp.string());
  }
  std::error_code ec;
  std::filesystem::rename(temp, path, ec);
  if (ec) return Status::IoError("cannot replace " + path.string());
  return Status::Ok();
}

std::string BenchState::Username(uint32_t index) const {
  return fmt::format("{}u{}", prefix_, index);
}

std::optional<uint32_t> BenchState::IndexOf(std::string_view username) const {
  if (username.size() <= prefix_.size() + 1 ||
      username.substr(0, prefix_.size()) != prefix_ ||
      username[prefix_.size()] != 'u') {
    return std::nullopt;
  }
  std::string_view digits = username.substr(prefix_.size() + 1);
  uint32_t index = 0;
  auto [ptr, ec] =
      std::from_chars(digits.data(), digits.data() + digits.size(), index);
  if (ec != std::errc() || ptr != digits.data() + digits.size()) {
    return std::nullopt;
  }
  return index;
}

void BenchState::EnsureAccounts(uint32_t count) {
  if (accounts_.size() < count) accounts_.resize(count);
}

}  // namespace hail::bench
