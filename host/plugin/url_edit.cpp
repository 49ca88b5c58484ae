#include "plugin/url_edit.h"

#include "core/ip_address.h"
#include "http/syntax.h"

#include <cctype>
#include <charconv>
#include <optional>
#include <string>

namespace exaproxy::plugin {

namespace {

struct HostPort {
  std::string host;
  uint16_t port = 0;
  bool explicitPort = false;
};

bool validRegName(std::string_view h) {
  if (h.empty() || h.size() > 255)
    return false;
  for (char c : h) {
    auto u = static_cast<unsigned char>(c);
    if (!std::isalnum(u) && c != '-' && c != '.' && c != '_')
      return false;
  }
  return true;
}

std::optional<std::string> normaliseHost(std::string_view h) {
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') {
    h = h.substr(1, h.size() - 2);
    auto ip = IpAddress::parse(h);
    if (!ip || ip->isV4())
      return std::nullopt;
    return ip->toString();
  }
  if (h.find(':') != std::string_view::npos) { // bare IPv6
    auto ip = IpAddress::parse(h);
    if (!ip)
      return std::nullopt;
    return ip->toString();
  }
  if (!validRegName(h))
    return std::nullopt;
  std::string out(h);
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::optional<uint16_t> parsePort(std::string_view p) {
  unsigned v = 0;
  auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
  if (p.empty() || ec != std::errc() || ptr != p.data() + p.size() || v == 0 || v > 65535)
    return std::nullopt;
  return static_cast<uint16_t>(v);
}

// "host", "host:port", "[v6]", "[v6]:port".
std::optional<HostPort> parseAuthority(std::string_view a) {
  HostPort out;
  std::string_view hostPart = a;
  if (!a.empty() && a.front() == '[') {
    auto close = a.find(']');
    if (close == std::string_view::npos)
      return std::nullopt;
    hostPart = a.substr(0, close + 1);
    auto rest = a.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':')
        return std::nullopt;
      auto port = parsePort(rest.substr(1));
      if (!port)
        return std::nullopt;
      out.port = *port;
      out.explicitPort = true;
    }
  } else {
    auto colon = a.rfind(':');
    if (colon != std::string_view::npos) {
      auto port = parsePort(a.substr(colon + 1));
      if (!port)
        return std::nullopt;
      out.port = *port;
      out.explicitPort = true;
      hostPart = a.substr(0, colon);
    }
  }
  auto host = normaliseHost(hostPart);
  if (!host)
    return std::nullopt;
  out.host = std::move(*host);
  return out;
}

bool validPath(std::string_view p) {
  if (p.empty() || p.front() != '/')
    return false;
  for (char c : p) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f)
      return false;
  }
  return true;
}

} // namespace

bool validHeaderName(std::string_view name) {
  return http::isToken(name); // 1*tchar (a table lookup, locale independent)
}

bool validHeaderValue(std::string_view value) {
  // (A loop rather than find_first_of, which calls memchr on the set for every byte.)
  for (char c : value)
    if (c == '\r' || c == '\n' || c == '\0')
      return false;
  return true;
}

bool setRequestUrl(http::RequestHead& req, std::string_view url) {
  if (req.isConnect()) {
    auto hp = parseAuthority(url);
    if (!hp || !hp->explicitPort)
      return false;
    req.host = std::move(hp->host);
    req.port = hp->port;
    req.explicitPort = true;
    return true;
  }
  if (!url.empty() && url.front() == '/')
    return setRequestPath(req, url);
  constexpr std::string_view kScheme = "http://";
  if (url.size() <= kScheme.size())
    return false;
  for (size_t i = 0; i < kScheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(url[i])) != kScheme[i])
      return false;
  auto rest = url.substr(kScheme.size());
  auto slash = rest.find_first_of("/?");
  auto authority = rest.substr(0, slash);
  std::string path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (path.front() == '?')
    path.insert(path.begin(), '/');
  auto hp = parseAuthority(authority);
  if (!hp || !validPath(path))
    return false;
  req.scheme = "http";
  req.host = std::move(hp->host);
  req.port = hp->explicitPort ? hp->port : 80;
  req.explicitPort = hp->explicitPort;
  req.pathAndQuery = std::move(path);
  return true;
}

bool setRequestHost(http::RequestHead& req, std::string_view host, uint16_t port) {
  auto h = normaliseHost(host);
  if (!h)
    return false;
  req.host = std::move(*h);
  if (port != 0) {
    req.port = port;
    req.explicitPort = !(port == 80 && !req.isConnect());
  }
  return true;
}

bool setRequestPath(http::RequestHead& req, std::string_view pathAndQuery) {
  if (req.isConnect() || !validPath(pathAndQuery))
    return false;
  req.pathAndQuery = std::string(pathAndQuery);
  return true;
}

namespace {

// A request with only the target fields of `req` (and its CONNECT-ness), for trial edits.
http::RequestHead targetOf(const http::RequestHead& req) {
  http::RequestHead t;
  t.method = req.isConnect() ? std::string_view("CONNECT") : std::string_view("GET");
  t.scheme = req.scheme;
  t.host = req.host;
  t.port = req.port;
  t.explicitPort = req.explicitPort;
  t.pathAndQuery = req.pathAndQuery;
  return t;
}

} // namespace

bool plausibleRequestUrl(std::string_view url) {
  http::RequestHead get;
  get.method = "GET";
  http::RequestHead connect;
  connect.method = "CONNECT";
  return setRequestUrl(get, url) || setRequestUrl(connect, url);
}

bool applyRequestEdits(http::RequestHead& req, const std::vector<RequestEdit>& edits,
                       std::string& problem) {
  http::RequestHead target = targetOf(req);
  bool urlChanged = false;
  for (const auto& e : edits) {
    if (e.kind != RequestEdit::Kind::Url)
      continue;
    if (!setRequestUrl(target, e.name)) {
      problem = "verdict_set_url: '" + e.name + "' does not fit this " +
                (req.isConnect() ? "CONNECT request (host:port expected)"
                                 : "request (http://host[:port]/path or /path expected)");
      return false;
    }
    urlChanged = true;
  }
  if (urlChanged) {
    req.scheme = std::move(target.scheme);
    req.host = std::move(target.host);
    req.port = target.port;
    req.explicitPort = target.explicitPort;
    req.pathAndQuery = std::move(target.pathAndQuery);
  }
  for (const auto& e : edits) {
    switch (e.kind) {
    case RequestEdit::Kind::Url:
      break;
    case RequestEdit::Kind::HeaderSet:
      req.headers.set(e.name, e.value);
      break;
    case RequestEdit::Kind::HeaderAdd:
      req.headers.add(e.name, e.value);
      break;
    case RequestEdit::Kind::HeaderRemove:
      req.headers.remove(e.name);
      break;
    }
  }
  return true;
}

} // namespace exaproxy::plugin
