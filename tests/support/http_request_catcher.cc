#include "tests/support/http_request_catcher.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace hail::testing {
namespace {

constexpr size_t kMaxRequestBytes = 16384;
constexpr int kPollMs = 50;

}  // namespace

HttpRequestCatcher::HttpRequestCatcher() {
  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listener_ < 0) throw std::runtime_error("socket failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (::bind(listener_, reinterpret_cast<sockaddr*>(&address),
             sizeof(address)) != 0 ||
      ::listen(listener_, 16) != 0 ||
      ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address),
                    &length) != 0) {
    ::close(listener_);
    throw std::runtime_error("cannot listen on 127.0.0.1");
  }
  port_ = ntohs(address.sin_port);
  thread_ = std::thread([this] { AcceptLoop(); });
}

HttpRequestCatcher::~HttpRequestCatcher() {
  stopping_ = true;
  thread_.join();
  ::close(listener_);
}

std::string HttpRequestCatcher::base_url() const {
  return "http://127.0.0.1:" + std::to_string(port_);
}

void HttpRequestCatcher::AcceptLoop() {
  while (!stopping_) {
    pollfd waiting{listener_, POLLIN, 0};
    if (::poll(&waiting, 1, kPollMs) <= 0) continue;
    const int connection = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (connection < 0) continue;
    Serve(connection);
    ::close(connection);
  }
}

void HttpRequestCatcher::Serve(int connection) {
  std::string request;
  char buffer[2048];
  // Read the request head (a GET has no body worth waiting for).
  for (int idle = 0; request.find("\r\n\r\n") == std::string::npos &&
                     request.size() < kMaxRequestBytes && idle < 40;) {
    pollfd waiting{connection, POLLIN, 0};
    if (::poll(&waiting, 1, kPollMs) <= 0) {
      ++idle;
      continue;
    }
    const ssize_t got = ::recv(connection, buffer, sizeof(buffer), 0);
    if (got <= 0) break;
    request.append(buffer, static_cast<size_t>(got));
  }
  const size_t first_space = request.find(' ');
  const size_t second_space = request.find(' ', first_space + 1);
  std::string answer;
  std::chrono::milliseconds delay;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (first_space != std::string::npos && second_space != std::string::npos) {
      targets_.push_back(
          request.substr(first_space + 1, second_space - first_space - 1));
    }
    answer = "HTTP/1.1 " + std::to_string(status_) +
             " Answer\r\nContent-Length: " + std::to_string(body_.size()) +
             "\r\nConnection: close\r\n\r\n" + body_;
    delay = delay_;
  }
  std::this_thread::sleep_for(delay);
  ::send(connection, answer.data(), answer.size(), MSG_NOSIGNAL);
}

void HttpRequestCatcher::set_answer(int status, std::string body,
                                    std::chrono::milliseconds delay) {
  std::lock_guard<std::mutex> lock(mutex_);
  status_ = status;
  body_ = std::move(body);
  delay_ = delay;
}

std::vector<std::string> HttpRequestCatcher::targets() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return targets_;
}

std::vector<std::string> HttpRequestCatcher::WaitForTargets(
    size_t count, std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<std::string> seen = targets();
  while (seen.size() < count && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(kPollMs));
    seen = targets();
  }
  return seen;
}

}  // namespace hail::testing
