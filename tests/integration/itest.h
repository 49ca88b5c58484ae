// Shared includes and small helpers for the integration tests.
#pragma once

#include "curl_runner.h"
#include "dnsmasq.h"
#include "origin_server.h"
#include "process_util.h"
#include "proxy_process.h"
#include "raw_client.h"

#include <gtest/gtest.h>
#include <string>
#include <unistd.h>

namespace itest {

// A request head: "<method> <target> <version>\r\n" + Host (if not empty) + extra lines + CRLF.
// extra is a list of full header lines without CRLF.
inline std::string requestHead(const std::string& method, const std::string& target,
                               const std::string& host, const std::vector<std::string>& extra = {},
                               const std::string& version = "HTTP/1.1") {
  std::string r = method + " " + target + " " + version + "\r\n";
  if (!host.empty())
    r += "Host: " + host + "\r\n";
  for (const auto& e : extra)
    r += e + "\r\n";
  r += "\r\n";
  return r;
}

// "GET http://ORIGIN/path HTTP/1.1" with Host set to the origin.
inline std::string absoluteGet(const OriginServer& origin, const std::string& path,
                               const std::vector<std::string>& extra = {},
                               const std::string& method = "GET") {
  return requestHead(method, origin.url(path), origin.endpoint().str(), extra);
}

// "CONNECT authority HTTP/1.1" with Host set to the same authority.
inline std::string connectRequest(const std::string& authority) {
  return requestHead("CONNECT", authority, authority);
}

// Sends a CONNECT on c and reads the proxy's 200 (a 2xx to CONNECT has no body).
inline testing::AssertionResult openTunnel(RawClient& c, const std::string& authority) {
  if (!c.send(connectRequest(authority)))
    return testing::AssertionFailure() << "send failed: " << c.lastError();
  auto r = c.readResponse(Millis(5000), /*headRequest=*/true);
  if (!r)
    return testing::AssertionFailure() << "no answer to CONNECT: " << c.lastError();
  if (r->status != 200)
    return testing::AssertionFailure() << "CONNECT answered " << r->status;
  return testing::AssertionSuccess();
}

// A port nothing listens on (bound and closed at once).
inline uint16_t closedPort() {
  int fd = listenOn("127.0.0.1", 0);
  uint16_t port = localPort(fd);
  ::close(fd);
  return port;
}

// Whether this machine has an IPv6 loopback (a test that needs ::1 skips without it).
inline bool haveIpv6Loopback() {
  int fd = listenOn("::1", 0);
  if (fd < 0)
    return false;
  ::close(fd);
  return true;
}

inline bool sanitizedBuild() {
#if defined(__SANITIZE_ADDRESS__)
  return true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
  return true;
#else
  return false;
#endif
#else
  return false;
#endif
}

} // namespace itest
