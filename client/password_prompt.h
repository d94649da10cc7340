// Reads a password from the controlling terminal with echo off. The
// terminal settings are restored afterwards, also when SIGINT, SIGTERM or
// SIGHUP arrives during the prompt (the signal is then re-raised).
// Not thread-safe: one prompt at a time per process.
#ifndef HAIL_CLIENT_PASSWORD_PROMPT_H_
#define HAIL_CLIENT_PASSWORD_PROMPT_H_

#include <string>
#include <string_view>

#include "protocol/status.h"

namespace hail::client {

// Writes `prompt` to the terminal and reads one line (without its newline).
// Errors: NotFound when the process has no controlling terminal, IoError.
Result<std::string> ReadPasswordFromTerminal(std::string_view prompt);

}  // namespace hail::client

#endif  // HAIL_CLIENT_PASSWORD_PROMPT_H_
