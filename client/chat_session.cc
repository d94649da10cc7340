#include "client/chat_session.h"

#include <fmt/format.h>
#include <poll.h>

#include <chrono>
#include <utility>

#include "client/display_names.h"
#include "client/event_text.h"
#include "client/line_editor.h"
#include "client/stop_signals.h"
#include "protocol/forward_rules.h"

namespace hail::client {
namespace {

using protocol::ErrorCode;
using protocol::Relation;
using Type = ChatCommand::Type;

// "add email", "rules sms", ...
std::string ForwardActionText(const ForwardCommand& forward) {
  std::string channel =
      protocol::ForwardChannelName(static_cast<uint8_t>(forward.channel));
  switch (forward.action) {
    case ForwardCommand::Action::kAdd:
      return "add " + channel;
    case ForwardCommand::Action::kVerify:
      return "verify " + channel;
    case ForwardCommand::Action::kRemove:
      return "remove " + channel;
    case ForwardCommand::Action::kRules:
      return "rules " + channel;
    case ForwardCommand::Action::kList:
      break;
  }
  return "list";
}

std::string ForwardConfirmation(const ForwardCommand& forward) {
  auto value = static_cast<uint8_t>(forward.channel);
  std::string label = protocol::ForwardChannelLabel(value);
  switch (forward.action) {
    case ForwardCommand::Action::kAdd:
      return fmt::format(
          "* {} forwarding address set; a code is on its way there: "
          "/forward verify {} CODE",
          label, protocol::ForwardChannelName(value));
    case ForwardCommand::Action::kVerify:
      return fmt::format("* {} forwarding address verified", label);
    case ForwardCommand::Action::kRemove:
      return fmt::format("* {} forwarding stopped and its address forgotten",
                         label);
    case ForwardCommand::Action::kRules:
      return fmt::format("* {} forwarding rule set", label);
    case ForwardCommand::Action::kList:
      break;
  }
  return "* done";
}

// The typed command, as it is echoed in error messages.
std::string Describe(const ChatCommand& command) {
  switch (command.type) {
    case Type::kAdd:
      return "/add " + command.name;
    case Type::kAccept:
      return "/accept " + command.name;
    case Type::kDeny:
      return "/deny " + command.name;
    case Type::kRemove:
      return "/remove " + command.name;
    case Type::kBlock:
      return "/block " + command.name;
    case Type::kUnblock:
      return "/unblock " + command.name;
    case Type::kStatus:
      return "/status " + PresenceName(command.presence);
    case Type::kForward:
      return "/forward " + ForwardActionText(command.forward);
    default:
      return "the request";
  }
}

// What a successful request did, for people.
std::string Confirmation(const ChatCommand& command) {
  switch (command.type) {
    case Type::kAdd:
      return fmt::format("* contact request sent to {}", command.name);
    case Type::kAccept:
      return fmt::format("* {} is now a contact", command.name);
    case Type::kDeny:
      return fmt::format("* declined the contact request of {}", command.name);
    case Type::kRemove:
      return fmt::format("* removed {} from your contacts", command.name);
    case Type::kBlock:
      return fmt::format("* blocked {}", command.name);
    case Type::kUnblock:
      return fmt::format("* unblocked {}", command.name);
    case Type::kStatus:
      return command.text.empty()
                 ? fmt::format("* you are {}", PresenceName(command.presence))
                 : fmt::format("* you are {}: {}",
                               PresenceName(command.presence),
                               TerminalSafe(command.text));
    case Type::kForward:
      return ForwardConfirmation(command.forward);
    default:
      return "* done";
  }
}

}  // namespace

ChatSession::ChatSession(Client& client, std::string username)
    : client_(client), username_(std::move(username)) {}

std::optional<Event> ChatSession::Run() {
  StopSignals signals;
  LineEditor editor(fmt::format("{}> ", username_),
                    [this](std::optional<std::string> line) {
                      return OnLine(std::move(line));
                    });
  editor_ = &editor;
  std::optional<TransportKind> transport = client_.transport_kind();
  Print(fmt::format("* logged in as {} over {}; type /help for the commands",
                    username_,
                    transport ? TransportKindName(*transport) : "?"));
  while (!quit_ && !end_ && !signals.stop_requested()) {
    if (signals.TakeResize()) editor.OnResize();
    pollfd input{editor.fd(), POLLIN, 0};
    int ready = ::poll(&input, 1, kPollIntervalMs);
    if (ready > 0 && (input.revents & (POLLIN | POLLHUP | POLLERR))) {
      editor.OnReadable();
    } else if (ready > 0 && (input.revents & POLLNVAL)) {
      quit_ = true;
    }
    DrainEvents();
  }
  if (!end_ && client_.unaccepted_messages() > 0) {
    Print(fmt::format("* waiting for the server to accept {} message(s)",
                      client_.unaccepted_messages()));
    auto give_up = std::chrono::steady_clock::now() +
                   std::chrono::milliseconds(kQuitGraceMs);
    while (!end_ && client_.unaccepted_messages() > 0 &&
           std::chrono::steady_clock::now() < give_up) {
      if (std::optional<Event> event = client_.Poll(kPollIntervalMs)) {
        OnEvent(*event);
      }
    }
  }
  editor_ = nullptr;
  return end_;
}

void ChatSession::DrainEvents() {
  while (!end_) {
    std::optional<Event> event = client_.Poll(0);
    if (!event) return;
    OnEvent(*event);
  }
}

void ChatSession::Print(std::string_view text) {
  if (editor_ != nullptr) editor_->PrintAbove(text);
}

// --- Typed lines ---

bool ChatSession::OnLine(std::optional<std::string> line) {
  if (!line) {
    quit_ = true;  // Ctrl-D
  } else {
    HandleCommand(ParseChatLine(*line));
  }
  return !quit_;
}

void ChatSession::HandleCommand(const ChatCommand& command) {
  switch (command.type) {
    case Type::kEmpty:
      return;
    case Type::kInvalid:
      Print("! " + command.error);
      return;
    case Type::kSay:
      if (peer_.empty()) {
        Print("! nobody to send to yet: start with /msg NAME TEXT");
      } else {
        Send(peer_, command.text);
      }
      return;
    case Type::kMsg:
      peer_ = command.name;
      Send(peer_, command.text);
      return;
    case Type::kAdd:
      if (const Roster::Entry* entry = roster_.Find(command.name);
          entry != nullptr && entry->relation == Relation::kAccepted) {
        Print(fmt::format("* {} is already a contact", command.name));
        return;
      }
      Request(client_.AddContact(command.name, command.text), command,
              Relation::kRequested);
      return;
    case Type::kAccept:
      Request(client_.AnswerContact(command.name, true), command,
              Relation::kAccepted);
      return;
    case Type::kDeny:
      Request(client_.AnswerContact(command.name, false), command,
              Relation::kNone);
      return;
    case Type::kRemove:
      Request(client_.RemoveContact(command.name), command, Relation::kNone);
      return;
    case Type::kBlock:
      Request(client_.BlockContact(command.name, true), command,
              Relation::kBlocked);
      return;
    case Type::kUnblock:
      Request(client_.BlockContact(command.name, false), command,
              Relation::kNone);
      return;
    case Type::kStatus:
      Request(client_.SetPresence(command.presence, command.text), command,
              std::nullopt);
      return;
    case Type::kWho:
      PrintWho();
      return;
    case Type::kForward:
      HandleForward(command);
      return;
    case Type::kHelp:
      Print("Commands:\n" + ChatHelpText());
      return;
    case Type::kQuit:
      quit_ = true;
      return;
  }
}

void ChatSession::HandleForward(const ChatCommand& command) {
  ForwardCommand forward = command.forward;
  switch (forward.action) {
    case ForwardCommand::Action::kAdd:
      Request(client_.AddForwardAddress(forward.channel, forward.argument),
              command, std::nullopt);
      return;
    case ForwardCommand::Action::kVerify:
      Request(client_.VerifyForwardAddress(forward.channel, forward.argument),
              command, std::nullopt);
      return;
    case ForwardCommand::Action::kRemove:
      Request(client_.RemoveForwardAddress(forward.channel), command,
              std::nullopt);
      return;
    case ForwardCommand::Action::kRules:
      if (!forward.utc_offset_given) {
        forward.rule.utc_offset_minutes = LocalUtcOffsetMinutes();
      }
      Request(client_.SetForwardRules(forward.channel, forward.rule), command,
              std::nullopt);
      return;
    case ForwardCommand::Action::kList:
      // The ForwardSetting events print themselves as they come.
      if (Result<uint32_t> list = client_.RequestForwardList(); !list.ok()) {
        Print(fmt::format("! /forward list: {}", list.status().message()));
      }
      return;
  }
}

void ChatSession::Send(const std::string& recipient, const std::string& text) {
  Result<protocol::ItemId> sent = client_.SendMessage(recipient, text);
  if (!sent.ok()) {
    Print(fmt::format("! cannot send to {}: {}", recipient,
                      sent.status().message()));
  }
  // The MessageAccepted tells how it went.
}

void ChatSession::Request(const Result<uint32_t>& request,
                          const ChatCommand& command,
                          std::optional<protocol::Relation> expected) {
  if (!request.ok()) {
    Print(
        fmt::format("! {}: {}", Describe(command), request.status().message()));
    return;
  }
  requests_[*request] = command;
  if (expected) expected_relations_[command.name] = *expected;
}

// --- Events ---

void ChatSession::OnEvent(const Event& event) {
  if (const auto* update = std::get_if<ContactUpdated>(&event)) {
    OnContactUpdated(*update);
  } else if (const auto* end = std::get_if<ContactListEnd>(&event)) {
    if (end->request_id == 0) {
      list_complete_ = true;
      PrintSummary();
    }
  } else if (const auto* change = std::get_if<PresenceChanged>(&event)) {
    roster_.Apply(*change);
    Print(*EventText(event));
  } else if (const auto* done = std::get_if<RequestDone>(&event)) {
    OnRequestDone(*done);
  } else if (const auto* request = std::get_if<ContactRequest>(&event)) {
    Print(fmt::format("{} (/accept {} or /deny {})", *EventText(event),
                      TerminalSafe(request->from),
                      TerminalSafe(request->from)));
  } else if (const auto* message = std::get_if<MessageReceived>(&event)) {
    if (peer_.empty()) peer_ = message->sender;
    Print(*EventText(event));
  } else if (std::holds_alternative<Reconnected>(event)) {
    // The server sends the whole contact list again.
    roster_.Clear();
    list_complete_ = false;
    Print(*EventText(event));
  } else if (std::holds_alternative<Disconnected>(event) ||
             std::holds_alternative<ReconnectFailed>(event) ||
             std::holds_alternative<IdentityMismatch>(event)) {
    Print(*EventText(event));
    end_ = event;
  } else if (std::optional<std::string> text = EventText(event)) {
    Print(*text);
  }
  // Printed: now the server may forget it.
  if (std::optional<ItemReference> item = AcknowledgementFor(event)) {
    if (Status status = client_.AcknowledgeItem(item->item_id, item->sender_id);
        !status.ok()) {
      Print(
          fmt::format("! cannot acknowledge (the server will send it "
                      "again): {}",
                      status.message()));
    }
  }
}

void ChatSession::OnRequestDone(const RequestDone& done) {
  auto it = requests_.find(done.request_id);
  if (it == requests_.end()) return;
  ChatCommand command = std::move(it->second);
  requests_.erase(it);
  if (done.error != ErrorCode::kOk) {
    expected_relations_.erase(command.name);
    Print(fmt::format("! {} failed: {}", Describe(command),
                      WireErrorName(done.error)));
    return;
  }
  Print(Confirmation(command));
}

void ChatSession::OnContactUpdated(const ContactUpdated& update) {
  Relation before = roster_.Apply(update);
  if (!list_complete_ || before == update.relation) return;
  auto expected = expected_relations_.find(update.username);
  if (expected != expected_relations_.end()) {
    bool ours = expected->second == update.relation;
    expected_relations_.erase(expected);
    if (ours) return;  // the RequestDone confirms it
  }
  std::string name = TerminalSafe(update.username);
  switch (update.relation) {
    case Relation::kAccepted:
      Print(fmt::format("* {} is now a contact ({})", name,
                        PresenceName(update.presence)));
      return;
    case Relation::kNone:
      Print(fmt::format("* {} is no longer a contact", name));
      return;
    case Relation::kPending:
      return;  // the ContactRequest says it, with the note
    default:
      Print(*EventText(update));
      return;
  }
}

void ChatSession::PrintWho() {
  std::vector<Roster::Entry> entries = roster_.Sorted();
  if (entries.empty()) {
    Print("* no contacts yet: /add NAME asks someone");
    return;
  }
  size_t width = 0;
  for (const Roster::Entry& entry : entries) {
    width = std::max(width, entry.username.size());
  }
  std::string text;
  for (const Roster::Entry& entry : entries) {
    if (!text.empty()) text += '\n';
    text += fmt::format("  {:<{}}  {}", TerminalSafe(entry.username), width,
                        DescribeEntry(entry));
    if (entry.presence != protocol::Presence::kOffline) {
      text += fmt::format("  [{}]", PathName(client_.PathTo(entry.username)));
    }
  }
  Print(text);
}

void ChatSession::PrintSummary() {
  std::vector<std::string> online;
  std::vector<std::string> asking;
  size_t contacts = 0;
  for (const Roster::Entry& entry : roster_.Sorted()) {
    if (entry.relation == Relation::kAccepted) {
      ++contacts;
      if (entry.presence != protocol::Presence::kOffline) {
        online.push_back(fmt::format("{} ({})", TerminalSafe(entry.username),
                                     DescribeEntry(entry)));
      }
    } else if (entry.relation == Relation::kPending) {
      asking.push_back(TerminalSafe(entry.username));
    }
  }
  if (contacts == 0) {
    Print("* no contacts yet: /add NAME asks someone");
  } else if (online.empty()) {
    Print(fmt::format("* {} contact(s), none online", contacts));
  } else {
    Print(fmt::format("* {} contact(s) online: {}", online.size(),
                      fmt::join(online, ", ")));
  }
  for (const std::string& name : asking) {
    Print(fmt::format("* {} asks to add you (/accept {} or /deny {})", name,
                      name, name));
  }
}

}  // namespace hail::client
