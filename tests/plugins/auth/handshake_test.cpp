// auth_core: the connection-oriented schemes (handshake.h): tokens taken from
// Proxy-Authorization, the YR/KK lines Squid's stateful helpers read, every answer they give
// (Squid >= 3.4's OK/ERR with notes and the older TT/AF/NA/BH words), and where each connection
// stands.
#include "handshake.h"

#include <gtest/gtest.h>

namespace exaproxy::auth {
namespace {

using Kind = HandshakeAnswer::Kind;

// The NTLM type-1 message curl sends first (base64 of "NTLMSSP\0", type 1, flags).
const char* kType1 = "TlRMTVNTUAABAAAABoIIAAAAAAAAAAAAAAAAAAAAAAA=";

TEST(SchemeToken, TakesWellFormedTokensOfTheScheme) {
  EXPECT_EQ(schemeToken(std::string("NTLM ") + kType1, "NTLM"), kType1);
  EXPECT_EQ(schemeToken("ntlm  abcd ", "NTLM"), "abcd") << "scheme case, spaces around";
  EXPECT_EQ(schemeToken("Negotiate YIIC+/8=", "Negotiate"), "YIIC+/8=");
  EXPECT_EQ(schemeToken("Negotiate YIICabc", "Negotiate"), "YIICabc") << "padding left out";
  EXPECT_FALSE(schemeToken("Negotiate", "Negotiate"));
  EXPECT_FALSE(schemeToken("Negotiate ", "Negotiate"));
  EXPECT_FALSE(schemeToken("NegotiateYIIC", "Negotiate"));
  EXPECT_FALSE(schemeToken("Basic YWxpY2U6eA==", "NTLM"));
  EXPECT_FALSE(schemeToken("NTLM ab cd", "NTLM")) << "no space inside a token";
  EXPECT_FALSE(schemeToken("NTLM ab\ncd", "NTLM")) << "nothing a helper line could split on";
  EXPECT_FALSE(schemeToken("NTLM ab===", "NTLM"));
  EXPECT_FALSE(schemeToken("NTLM ==", "NTLM"));
}

TEST(HandshakeLine, StartsWithYrContinuesWithKk) {
  EXPECT_EQ(handshakeLine("abc", false), "YR abc\n");
  EXPECT_EQ(handshakeLine("abc", true), "KK abc\n");
}

TEST(HandshakeAnswerTest, EveryAnswerOfSquidsStatefulHelpers) {
  auto tt = parseHandshakeAnswer("TT TlRMTVNTUAACAAAA", Scheme::Ntlm);
  EXPECT_EQ(tt.kind, Kind::Continue);
  EXPECT_EQ(tt.token, "TlRMTVNTUAACAAAA");

  auto ok = parseHandshakeAnswer("OK token=oRQwEqADCgEA user=alice@EXAMPLE.TEST group=staff",
                                 Scheme::Negotiate);
  EXPECT_EQ(ok.kind, Kind::Done);
  EXPECT_EQ(ok.user, "alice@EXAMPLE.TEST");
  EXPECT_EQ(ok.token, "oRQwEqADCgEA");
  EXPECT_EQ(ok.group, "staff");

  auto afNegotiate = parseHandshakeAnswer("AF oRQwEqADCgEA bob@EXAMPLE.TEST", Scheme::Negotiate);
  EXPECT_EQ(afNegotiate.kind, Kind::Done);
  EXPECT_EQ(afNegotiate.user, "bob@EXAMPLE.TEST");
  EXPECT_EQ(afNegotiate.token, "oRQwEqADCgEA");
  auto afNtlm = parseHandshakeAnswer("AF WORKGROUP\\carol", Scheme::Ntlm);
  EXPECT_EQ(afNtlm.kind, Kind::Done);
  EXPECT_EQ(afNtlm.user, "WORKGROUP\\carol");

  auto na = parseHandshakeAnswer("NA wrong password", Scheme::Ntlm);
  EXPECT_EQ(na.kind, Kind::Refused);
  EXPECT_EQ(na.message, "wrong password");
  auto err = parseHandshakeAnswer("ERR message=\"ticket expired\"", Scheme::Negotiate);
  EXPECT_EQ(err.kind, Kind::Refused);
  EXPECT_EQ(err.message, "ticket expired");

  // What must never let a request through: each is Broken, with why.
  for (const char* bad : {"BH gss_accept_sec_context() failed", "OK", "OK user=", "TT", "AF",
                          "LD abc alice", "", "YES alice"}) {
    auto a = parseHandshakeAnswer(bad, Scheme::Negotiate);
    EXPECT_EQ(a.kind, Kind::Broken) << bad;
    EXPECT_FALSE(a.message.empty()) << bad;
    EXPECT_TRUE(a.user.empty()) << bad;
  }
  EXPECT_EQ(parseHandshakeAnswer("BH no keytab", Scheme::Negotiate).message,
            "helper said BH: no keytab");
}

TEST(ConnectionLoginsTest, AConnectionIsChallengedThenLoggedInThenForgotten) {
  ConnectionLogins logins;
  EXPECT_FALSE(logins.challenged(1));
  EXPECT_FALSE(logins.login(1));
  logins.setChallenged(1, Scheme::Ntlm);
  EXPECT_EQ(logins.challenged(1), Scheme::Ntlm);
  EXPECT_FALSE(logins.login(1)) << "challenged is not logged in";
  logins.setLogin(1, {"alice", "staff"});
  EXPECT_FALSE(logins.challenged(1));
  ASSERT_TRUE(logins.login(1));
  EXPECT_EQ(logins.login(1)->user, "alice");
  EXPECT_EQ(logins.login(1)->group, "staff");
  EXPECT_FALSE(logins.login(2)) << "per connection";
  // A new handshake on the connection replaces its login.
  logins.setChallenged(1, Scheme::Negotiate);
  EXPECT_FALSE(logins.login(1));
  logins.forget(1);
  EXPECT_EQ(logins.size(), 0u);
}

} // namespace
} // namespace exaproxy::auth
