// The seam between the session and the stages of a request. A stage (filter_stage,
// upstream_connector, http_exchange, tunnel, deadlines) never calls back into ClientSession: it
// does its own work on the exchange (proxy/exchange.h) and returns a Next saying what the session
// must do now. Only ClientSession::apply() changes the state, arms the timer and writes answers.
#pragma once

#include "proxy/admission.h"

#include <string>
#include <string_view>
#include <utility>

namespace exaproxy::proxy {

// Which deadline to restart (its length comes from the configuration, proxy/deadlines.h).
enum class Rearm { None, HeaderRead, Connect, FirstByte, RelayIdle, TunnelIdle, IdleKeepAlive };

struct Next {
  enum class Kind {
    Stay,       // nothing more can be done until an event
    Progress,   // work was done: step again
    Filter,     // the host admits the request: on to the plugins
    Resolve,    // the destination (Transaction::destHost, TxProgress::destPort) is chosen
    Connect,    // its addresses are known (Transaction::connector): connect, or take a pooled one
    Connecting, // a connect is under way (the upstream socket is set): wait for it
    Forward,    // an upstream connection is open: send the request
    Relay,      // the response head is out: relay its body
    Tunnel,     // CONNECT established, or 101 Switching Protocols: bytes both ways
    Answer,     // write `answer` (the request is not forwarded, or no longer)
    ReadFile,   // answer with the content of `file`, read by a worker; `answer` holds the rest
    Finish,     // the exchange ended cleanly
    Abort,      // close the connection without another byte; `why` is logged
  };
  Kind kind = Kind::Stay;
  Rearm rearm = Rearm::None;
  LocalAnswer answer;
  std::string file;
  std::string why;

  static Next stay() { return {}; }
  static Next progress(Rearm r = Rearm::None) {
    Next n;
    n.kind = Kind::Progress;
    n.rearm = r;
    return n;
  }
  static Next to(Kind k) {
    Next n;
    n.kind = k;
    return n;
  }
  static Next answerWith(LocalAnswer a) {
    Next n;
    n.kind = Kind::Answer;
    n.answer = std::move(a);
    return n;
  }
  // The error page of `status` with `detail`.
  static Next error(int status, std::string detail, std::string_view resultCode, bool close) {
    LocalAnswer a;
    a.status = status;
    a.detail = std::move(detail);
    a.resultCode = resultCode;
    a.close = close;
    return answerWith(std::move(a));
  }
  static Next abort(std::string why) {
    Next n;
    n.kind = Kind::Abort;
    n.why = std::move(why);
    return n;
  }

  bool progressed() const { return kind != Kind::Stay; }
};

} // namespace exaproxy::proxy
