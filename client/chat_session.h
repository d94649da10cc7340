// `hail chat`: the interactive session after login. One loop waits on the
// terminal (through LineEditor) and polls the Client with a short timeout;
// incoming messages, contact requests and presence changes are printed at
// once above the line being typed, which stays intact.
//
// Received items are acknowledged after they were printed. The client
// reconnects by itself (ClientOptions::auto_reconnect); the session ends
// with /quit, Ctrl-D, SIGINT, SIGTERM or SIGHUP, or when the connection is
// gone for good. Not thread-safe; one per process (it owns the terminal).
#ifndef HAIL_CLIENT_CHAT_SESSION_H_
#define HAIL_CLIENT_CHAT_SESSION_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "client/chat_command.h"
#include "client/client.h"
#include "client/roster.h"

namespace hail::client {

class LineEditor;

class ChatSession {
 public:
  // How often the loop services the network while the user is idle.
  static constexpr int kPollIntervalMs = 50;
  // At /quit, how long to wait for messages not yet accepted.
  static constexpr int kQuitGraceMs = 3000;

  // REQUIRES: `client` is logged in as `username`.
  ChatSession(Client& client, std::string username);
  ChatSession(const ChatSession&) = delete;
  ChatSession& operator=(const ChatSession&) = delete;

  // Runs until the user leaves (returns nullopt; the caller logs out) or
  // the connection ends for good (returns that event: Disconnected,
  // ReconnectFailed or IdentityMismatch).
  std::optional<Event> Run();

 private:
  // Handles a typed line; returns whether to read another one.
  bool OnLine(std::optional<std::string> line);
  void HandleCommand(const ChatCommand& command);
  // /forward: the extended-delivery settings requests.
  void HandleForward(const ChatCommand& command);
  void OnEvent(const Event& event);
  void DrainEvents();
  void Print(std::string_view text);
  void Send(const std::string& recipient, const std::string& text);
  void Request(const Result<uint32_t>& request, const ChatCommand& command,
               std::optional<protocol::Relation> expected);
  void OnRequestDone(const RequestDone& done);
  void OnContactUpdated(const ContactUpdated& update);
  void PrintWho();
  void PrintSummary();

  Client& client_;
  std::string username_;
  LineEditor* editor_ = nullptr;  // set while Run runs
  Roster roster_;
  bool list_complete_ = false;  // the login contact list has ended
  bool quit_ = false;
  std::optional<Event> end_;
  std::string peer_;  // the last /msg recipient: where plain lines go
  // Typed commands whose request awaits its RequestDone, by request id.
  std::map<uint32_t, ChatCommand> requests_;
  // Relation changes our own requests will cause, by username: their
  // ContactUpdated is not announced again (the RequestDone is).
  std::map<std::string, protocol::Relation> expected_relations_;
};

}  // namespace hail::client

#endif  // HAIL_CLIENT_CHAT_SESSION_H_
