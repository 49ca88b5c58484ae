// The connection-oriented schemes, Negotiate (RFC 4559, Kerberos through SPNEGO) and NTLM: the
// token a client sends in Proxy-Authorization, the lines Squid's stateful helpers read
// (`YR <token>` to start a handshake, `KK <token>` for its next step) and what they answer, and
// which connections are in the middle of a handshake or done with one.
//
// Helper answers, as Squid reads them (its negotiate and NTLM helper protocols):
//   TT <token>                   another round: the token goes to the client in a 407
//   OK [token=<t>] user=<u> ...  authenticated (Squid >= 3.4)
//   AF <token> <user>            authenticated (Negotiate, older helpers); NTLM: AF <user>
//   ERR [message=...], NA [why]  refused: the client is asked again from the start
//   BH [why] and anything else   the helper is broken: the request fails (on_error)
#pragma once

#include "auth_config.h"

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace exaproxy::auth {

// The token of a Proxy-Authorization value using `scheme` (case-insensitive), when it is
// well-formed base64 (RFC 4648, the padding optional as SSPI clients omit it at times); nullopt
// otherwise (another scheme, no token, white space inside, other characters).
std::optional<std::string> schemeToken(std::string_view headerValue, std::string_view scheme);

// "YR <token>\n" (a new handshake) or "KK <token>\n" (its next step).
std::string handshakeLine(const std::string& token, bool continues);

struct HandshakeAnswer {
  enum class Kind { Continue, Done, Refused, Broken };
  Kind kind = Kind::Broken;
  std::string token;   // Continue: for the client; Done: the server's last token, if any
  std::string user;    // Done
  std::string group;   // Done: the helper's group=, if any
  std::string message; // Refused: message= or NA's reason; Broken: why
};

HandshakeAnswer parseHandshakeAnswer(std::string_view answer, Scheme scheme);

// Where each client connection stands with the connection-oriented schemes: challenged (a
// helper is reserved for it and waits for its next token) or authenticated (its later requests
// need no Proxy-Authorization: NTLM and Negotiate authenticate the connection, not a request).
// Any thread: the connections' loops and the helpers' thread use it.
class ConnectionLogins {
public:
  struct Login {
    std::string user;
    std::string group;
  };
  // The scheme whose handshake this connection is in the middle of.
  std::optional<Scheme> challenged(uint64_t connection) const;
  std::optional<Login> login(uint64_t connection) const;

  void setChallenged(uint64_t connection, Scheme scheme);
  void setLogin(uint64_t connection, Login login);
  void forget(uint64_t connection);
  size_t size() const;

private:
  struct State {
    std::optional<Scheme> challenged;
    std::optional<Login> login;
  };
  mutable std::mutex mutex_;
  std::unordered_map<uint64_t, State> states_;
};

} // namespace exaproxy::auth
