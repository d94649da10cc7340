// haild-faulty: the reference haild with one protocol rule broken on
// purpose, for ConformTest: `haild-faulty --fault NAME [haild flags...]`.
// Each fault breaks a rule of one SPEC.md section, and hail-conform must
// report that section failing against it.
#include <cstring>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "protocol/presession.h"
#include "server/haild_main.h"

namespace {

using hail::protocol::Bytes;
using hail::protocol::ErrorCode;
using hail::protocol::Message;

// 3.7: the COOKIE grows past the HELLO (an amplifier).
class PaddedCookie : public hail::server::FaultPlan {
  void ChangePresessionReply(Bytes& datagram) const override {
    datagram.resize(80, 0);
  }
};

// 4.3: CONNECTs are admitted without a valid cookie.
class AnyCookie : public hail::server::FaultPlan {
  bool AdmitsAnyCookie() const override { return true; }
};

// 6.1: SERVER_HELLO's signature does not verify.
class BadSignature : public hail::server::FaultPlan {
  void ChangeHandshakeFrame(Bytes& frame) const override {
    if (!frame.empty()) frame.back() ^= 0x01;
  }
};

// Changes sealed messages of one type.
template <typename M>
class ChangeOne : public hail::server::FaultPlan {
 public:
  explicit ChangeOne(void (*change)(M&)) : change_(change) {}
  void Change(Message& message) const override {
    if (auto* m = std::get_if<M>(&message)) change_(*m);
  }

 private:
  void (*change_)(M&);
};

std::unique_ptr<hail::server::FaultPlan> MakePlan(const std::string& name) {
  using namespace hail::protocol;
  if (name == "padded-cookie") return std::make_unique<PaddedCookie>();
  if (name == "any-cookie") return std::make_unique<AnyCookie>();
  if (name == "bad-signature") return std::make_unique<BadSignature>();
  // 2.6: a plaintext without a kind is reported as malformed.
  if (name == "kind-zero-malformed") {
    return std::make_unique<ChangeOne<ErrorMessage>>([](ErrorMessage& e) {
      if (e.offending_kind == 0) e.error = ErrorCode::kMalformed;
    });
  }
  // 5.x, 6.7: PONG does not echo the nonce.
  if (name == "pong-wrong-nonce") {
    return std::make_unique<ChangeOne<Pong>>([](Pong& p) { p.nonce ^= 1; });
  }
  // 7.6: a wrong password is told apart from an unknown user.
  if (name == "login-names-unknown-users") {
    return std::make_unique<ChangeOne<LoginResult>>([](LoginResult& r) {
      if (r.error == ErrorCode::kInvalidCredentials) {
        r.error = ErrorCode::kUserNotFound;
      }
    });
  }
  // 8.3, 8.4: the asker is told the opposite of the answer.
  if (name == "answer-notice-inverted") {
    return std::make_unique<ChangeOne<ContactAnswerNotice>>(
        [](ContactAnswerNotice& n) { n.accepted = n.accepted ? 0 : 1; });
  }
  // 9.3: status texts are lost.
  if (name == "presence-without-status") {
    return std::make_unique<ChangeOne<PresenceUpdate>>(
        [](PresenceUpdate& p) { p.status_text.clear(); });
  }
  // 10.7: mailbox items claim to be live.
  if (name == "mailbox-flag-cleared") {
    return std::make_unique<ChangeOne<MessageDeliver>>(
        [](MessageDeliver& d) { d.from_mailbox = 0; });
  }
  // 11.9: a malformed request is answered as if it were fine.
  if (name == "malformed-answered-ok") {
    return std::make_unique<ChangeOne<RequestResult>>([](RequestResult& r) {
      if (r.error == ErrorCode::kMalformed) r.error = ErrorCode::kOk;
    });
  }
  // 15.2: the two sides of a rendezvous get different keys.
  if (name == "p2p-keys-differ") {
    return std::make_unique<ChangeOne<P2pReady>>([](P2pReady& r) {
      if (r.role == 1) r.session_key[0] ^= 0x5a;
    });
  }
  // 17.5: the forwarding list's count is off by one.
  if (name == "forward-count-off") {
    return std::make_unique<ChangeOne<ForwardListEnd>>(
        [](ForwardListEnd& e) { e.count += 1; });
  }
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> args{argv[0]};
  std::string fault;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--fault") == 0 && i + 1 < argc) {
      fault = argv[++i];
    } else {
      args.push_back(argv[i]);
    }
  }
  std::unique_ptr<hail::server::FaultPlan> plan = MakePlan(fault);
  if (!plan) {
    std::cerr << "haild-faulty: --fault NAME is required (unknown: \"" << fault
              << "\")\n";
    return 2;
  }
  args.push_back(nullptr);
  return hail::server::RunHaild(static_cast<int>(args.size()) - 1, args.data(),
                                plan.get());
}
