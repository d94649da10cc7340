#include "tests/integration/test_client.h"

namespace hail::testing {

TestClient::TestClient(const std::filesystem::path& home, uint16_t port,
                       std::string host) {
  client::ClientOptions options;
  options.server_host = std::move(host);
  options.server_port = port;
  options.home = home;
  options.client_version = "hail-test/1";
  // Tests of the server path must not have their messages taken by a
  // direct link; P2P tests pass their own options.
  options.p2p = client::P2pPolicy::kRelayOnly;
  client_ = std::make_unique<client::Client>(options);
}

TestClient::TestClient(client::ClientOptions options) {
  if (options.client_version.empty()) options.client_version = "hail-test/1";
  client_ = std::make_unique<client::Client>(std::move(options));
}

bool TestClient::Connect(int timeout_ms) {
  if (!client_->Connect().ok()) return false;
  return WaitFor<client::Connected>(timeout_ms).has_value();
}

std::optional<client::Registered> TestClient::Register(
    const std::string& name, const std::string& password) {
  if (!client_->Register(name, password).ok()) return std::nullopt;
  return WaitFor<client::Registered>();
}

std::optional<client::LoginResult> TestClient::Login(
    const std::string& name, const std::string& password) {
  if (!client_->Login(name, password).ok()) return std::nullopt;
  return WaitFor<client::LoginResult>();
}

std::optional<client::LoginResult> TestClient::Resume(const std::string& name) {
  if (!client_->Resume(name).ok()) return std::nullopt;
  return WaitFor<client::LoginResult>();
}

}  // namespace hail::testing
