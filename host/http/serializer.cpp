#include "http/serializer.h"

#include <array>
#include <charconv>

namespace exaproxy::http {

namespace {

using namespace std::string_view_literals; // literals appended without a strlen

void appendField(std::string& out, std::string_view name, std::string_view value) {
  // One size check and two copies rather than four appends (this runs for every field).
  size_t at = out.size();
  out.resize(at + name.size() + value.size() + 4);
  char* p = out.data() + at;
  name.copy(p, name.size());
  p += name.size();
  *p++ = ':';
  *p++ = ' ';
  value.copy(p, value.size());
  p += value.size();
  *p++ = '\r';
  *p = '\n';
}

void appendNumber(std::string& out, uint64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec; // 24 bytes always fit a uint64
  out.append(buf, end);
}

// The tokens of every Connection field of a message, gathered once per head: a field named in
// them is hop-by-hop for this hop. (The same answer as headers.hasToken("connection", name),
// without walking every field again for every field.)
class ConnectionTokens {
public:
  explicit ConnectionTokens(const HeaderMap& headers) : headers_(headers) {
    for (const HeaderField& f : headers.fields()) {
      if (!iequals(f.name, "connection"sv)) {
        continue;
      }
      if (count_ == values_.size()) {
        overflow_ = true; // unusual: fall back to the map's own lookup
        return;
      }
      values_[count_++] = f.value;
    }
  }

