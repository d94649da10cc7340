// `hail`: the command-line client. See `hail --help`.
#include <unistd.h>

#include <iostream>
#include <span>

#include "client/cli_options.h"
#include "client/command_runner.h"
#include "client/password_prompt.h"

int main(int argc, char** argv) {
  using hail::client::CliParse;
  // Without a command, an interactive terminal gets the chat.
  CliParse parse = hail::client::ParseCommandLine(
      std::span<const char* const>(argv, static_cast<size_t>(argc)),
      /*chat_without_command=*/isatty(STDIN_FILENO) != 0);
  switch (parse.outcome) {
    case CliParse::Outcome::kHelp:
      std::cout << hail::client::HelpText();
      return 0;
    case CliParse::Outcome::kVersion:
      std::cout << hail::client::VersionText();
      return 0;
    case CliParse::Outcome::kUsageError:
      std::cerr << "hail: " << parse.text << "\nTry 'hail --help'.\n";
      return static_cast<int>(hail::client::ExitCode::kUsage);
    case CliParse::Outcome::kRun:
      break;
  }
  hail::client::CommandRunner runner(
      parse.options, hail::client::CliEnvironment::FromProcess(), std::cout,
      std::cerr, hail::client::ReadPasswordFromTerminal);
  return static_cast<int>(runner.Run());
}
