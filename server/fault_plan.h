// Deliberate breakage of protocol rules, for showing that a conformance
// checker catches it: tests/conform/faulty_haild.cc builds a haild that
// breaks one chosen rule (`haild-faulty --fault NAME`) and hail-conform must
// fail against it. The reference haild never has a plan (Server::Start's
// default); every hook is a no-op unless a test overrides it.
//
// Threading: a plan is immutable and called from every loop thread.
#ifndef HAIL_SERVER_FAULT_PLAN_H_
#define HAIL_SERVER_FAULT_PLAN_H_

#include "protocol/byte_io.h"
#include "protocol/server_session.h"

namespace hail::server {

class FaultPlan : public protocol::SendFault {
 public:
  // Every SEALED message a session sends (protocol::SendFault).
  void Change(protocol::Message&) const override {}
  // A COOKIE or REJECT datagram before it is sent.
  virtual void ChangePresessionReply(protocol::Bytes&) const {}
  // A PLAIN handshake frame (SERVER_HELLO, HANDSHAKE_REJECT) before it is
  // sent.
  virtual void ChangeHandshakeFrame(protocol::Bytes&) const {}
  // True: ENet CONNECTs are admitted whatever cookie they carry.
  virtual bool AdmitsAnyCookie() const { return false; }
};

}  // namespace hail::server

#endif  // HAIL_SERVER_FAULT_PLAN_H_
