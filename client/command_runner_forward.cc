// CommandRunner: `hail forward ...`, the user's extended-delivery settings
// (SPEC.md section 17). Parsing is in forward_cli.cc; the shared steps
// (login, waiting, output) in command_runner.cc and command_runner_chat.cc.
#include <fmt/format.h>

#include <vector>

#include "client/command_runner.h"
#include "client/event_json.h"
#include "client/event_text.h"
#include "client/forward_cli.h"
#include "client/json_line.h"
#include "protocol/forward_rules.h"

namespace hail::client {
namespace {

using Action = ForwardCommand::Action;

}  // namespace

ExitCode CommandRunner::RunForward() {
  ForwardCommand& command = options_.forward;
  if (command.action == Action::kRules && !command.utc_offset_given) {
    command.rule.utc_offset_minutes = LocalUtcOffsetMinutes();
  }
  LoginResult login;
  if (std::optional<ExitCode> failed = LogInAsLoginUser(&login)) {
    return *failed;
  }
  if (command.action == Action::kList) return RunForwardList();
  std::string channel =
      protocol::ForwardChannelName(static_cast<uint8_t>(command.channel));
  Result<uint32_t> request = Status::InvalidArgument("no request");
  std::vector<ResultField> fields;
  std::string what;
  switch (command.action) {
    case Action::kAdd:
      request = client_->AddForwardAddress(command.channel, command.argument);
      what = fmt::format("forward add {}", channel);
      fields = {{"forwarding address", "address", command.argument},
                {"channel", "channel", channel},
                {"next", "next",
                 fmt::format("a code is on its way there: hail forward "
                             "verify {} CODE",
                             channel)}};
      break;
    case Action::kVerify:
      request =
          client_->VerifyForwardAddress(command.channel, command.argument);
      what = fmt::format("forward verify {}", channel);
      fields = {{"verified", "channel", channel}};
      break;
    case Action::kRemove:
      request = client_->RemoveForwardAddress(command.channel);
      what = fmt::format("forward remove {}", channel);
      fields = {{"forwarding stopped", "channel", channel}};
      break;
    case Action::kRules: {
      request = client_->SetForwardRules(command.channel, command.rule);
      what = fmt::format("forward rules {}", channel);
      ForwardSetting setting{0, static_cast<uint8_t>(command.channel), "",
                             false, command.rule};
      std::string text = EventText(setting).value_or("");
      // "* e-mail: no address; forwarding ...": the rule part only.
      size_t rule_at = text.find("; ");
      fields = {
          {"rule set", "channel", channel},
          {"rule", "rule",
           rule_at == std::string::npos ? text : text.substr(rule_at + 2)}};
      break;
    }
    case Action::kList:
      break;
  }
  if (std::optional<ExitCode> failed = AwaitRequestDone(request, what)) {
    return *failed;
  }
  EmitResult(fields);
  LogOutAndClose();
  return ExitCode::kOk;
}

ExitCode CommandRunner::RunForwardList() {
  Result<uint32_t> request = client_->RequestForwardList();
  if (!request.ok()) {
    std::optional<ExitCode> failed = ReportRequestError(request.status());
    LogOutAndClose();
    return *failed;
  }
  std::vector<ForwardSetting> settings;
  ExitCode failure = ExitCode::kOk;
  std::optional<Event> end = Await(
      "the forwarding settings",
      [&settings, id = *request](const Event& e) {
        if (const auto* setting = std::get_if<ForwardSetting>(&e);
            setting != nullptr && setting->request_id == id) {
          settings.push_back(*setting);
        }
        const auto* list_end = std::get_if<ForwardListEnd>(&e);
        return list_end != nullptr && list_end->request_id == id;
      },
      &failure);
  if (!end) return failure;
  if (options_.json) {
    for (const ForwardSetting& setting : settings) {
      out_ << EventJson(setting);
    }
    JsonLine summary;
    summary.AddString("command", "forward");
    summary.AddBool("ok", true);
    summary.AddUnsigned("count", settings.size());
    out_ << summary.str() << std::flush;
  } else {
    for (const ForwardSetting& setting : settings) {
      // Without the leading "* " of event lines.
      std::string text = EventText(setting).value_or("");
      out_ << (text.rfind("* ", 0) == 0 ? text.substr(2) : text) << "\n";
    }
    out_ << std::flush;
  }
  LogOutAndClose();
  return ExitCode::kOk;
}

}  // namespace hail::client
