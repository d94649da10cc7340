// One line typed in `hail chat`, parsed: a slash command or text for the
// current conversation. Pure, so every form is unit-tested.
//
//   /add NAME [TEXT]   /accept NAME   /deny NAME     /remove NAME
//   /block NAME        /unblock NAME  /status PRESENCE [TEXT]
//   /who               /msg NAME TEXT /help          /quit
//   /forward ACTION ... (as `hail forward`, options inline)
//   anything else not starting with '/' (or starting with "//", which
//   stands for a single '/') is TEXT for the last /msg recipient.
#ifndef HAIL_CLIENT_CHAT_COMMAND_H_
#define HAIL_CLIENT_CHAT_COMMAND_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "client/forward_cli.h"
#include "protocol/contact_messages.h"

namespace hail::client {

struct ChatCommand {
  enum class Type : uint8_t {
    kEmpty,  // a blank line
    kSay,    // text for the current conversation: `text`
    kAdd,
    kAccept,
    kDeny,
    kRemove,
    kBlock,
    kUnblock,
    kStatus,
    kWho,
    kMsg,
    kHelp,
    kQuit,
    kForward,  // `forward` says what
    kInvalid,  // `error` says what is wrong, for people
  };
  Type type = Type::kEmpty;
  std::string name;  // the NAME argument, canonical
  std::string text;  // TEXT: the rest of the line, inner spaces kept
  protocol::Presence presence = protocol::Presence::kOnline;  // /status
  ForwardCommand forward;                                     // /forward
  std::string error;
};

ChatCommand ParseChatLine(std::string_view line);

// The /help text: one command per line.
std::string ChatHelpText();

}  // namespace hail::client

#endif  // HAIL_CLIENT_CHAT_COMMAND_H_
