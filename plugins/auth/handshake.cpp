#include "handshake.h"

#include "basic_credentials.h"
#include "squid_reply.h"

namespace exaproxy::auth {

namespace {

bool base64Char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

// The first word of `s` (up to a space), and `s` after it and its spaces.
std::string_view firstWord(std::string_view& s) {
  size_t end = s.find(' ');
  std::string_view word = s.substr(0, end);
  s = end == std::string_view::npos ? std::string_view() : s.substr(end);
  while (!s.empty() && s.front() == ' ')
    s.remove_prefix(1);
  return word;
}

std::string_view trimEnd(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

} // namespace

std::optional<std::string> schemeToken(std::string_view v, std::string_view scheme) {
  if (!usesScheme(v, scheme))
    return std::nullopt;
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t'))
    v.remove_prefix(1);
  v.remove_prefix(scheme.size());
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t'))
    v.remove_prefix(1);
  v = trimEnd(v);
  size_t data = v.size();
  while (data > 0 && v[data - 1] == '=')
    --data;
  if (data == 0 || v.size() - data > 2)
    return std::nullopt;
  for (size_t i = 0; i < data; ++i)
    if (!base64Char(v[i]))
      return std::nullopt;
  return std::string(v);
}

std::string handshakeLine(const std::string& token, bool continues) {
  return (continues ? "KK " : "YR ") + token + "\n";
}

HandshakeAnswer parseHandshakeAnswer(std::string_view answer, Scheme scheme) {
  using Kind = HandshakeAnswer::Kind;
  HandshakeAnswer a;
  std::string_view rest = trimEnd(answer);
  std::string_view word = firstWord(rest);
  if (word == "TT") {
    std::string_view token = firstWord(rest);
    if (token.empty()) {
      a.message = "the helper answered TT without a token";
      return a;
    }
    a.kind = Kind::Continue;
    a.token = std::string(token);
    return a;
  }
  if (word == "AF") {
    // Negotiate: AF <token> <user>; NTLM: AF <user>. A lone word is the user for either.
    std::string_view first = firstWord(rest);
    std::string_view second = firstWord(rest);
    if (scheme == Scheme::Negotiate && !second.empty()) {
      a.token = std::string(first);
      a.user = std::string(second);
    } else {
      a.user = std::string(first);
    }
    if (a.user.empty()) {
      a.message = "the helper answered AF without a user";
      return a;
    }
    a.kind = Kind::Done;
    return a;
  }
  if (word == "NA") {
    a.kind = Kind::Refused;
    a.message = std::string(rest);
    return a;
  }
  common::SquidReply reply = common::parseSquidReply(answer);
  switch (reply.result) {
  case common::SquidReply::Result::Ok:
    if (const std::string* user = reply.note("user"); user && !user->empty()) {
      a.kind = Kind::Done;
      a.user = *user;
      if (const std::string* token = reply.note("token"))
        a.token = *token;
      if (const std::string* group = reply.note("group"))
        a.group = *group;
    } else {
      a.message = "the helper answered OK without user=";
    }
    return a;
  case common::SquidReply::Result::Err:
    a.kind = Kind::Refused;
    if (const std::string* message = reply.note("message"))
      a.message = *message;
    return a;
  case common::SquidReply::Result::BrokenHelper:
    a.message = common::brokenReason(reply);
    return a;
  default:
    a.message = "the helper answered neither TT, OK, AF, ERR, NA nor BH: " +
                std::string(answer.substr(0, 80));
    return a;
  }
}

std::optional<Scheme> ConnectionLogins::challenged(uint64_t connection) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = states_.find(connection);
  return it == states_.end() ? std::nullopt : it->second.challenged;
}

std::optional<ConnectionLogins::Login> ConnectionLogins::login(uint64_t connection) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = states_.find(connection);
  return it == states_.end() ? std::nullopt : it->second.login;
}

void ConnectionLogins::setChallenged(uint64_t connection, Scheme scheme) {
  std::lock_guard<std::mutex> lock(mutex_);
  State& s = states_[connection];
  s.challenged = scheme;
  s.login.reset(); // a new handshake replaces the connection's login
}

void ConnectionLogins::setLogin(uint64_t connection, Login login) {
  std::lock_guard<std::mutex> lock(mutex_);
  State& s = states_[connection];
  s.challenged.reset();
  s.login = std::move(login);
}

void ConnectionLogins::forget(uint64_t connection) {
  std::lock_guard<std::mutex> lock(mutex_);
  states_.erase(connection);
}

size_t ConnectionLogins::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return states_.size();
}

} // namespace exaproxy::auth
