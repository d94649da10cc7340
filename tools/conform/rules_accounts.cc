// Rules of SPEC.md section 7: register, login, resume, logout, change
// password, delete, one session per account, throttling.
#include "tools/conform/checks.h"

namespace hail::conform {
namespace {

using protocol::ErrorCode;

std::optional<protocol::RegisterResult> Register(Context& ctx, WireClient& c,
                                                 const std::string& name,
                                                 const std::string& password) {
  const uint32_t id = ctx.NextRequestId();
  c.Send(protocol::RegisterRequest{id, name, password});
  return c.Wait<protocol::RegisterResult>(
      ctx.timeout_ms(),
      [id](const protocol::RegisterResult& r) { return r.request_id == id; });
}

std::optional<protocol::LoginResult> Login(Context& ctx, WireClient& c,
                                           const std::string& name,
                                           const std::string& password) {
  const uint32_t id = ctx.NextRequestId();
  c.Send(protocol::LoginRequest{id, name, password, "hail-conform", {}});
  return c.Wait<protocol::LoginResult>(
      ctx.timeout_ms(),
      [id](const protocol::LoginResult& r) { return r.request_id == id; });
}

}  // namespace

HAIL_RULE(
    "7.5", "register-gives-a-user-id-and-the-canonical-name",
    "REGISTER_REQUEST with a mixed-case name gets OK, a user_id >= 10000 and "
    "the lowercase name") {
  auto client = ctx.Connect(ctx.SpareSource());
  HAIL_REQUIRE_OK(client);
  std::string name = ctx.FreshName("Up");
  name[0] = 'C';
  auto result = Register(ctx, **client, name, "a good password");
  if (!result) return Fail("no REGISTER_RESULT; saw {}", Seen(**client));
  std::string lower = name;
  for (char& ch : lower) ch = static_cast<char>(std::tolower(ch));
  if (result->error != ErrorCode::kOk || result->user_id < 10000 ||
      result->username != lower) {
    return Fail("expected OK, user_id >= 10000, username {}; got {}", lower,
                Show(*result));
  }
  return ExpectAlive(**client, ctx.timeout_ms());
}

HAIL_RULE("7.5", "taken-name-in-another-case-is-username-taken",
          "registering an existing name in another case gets USERNAME_TAKEN") {
  auto account = ctx.NewAccount();
  HAIL_REQUIRE_OK(account);
  auto client = ctx.Connect(account->local_host);
  HAIL_REQUIRE_OK(client);
  std::string upper = account->name;
  upper[0] = static_cast<char>(std::toupper(upper[0]));
  auto result = Register(ctx, **client, upper, "another password");
  if (!result || result->error != ErrorCode::kUsernameTaken) {
    return Fail("expected USERNAME_TAKEN, got {}",
                result ? Show(*result) : Seen(**client));
  }
  return Pass();
}

HAIL_RULE("7.1", "name-starting-with-a-digit-is-invalid-username",
          "REGISTER_REQUEST for \"1abc\" gets INVALID_USERNAME") {
  auto client = ctx.Connect(ctx.SpareSource());
  HAIL_REQUIRE_OK(client);
  auto result = Register(ctx, **client, "1abc", "a good password");
  if (!result || result->error != ErrorCode::kInvalidUsername) {
    return Fail("expected INVALID_USERNAME, got {}",
                result ? Show(*result) : Seen(**client));
  }
  return Pass();
}

HAIL_RULE("7.2", "seven-byte-password-is-invalid-password",
          "REGISTER_REQUEST with a 7-byte password gets INVALID_PASSWORD") {
  auto client = ctx.Connect(ctx.SpareSource());
  HAIL_REQUIRE_OK(client);
  auto result = Register(ctx, **client, ctx.FreshName(), "1234567");
  if (!result || result->error != ErrorCode::kInvalidPassword) {
    return Fail("expected INVALID_PASSWORD, got {}",
                result ? Show(*result) : Seen(**client));
  }
  return Pass();
}

HAIL_RULE("7.6", "wrong-password-and-unknown-user-look-the-same",
          "LOGIN with a wrong password and LOGIN of an unknown user both get "
          "INVALID_CREDENTIALS with no user data") {
  auto account = ctx.NewAccount();
  HAIL_REQUIRE_OK(account);
  auto client = ctx.Connect(ctx.SpareSource());
  HAIL_REQUIRE_OK(client);
  auto wrong = Login(ctx, **client, account->name, "not the password");
  auto unknown =
      Login(ctx, **client, ctx.FreshName("nobody"), "not the password");
  for (auto* r : {&wrong, &unknown}) {
    if (!*r) return Fail("no LOGIN_RESULT; saw {}", Seen(**client));
    if ((*r)->error != ErrorCode::kInvalidCredentials || (*r)->user_id != 0 ||
        !(*r)->username.empty() || (*r)->token != protocol::Token{}) {
      return Fail("expected INVALID_CREDENTIALS with no user data, got {}",
                  Show(**r));
    }
  }
  return Pass();
}

HAIL_RULE(
    "7.6", "login-reports-the-observed-endpoint",
    "LOGIN_RESULT{OK} carries the user_id, a token and the source address "
    "the server sees") {
  auto account = ctx.NewAccount();
  HAIL_REQUIRE_OK(account);
  auto client = ctx.Connect(account->local_host);
  HAIL_REQUIRE_OK(client);
  auto result = Login(ctx, **client, account->name, account->password);
  if (!result || result->error != ErrorCode::kOk) {
    return Fail("expected LOGIN_RESULT{{OK}}, got {}",
                result ? Show(*result) : Seen(**client));
  }
  if (result->user_id != account->user_id ||
      result->token == protocol::Token{} || result->observed_endpoint.empty()) {
    return Fail("LOGIN_RESULT lacks user_id {}, a token or the endpoint: {}",
                account->user_id, Show(*result));
  }
  if (ctx.target().host.rfind("127.", 0) == 0 &&
      result->observed_endpoint.port != (*client)->lan_endpoint().port) {
    return Fail("observed_endpoint {} is not our socket {}",
                result->observed_endpoint.ToString(),
                (*client)->lan_endpoint().ToString());
  }
  return Pass();
}

HAIL_RULE(
    "7.7", "token-resumes-once",
    "RESUME with the login's token gets OK and a new token; the used token "
    "then gets TOKEN_INVALID") {
  auto account = ctx.NewAccount();
  HAIL_REQUIRE_OK(account);
  {
    auto first = ctx.LogIn(*account);
    HAIL_REQUIRE_OK(first);
  }
  const protocol::Token used = account->token;
  auto again = ctx.LogIn(*account);  // RESUME with the token
  if (!again.ok()) return Fail("RESUME failed: {}", again.status().message());
  if (account->token == used) return Fail("RESUME returned the same token");
  (*again)->Close();
  auto client = ctx.Connect(account->local_host);
  HAIL_REQUIRE_OK(client);
  const uint32_t id = ctx.NextRequestId();
  (*client)->Send(
      protocol::ResumeRequest{id, account->name, used, "hail-conform", {}});
  auto result = (*client)->Wait<protocol::LoginResult>(ctx.timeout_ms());
  if (!result || result->error != ErrorCode::kTokenInvalid) {
    return Fail("a used token: expected TOKEN_INVALID, got {}",
                result ? Show(*result) : Seen(**client));
  }
  return Pass();
}

HAIL_RULE("7.11", "second-login-ends-the-first-session",
          "a second login of an account ends the first session with "
          "SESSION_ENDED{SESSION_REPLACED}") {
  auto account = ctx.NewAccount();
  HAIL_REQUIRE_OK(account);
  auto first = ctx.LogIn(*account);
  HAIL_REQUIRE_OK(first);
  auto second = ctx.LogIn(*account);
  HAIL_REQUIRE_OK(second);
  auto ended = (*first)->Wait<protocol::SessionEnded>(ctx.timeout_ms());
  if (!ended || ended->reason != ErrorCode::kSessionReplaced) {
    return Fail("expected SESSION_ENDED{{SESSION_REPLACED}}, saw {}",
                ended ? Show(*ended) : Seen(**first));
  }
  return ExpectAlive(**second, ctx.timeout_ms());
}

HAIL_RULE(
    "7.8", "logout-returns-the-session-to-secured",
    "LOGOUT_RESULT{OK} answers LOGOUT, after which SESSION_INFO_REQUEST is "
    "BAD_STATE") {
  auto account = ctx.NewAccount();
  HAIL_REQUIRE_OK(account);
  auto client = ctx.LogIn(*account);
  HAIL_REQUIRE_OK(client);
  (*client)->Send(protocol::SessionInfoRequest{31});
  auto info = (*client)->Wait<protocol::SessionInfo>(ctx.timeout_ms());
  if (!info || info->request_id != 31 || info->user_id != account->user_id ||
      info->username != account->name) {
    return Fail("SESSION_INFO_REQUEST while logged in: saw {}",
                info ? Show(*info) : Seen(**client));
  }
  (*client)->Send(protocol::LogoutRequest{32});
  auto out = (*client)->Wait<protocol::LogoutResult>(ctx.timeout_ms());
  if (!out || out->request_id != 32 || out->error != ErrorCode::kOk) {
    return Fail("expected LOGOUT_RESULT{{32, OK}}, saw {}",
                out ? Show(*out) : Seen(**client));
  }
  (*client)->Send(protocol::SessionInfoRequest{33});
  return ExpectError(**client,
                     static_cast<uint16_t>(protocol::Kind::kSessionInfoRequest),
                     ErrorCode::kBadState, ctx.timeout_ms(), 33);
}

HAIL_RULE(
    "7.9", "changed-password-replaces-the-old-one",
    "CHANGE_PASSWORD gets OK with a new token; LOGIN with the old password "
    "then fails") {
  auto account = ctx.NewAccount();
  HAIL_REQUIRE_OK(account);
  auto client = ctx.LogIn(*account);
  HAIL_REQUIRE_OK(client);
  const uint32_t id = ctx.NextRequestId();
  (*client)->Send(protocol::ChangePasswordRequest{id, account->password,
                                                  "a brand new password"});
  auto changed =
      (*client)->Wait<protocol::ChangePasswordResult>(ctx.timeout_ms());
  if (!changed || changed->error != ErrorCode::kOk ||
      changed->token == protocol::Token{}) {
    return Fail("expected CHANGE_PASSWORD_RESULT{{OK, token}}, saw {}",
                changed ? Show(*changed) : Seen(**client));
  }
  auto other = ctx.Connect(account->local_host);
  HAIL_REQUIRE_OK(other);
  auto old = Login(ctx, **other, account->name, account->password);
  if (!old || old->error != ErrorCode::kInvalidCredentials) {
    return Fail("the old password: expected INVALID_CREDENTIALS, got {}",
                old ? Show(*old) : Seen(**other));
  }
  auto fresh = Login(ctx, **other, account->name, "a brand new password");
  if (!fresh || fresh->error != ErrorCode::kOk) {
    return Fail("the new password: expected OK, got {}",
                fresh ? Show(*fresh) : Seen(**other));
  }
  return Pass();
}

HAIL_RULE(
    "7.10", "deleted-account-ends-its-session-and-frees-its-name",
    "DELETE_ACCOUNT gets OK, then SESSION_ENDED{ACCOUNT_DELETED}; the name "
    "can be registered again with a new user_id") {
  auto account = ctx.NewAccount();
  HAIL_REQUIRE_OK(account);
  auto client = ctx.LogIn(*account);
  HAIL_REQUIRE_OK(client);
  const uint32_t id = ctx.NextRequestId();
  (*client)->Send(protocol::DeleteAccountRequest{id, account->password});
  auto deleted =
      (*client)->Wait<protocol::DeleteAccountResult>(ctx.timeout_ms());
  if (!deleted || deleted->error != ErrorCode::kOk) {
    return Fail("expected DELETE_ACCOUNT_RESULT{{OK}}, saw {}",
                deleted ? Show(*deleted) : Seen(**client));
  }
  auto ended = (*client)->Wait<protocol::SessionEnded>(ctx.timeout_ms());
  if (!ended || ended->reason != ErrorCode::kAccountDeleted) {
    return Fail("expected SESSION_ENDED{{ACCOUNT_DELETED}}, saw {}",
                ended ? Show(*ended) : Seen(**client));
  }
  auto other = ctx.Connect(account->local_host);
  HAIL_REQUIRE_OK(other);
  auto again = Register(ctx, **other, account->name, "yet another password");
  if (!again || again->error != ErrorCode::kOk ||
      again->user_id <= account->user_id) {
    return Fail(
        "re-registering the name: expected OK with a new, larger "
        "user_id than {}, got {}",
        account->user_id, again ? Show(*again) : Seen(**other));
  }
  return Pass();
}

HAIL_RULE("7.12", "sixth-wrong-password-from-one-address-is-throttled",
          "five wrong passwords for an account from one address are "
          "INVALID_CREDENTIALS, the sixth THROTTLED with retry_after_ms") {
  auto account = ctx.NewAccount();
  HAIL_REQUIRE_OK(account);
  auto client = ctx.Connect(ctx.SpareSource());
  HAIL_REQUIRE_OK(client);
  for (int i = 1; i <= 6; ++i) {
    auto result = Login(ctx, **client, account->name, "wrong password!");
    if (!result) return Fail("no LOGIN_RESULT for try {}", i);
    const ErrorCode want =
        i <= 5 ? ErrorCode::kInvalidCredentials : ErrorCode::kThrottled;
    if (result->error != want || (i == 6 && result->retry_after_ms == 0)) {
      return Fail("try {}: expected {}, got {}", i,
                  protocol::ErrorCodeName(want), Show(*result));
    }
  }
  return Pass();
}

}  // namespace hail::conform