  bool names(std::string_view name) const {
    if (overflow_) {
      return headers_.hasToken("connection"sv, name);
    }
    for (size_t i = 0; i < count_; ++i) {
      bool found = false;
      forEachListElement(values_[i], [&](std::string_view element) {
        found = iequals(element, name);
        return !found;
      });
      if (found) {
        return true;
      }
    }
    return false;
  }

private:
  const HeaderMap& headers_;
  std::array<std::string_view, 4> values_{};
  size_t count_ = 0;
  bool overflow_ = false;
};

// Copies the end-to-end fields and collects the Via values to merge with ours. `keep` may veto
// stripping (Upgrade for websocket / 101).
template <typename Keep>
void appendEndToEnd(const HeaderMap& headers, std::string& out, std::string& via, Keep keep,
                    std::string_view maxForwardsReplacement) {
  const ConnectionTokens connection(headers);
  for (const HeaderField& f : headers.fields()) {
    if (keep(f.name)) {
      appendField(out, f.name, f.value);
      continue;
    }
    // Content-Length frames the body we relay: a Connection token must never strip it.
    if (iequals(f.name, "content-length")) {
      appendField(out, f.name, f.value);
      continue;
    }
    if (isHopByHop(f.name) || iequals(f.name, "host") || connection.names(f.name)) {
      continue;
    }
    if (iequals(f.name, "via")) {
      if (!f.value.empty()) {
        if (!via.empty()) {
          via += ", "sv;
        }
        via.append(f.value);
      }
      continue;
    }
    if (!maxForwardsReplacement.empty() && iequals(f.name, "max-forwards")) {
      appendField(out, f.name, maxForwardsReplacement);
      maxForwardsReplacement = {};
      continue;
    }
    appendField(out, f.name, f.value);
  }
}

void appendVia(std::string& out, std::string& via, int major, int minor, std::string_view viaName) {
  if (!via.empty()) {
    via += ", "sv;
  }
  via += static_cast<char>('0' + major);
  via += '.';
  via += static_cast<char>('0' + minor);
  via += ' ';
  via.append(viaName);
  appendField(out, "Via", via);
}

} // namespace

bool isHopByHop(std::string_view name) {
  // Connection, Proxy-Connection, Keep-Alive, TE, Transfer-Encoding, Trailer, Upgrade,
  // Proxy-Authorization: by length first (this runs for every field of every head).
  switch (name.size()) {
  case 2:
    return iequals(name, "te"sv);
  case 7:
    return iequals(name, "trailer"sv) || iequals(name, "upgrade"sv);
  case 10:
    return iequals(name, "connection"sv) || iequals(name, "keep-alive"sv);
  case 16:
    return iequals(name, "proxy-connection"sv);
  case 17:
    return iequals(name, "transfer-encoding"sv);
  case 19:
    return iequals(name, "proxy-authorization"sv);
  default:
    return false;
  }
}

void writeRequestHead(const RequestHead& head, const ForwardOptions& opts, std::string& out) {
  out.reserve(out.size() + head.raw.size() + 128);
  bool connect = head.isConnect();
  out.append(head.method).append(" "sv);
  if (connect) {
    head.appendHostPort(out, false);
  } else {
    out.append(head.pathAndQuery.empty() ? std::string_view("/")
                                         : std::string_view(head.pathAndQuery));
  }
  out.append(" HTTP/1.1\r\n"sv);
  out.append("Host:"sv);
  // The host value is written in place; an empty one (no host, no port) leaves "Host:".
  size_t hostAt = out.size();
  out.append(" "sv);
  head.appendHostPort(out, !connect);
  if (out.size() == hostAt + 1) {
    out.resize(hostAt);
  }
  out.append("\r\n"sv);

  std::string maxForwards;
  if ((head.method == "OPTIONS" || head.method == "TRACE") && head.maxForwards &&
      *head.maxForwards > 0) {
    appendNumber(maxForwards, static_cast<uint64_t>(*head.maxForwards - 1));
  }
  std::string via;
  bool websocket = head.upgradeWebsocket;
  appendEndToEnd(
      head.headers, out, via,
      [websocket](std::string_view name) { return websocket && iequals(name, "upgrade"); },
      maxForwards);
  if (head.framing == Framing::Chunked) {
    out.append("Transfer-Encoding: chunked\r\n"sv);
  }
  appendVia(out, via, head.versionMajor, head.versionMinor, opts.viaName);
  if (websocket) {
    out.append("Connection: Upgrade\r\n"sv);
  } else {
    out.append(opts.keepAlive ? "Connection: keep-alive\r\n"sv : "Connection: close\r\n"sv);
  }
  out.append("\r\n"sv);
}

void writeResponseHead(const ResponseHead& head, const ForwardOptions& opts, std::string& out) {
  out.reserve(out.size() + head.raw.size() + 128);
  out.append("HTTP/1.1 "sv);
  appendNumber(out, static_cast<uint64_t>(head.status));
  out.append(" "sv);
  out.append(head.reason.empty() ? reasonPhrase(head.status) : head.reason);
  out.append("\r\n"sv);
  bool switching = head.status == 101;
  std::string via;
  appendEndToEnd(
      head.headers, out, via,
      [switching](std::string_view name) { return switching && iequals(name, "upgrade"); }, {});
  if (head.framing == Framing::Chunked) {
    out.append("Transfer-Encoding: chunked\r\n"sv);
  }
  appendVia(out, via, head.versionMajor, head.versionMinor, opts.viaName);
  if (switching) {
    out.append("Connection: Upgrade\r\n"sv);
  } else {
    out.append(opts.keepAlive ? "Connection: keep-alive\r\n"sv : "Connection: close\r\n"sv);
  }
  out.append("\r\n"sv);
}

void writeLocalResponse(int status, std::string_view contentType, std::string_view body,
                        const std::vector<std::pair<std::string, std::string>>& extraHeaders,
                        const ForwardOptions& opts, std::string& out) {
  bool bodiless = (status >= 100 && status < 200) || status == 204 || status == 304;
  out.reserve(out.size() + body.size() + 160);
  out.append("HTTP/1.1 "sv);
  appendNumber(out, static_cast<uint64_t>(status));
  out.append(" "sv).append(reasonPhrase(status)).append("\r\n"sv);
  if (!bodiless) {
    if (!contentType.empty()) {
      appendField(out, "Content-Type", contentType);
    }
    out.append("Content-Length: "sv);
    appendNumber(out, body.size());
    out.append("\r\n"sv);
  }
  out.append("Via: 1.1 "sv).append(opts.viaName).append("\r\n"sv);
  out.append(opts.keepAlive ? "Connection: keep-alive\r\n"sv : "Connection: close\r\n"sv);
  for (const auto& [name, value] : extraHeaders) {
    appendField(out, name, value);
  }
  out.append("\r\n"sv);
  if (!bodiless) {
    out.append(body);
  }
}

std::string_view reasonPhrase(int status) {
  switch (status) {
  case 100:
    return "Continue";
  case 101:
    return "Switching Protocols";
  case 103:
    return "Early Hints";
  case 200:
    return "OK";
  case 201:
    return "Created";
  case 202:
    return "Accepted";
  case 203:
    return "Non-Authoritative Information";
  case 204:
    return "No Content";
  case 205:
    return "Reset Content";
  case 206:
    return "Partial Content";
  case 300:
    return "Multiple Choices";
  case 301:
    return "Moved Permanently";
  case 302:
    return "Found";
  case 303:
    return "See Other";
  case 304:
    return "Not Modified";
  case 307:
    return "Temporary Redirect";
  case 308:
    return "Permanent Redirect";
  case 400:
    return "Bad Request";
  case 401:
    return "Unauthorized";
  case 402:
    return "Payment Required";
  case 403:
    return "Forbidden";
  case 404:
    return "Not Found";
  case 405:
    return "Method Not Allowed";
  case 406:
    return "Not Acceptable";
  case 407:
    return "Proxy Authentication Required";
  case 408:
    return "Request Timeout";
  case 409:
    return "Conflict";
  case 410:
    return "Gone";
  case 411:
    return "Length Required";
  case 412:
    return "Precondition Failed";
  case 413:
    return "Content Too Large";
  case 414:
    return "URI Too Long";
  case 415:
    return "Unsupported Media Type";
  case 416:
    return "Range Not Satisfiable";
  case 417:
    return "Expectation Failed";
  case 421:
    return "Misdirected Request";
  case 422:
    return "Unprocessable Content";
  case 426:
    return "Upgrade Required";
  case 428:
    return "Precondition Required";
  case 429:
    return "Too Many Requests";
  case 431:
    return "Request Header Fields Too Large";
  case 451:
    return "Unavailable For Legal Reasons";
  case 500:
    return "Internal Server Error";
  case 501:
    return "Not Implemented";
  case 502:
    return "Bad Gateway";
  case 503:
    return "Service Unavailable";
  case 504:
    return "Gateway Timeout";
  case 505:
    return "HTTP Version Not Supported";
  case 511:
    return "Network Authentication Required";
  default:
    return "Unknown";
  }
}

} // namespace exaproxy::http
