#include "net/connector.h"

namespace exaproxy::net {

void Connector::reset(const std::vector<IpAddress>& addresses, uint16_t port) {
  candidates_.clear();
  for (const auto& a : addresses)
    candidates_.push_back(Endpoint{a, port});
  next_ = 0;
  error_.clear();
}

void Connector::clear() {
  candidates_.clear();
  next_ = 0;
  error_.clear();
}

std::optional<Connector::Started> Connector::startNext(const std::optional<IpAddress>& bind4,
                                                       const std::optional<IpAddress>& bind6,
                                                       size_t& failures) {
  while (next_ < candidates_.size()) {
    const Endpoint& to = candidates_[next_++];
    auto fd = startConnect(to, to.address.isV6() ? bind6 : bind4);
    if (fd)
      return Started{std::move(*fd), to};
    error_ = fd.error().message;
    ++failures;
  }
  return std::nullopt;
}

} // namespace exaproxy::net
