// Where a request may go: the destination checks of the proxy as pure functions, run on every
// resolved address of every destination (after rewrites and routes too), so a DNS name that
// resolves to 127.0.0.1, a second answer, or a plugin's route cannot reach what the request line
// could not.
#pragma once

#include "core/config.h"
#include "core/ip_address.h"

#include <optional>
#include <string_view>
#include <vector>

namespace exaproxy::proxy {

// This host as the checks see it: its interface addresses (read at start and on every SIGHUP),
// the proxy's own listeners and the web interface's.
struct LocalHost {
  std::vector<IpAddress> addresses;
  std::vector<Endpoint> listeners;
  std::vector<Endpoint> ui; // the web interface and the ICAP server: never destinations

  // Loopback (127.0.0.0/8, ::1), "this host" (0.0.0.0/8, ::: connecting there reaches the
  // host itself), or an address of one of its interfaces.
  bool isLocal(const IpAddress& a) const;
  // Connecting to `to` would reach one of the proxy's listeners (loop) / the web interface.
  bool reachesListener(const Endpoint& to) const;
  bool reachesUi(const Endpoint& to) const;
};

// Reads the host's interface addresses (getifaddrs, i.e. netlink). nullopt if that fails (no
// AF_NETLINK under a sandbox, say), with errno set: the caller says so and keeps what it knew.
std::optional<std::vector<IpAddress>> interfaceAddresses();

enum class Refusal {
  None,
  Ui,       // the proxy's web interface: never, whatever the configuration
  Listener, // the proxy itself: a forwarding loop
  Denied,   // [acl] deny_destinations
  Local,    // the proxy's own host, not in [acl] allow_local_destinations
};

// The verdict for one resolved address and port.
Refusal checkAddress(const Endpoint& to, const HostConfig& cfg, const LocalHost& host);
// For the log line and the page: what a refusal means.
std::string_view describe(Refusal r);

// [acl] http_ports for plain requests (and upgrades), connect_ports for CONNECT.
bool portAllowed(uint16_t port, bool connect, const HostConfig& cfg);

} // namespace exaproxy::proxy
