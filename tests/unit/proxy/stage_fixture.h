// A bench for the stages of a request: a real LoopContext on a real loop, and two socketpairs
// standing in for the client's and the origin's connections. The test holds the far end of
// each, writes what a client or an origin would send, and reads what the stage sent them.
#pragma once

#include "proxy/exchange.h"
#include "proxy/loop_context.h"
#include "proxy/proxy_shared.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>

namespace exaproxy::proxy::testing {

inline std::pair<net::Fd, net::Fd> streamPair() {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0)
    ADD_FAILURE() << "socketpair failed";
  net::Fd a, b;
  a.reset(sv[0]);
  b.reset(sv[1]);
  return {std::move(a), std::move(b)};
}

class StageBench {
public:
  explicit StageBench(std::shared_ptr<HostConfig> cfg = std::make_shared<HostConfig>())
      : cfg_(std::move(cfg)), ctx(loop, cfg_, nullptr, shared) {
    auto [d, dFar] = streamPair();
    auto [u, uFar] = streamPair();
    down.fd = std::move(d);
    clientFar = std::move(dFar);
    up.s.fd = std::move(u);
    originFar = std::move(uFar);
    up.connected = true;
    up.remote = *Endpoint::parse("192.0.2.10:80");
    tx = std::make_unique<Transaction>(http::Limits{cfg_->maxRequestHead, cfg_->maxUri});
    cur.started = true;
    cur.start = loop.now();
  }

  Exchange ex() {
    return Exchange{ctx, *cfg_, client, client, listener, *tx, cur, down, up, totals, closeAfter};
  }

  // Parses `head` as the client's request (the test's request line and headers).
  void request(const std::string& head) {
    auto st = tx->parser.parse(head, tx->req);
    ASSERT_EQ(st, http::ParseState::Complete) << tx->parser.error().reason;
    cur.haveRequest = true;
    down.in.append(std::string_view(head).substr(tx->parser.consumed()));
  }

  static void send(net::Fd& fd, std::string_view bytes) {
    ASSERT_EQ(::write(fd.get(), bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  }
  // Everything the far end has received so far.
  static std::string received(net::Fd& fd) {
    std::string out;
    char buf[65536];
    ssize_t n;
    while ((n = ::read(fd.get(), buf, sizeof buf)) > 0)
      out.append(buf, static_cast<size_t>(n));
    return out;
  }

  net::EventLoop loop;
  ProxyShared shared;
  std::shared_ptr<HostConfig> cfg_;
  LoopContext ctx;
  Endpoint client = *Endpoint::parse("192.0.2.1:40000");
  Endpoint listener = *Endpoint::parse("192.0.2.2:3128");
  std::unique_ptr<Transaction> tx;
  TxProgress cur;
  net::Stream down;
  Upstream up;
  SessionTotals totals;
  bool closeAfter = false;
  net::Fd clientFar; // the client's end
  net::Fd originFar; // the origin's end
};

} // namespace exaproxy::proxy::testing
