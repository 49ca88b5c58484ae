#include "proxy/destination_policy.h"

#include <ifaddrs.h>

namespace exaproxy::proxy {

namespace {

bool thisHost(const IpAddress& a) {
  // 0.0.0.0/8 ("this network") and ::: the kernel connects them to the host itself.
  return a.isUnspecified() || (a.isV4() && a.bytes()[0] == 0);
}

// A socket listening on `l` accepts a connection to `to`. A wildcard listener listens on every
// local address of its family; a connection to "this host" reaches every local listener.
bool reaches(const Endpoint& to, const Endpoint& l, const LocalHost& host, bool anyFamily) {
  if (l.port != to.port)
    return false;
  if (l.address == to.address)
    return true;
  bool sameFamily = anyFamily || l.address.family() == to.address.family();
  if (l.address.isUnspecified())
    return sameFamily && host.isLocal(to.address);
  if (thisHost(to.address))
    return sameFamily && host.isLocal(l.address);
  return false;
}

} // namespace

bool LocalHost::isLocal(const IpAddress& a) const {
  if (a.isLoopback() || thisHost(a))
    return true;
  for (const auto& mine : addresses)
    if (mine == a)
      return true;
  return false;
}

bool LocalHost::reachesListener(const Endpoint& to) const {
  for (const auto& l : listeners)
    if (reaches(to, l, *this, false))
      return true;
  return false;
}

bool LocalHost::reachesUi(const Endpoint& to) const {
  // Either family: a dual-stack wildcard socket accepts IPv4 too, and this check must never miss.
  for (const auto& u : ui)
    if (reaches(to, u, *this, true))
      return true;
  return false;
}

std::optional<std::vector<IpAddress>> interfaceAddresses() {
  std::vector<IpAddress> out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) == -1)
    return std::nullopt;
  for (ifaddrs* i = list; i; i = i->ifa_next)
    if (i->ifa_addr)
      if (auto ep = Endpoint::fromSockaddr(i->ifa_addr))
        out.push_back(ep->address);
  ::freeifaddrs(list);
  return out;
}

Refusal checkAddress(const Endpoint& to, const HostConfig& cfg, const LocalHost& host) {
  if (host.reachesUi(to))
    return Refusal::Ui;
  if (host.reachesListener(to))
    return Refusal::Listener;
  // "This host" is the loopback address under another name: a list that denies loopback denies
  // it too (an operator's "127.0.0.0/8 ::1/128" must not leave 0.0.0.0 and :: open).
  const auto& deny = cfg.denyDestinations;
  if (deny.contains(to.address) ||
      (thisHost(to.address) &&
       deny.contains(*IpAddress::parse(to.address.isV4() ? "127.0.0.1" : "::1"))))
    return Refusal::Denied;
  if (host.isLocal(to.address) && !cfg.allowLocalDestinations.contains(to))
    return Refusal::Local;
  return Refusal::None;
}

std::string_view describe(Refusal r) {
  switch (r) {
  case Refusal::Ui:
    return "the proxy's web interface is not reachable through the proxy";
  case Refusal::Listener:
    return "forwarding loop: the destination is this proxy";
  case Refusal::Denied:
    return "the destination is in deny_destinations";
  case Refusal::Local:
    return "the destination is on the proxy's own host (see allow_local_destinations)";
  case Refusal::None:
    break;
  }
  return "allowed";
}

bool portAllowed(uint16_t port, bool connect, const HostConfig& cfg) {
  return (connect ? cfg.connectPorts : cfg.httpPorts).contains(port);
}

} // namespace exaproxy::proxy
