// Shard: extended delivery's requests (SPEC.md 11.48-11.52, section 17).
// Runs on the shard's loop thread; the ForwardService's work (store reads,
// synced writes) runs on the contacts thread, one request at a time, so
// each sees the previous one's settings.
#include <utility>

#include "server/forward_service.h"
#include "server/shard.h"

namespace hail::server {

using protocol::ErrorCode;

namespace {

// What one settings request came to: a REQUEST_RESULT, or the list.
struct ForwardAnswer {
  ErrorCode error = ErrorCode::kOk;
  bool listed = false;
  std::vector<protocol::ForwardEntry> entries;
};

ForwardAnswer Serve(ForwardService* forward, uint64_t me,
                    const std::string& my_name,
                    const protocol::Message& request) {
  ForwardAnswer answer;
  if (const auto* add = std::get_if<protocol::ForwardAddressAdd>(&request)) {
    answer.error = forward->AddAddress(me, my_name, add->channel, add->address);
  } else if (const auto* verify =
                 std::get_if<protocol::ForwardAddressVerify>(&request)) {
    answer.error = forward->VerifyAddress(me, verify->channel, verify->code);
  } else if (const auto* remove =
                 std::get_if<protocol::ForwardAddressRemove>(&request)) {
    answer.error = forward->RemoveAddress(me, remove->channel);
  } else if (const auto* rules =
                 std::get_if<protocol::ForwardRulesSet>(&request)) {
    answer.error = forward->SetRules(me, rules->channel, rules->rule);
  } else {
    answer.listed = true;
    Result<std::vector<protocol::ForwardEntry>> entries = forward->List(me);
    if (entries.ok()) {
      answer.entries = std::move(*entries);
    } else {
      answer.error = ErrorCode::kInternal;
    }
  }
  return answer;
}

}  // namespace

void Shard::OnForwardRequest(PeerSession& s, const protocol::Message& request) {
  const uint32_t request_id = std::visit(
      [](const auto& m) -> uint32_t {
        if constexpr (requires { m.request_id; }) {
          return m.request_id;
        } else {
          return 0;
        }
      },
      request);
  const bool is_list =
      std::holds_alternative<protocol::ForwardListRequest>(request);
  auto reply = [this, request_id, is_list](PeerSession& session,
                                           const ForwardAnswer& answer) {
    if (!is_list) {
      SendMessage(session, protocol::RequestResult{request_id, answer.error});
      return;
    }
    if (answer.error != ErrorCode::kOk) {
      protocol::ErrorMessage error;
      error.request_id = request_id;
      error.offending_kind =
          static_cast<uint16_t>(protocol::ForwardListRequest::kKind);
      error.error = answer.error;
      Send(session, session.session.Seal(error));
      shared_->counters->errors_answered++;
      return;
    }
    for (protocol::ForwardEntry entry : answer.entries) {
      entry.request_id = request_id;
      SendMessage(session, entry);
    }
    SendMessage(session,
                protocol::ForwardListEnd{
                    request_id, static_cast<uint32_t>(answer.entries.size())});
  };
  ForwardService* forward = shared_->forward;
  uint64_t me = s.session.user_id();
  std::string my_name = s.session.username();
  Offload<ForwardAnswer>(
      shared_->contact_worker,
      [forward, me, my_name, request] {
        return Serve(forward, me, my_name, request);
      },
      reply, s.id,
      [&] {
        ForwardAnswer busy;
        busy.error = ErrorCode::kServerBusy;
        reply(s, busy);
      });
}

void Shard::ForwardedMessageRead(PeerSession& s, const protocol::ItemAck& r) {
  ForwardService* forward = shared_->forward;
  if (forward == nullptr || !forward->OffersAny()) return;
  uint64_t me = s.session.user_id();
  // Best effort: when the queue is full, the login that delivered the
  // message has already cancelled its jobs (SPEC.md 17.6).
  shared_->io_workers->TrySubmit(
      [forward, me, sender = r.sender_id, id = r.item_id] {
        forward->Acknowledged(me, sender, id);
      });
}

}  // namespace hail::server
