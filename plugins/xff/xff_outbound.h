// What the request carries upstream: X-Forwarded-For per forwarded_for, Forwarded per forwarded
// (PROTOCOLS.md §3.1 "Outbound"), and a Connection header that can no longer strip them.
#pragma once

#include "xff_address.h"
#include "xff_settings.h"

#include <string>
#include <string_view>
#include <vector>

namespace exaproxy::xff {

struct HeaderEdit {
  enum class Op {
    Keep,  // leave the field lines as they are
    Set,   // replace every line of the field with one line holding value
    Remove // remove every line of the field
  };
  Op op = Op::Keep;
  std::string value;
};

struct OutboundPlan {
  HeaderEdit xForwardedFor;
  HeaderEdit forwarded;
  // A client's "Connection: X-Forwarded-For" (or Forwarded) would make the proxy drop, as
  // hop-by-hop, the field we just wrote (PROTOCOLS.md §3.1 pitfall d). When we write one of them,
  // its name is taken out of Connection (Remove when nothing else was listed).
  HeaderEdit connection;
  bool changed() const {
    return xForwardedFor.op != HeaderEdit::Op::Keep || forwarded.op != HeaderEdit::Op::Keep ||
           connection.op != HeaderEdit::Op::Keep;
  }
};

struct ReceivedHeaders {
  std::vector<std::string_view> xForwardedFor; // every line, in order
  std::vector<std::string_view> forwarded;
  std::vector<std::string_view> connection;
};

// peer: the address that connected to us (or the PROXY protocol source), what `append` adds.
// identity: the client found by the walk, what `truncate` keeps.
OutboundPlan planOutbound(const Settings& s, const ReceivedHeaders& in, const Address& peer,
                          const Address& identity);

} // namespace exaproxy::xff
