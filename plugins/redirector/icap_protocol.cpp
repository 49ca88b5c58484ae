#include "icap_protocol.h"

#include "exaproxy_url_protocol.h"

#include <exaproxy/text.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace exaproxy::redirector {

namespace {

using sdk::lower;

// Header names and values: OWS and a stray CR around them dropped.
std::string_view trim(std::string_view s) { return sdk::trim(s, " \t\r"); }

constexpr size_t kMaxHead = 64 * 1024;
constexpr size_t kMaxBody = 16 * 1024 * 1024;

// The line starting at pos (without its LF and CR). False when there is no LF yet.
bool lineAt(std::string_view buf, size_t& pos, std::string_view& line) {
  size_t lf = buf.find('\n', pos);
  if (lf == std::string_view::npos)
    return false;
  line = buf.substr(pos, lf - pos);
  if (!line.empty() && line.back() == '\r')
    line.remove_suffix(1);
  pos = lf + 1;
  return true;
}

// "Name: value" lines of an HTTP-style head (after its first line).
HeaderList parseHeaderLines(std::string_view head, std::string& firstLine) {
  HeaderList out;
  size_t pos = 0;
  std::string_view line;
  bool first = true;
  while (pos < head.size()) {
    if (!lineAt(head, pos, line)) {
      line = head.substr(pos);
      pos = head.size();
    }
    if (first) {
      firstLine = std::string(line);
      first = false;
      continue;
    }
    if (line.empty())
      break;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0)
      continue;
    out.emplace_back(std::string(trim(line.substr(0, colon))),
                     std::string(trim(line.substr(colon + 1))));
  }
  return out;
}

const std::string* findHeader(const HeaderList& h, std::string_view name) {
  std::string n = lower(name);
  for (const auto& [k, v] : h)
    if (lower(k) == n)
      return &v;
  return nullptr;
}

bool parseSize(std::string_view s, size_t& out, int base) {
  s = trim(s);
  if (s.empty())
    return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out, base);
  return ec == std::errc() && p == s.data() + s.size();
}

// The section of element `i` of msg.encapsulated inside msg.sections.
std::string_view section(const IcapMessage& msg, size_t i) {
  size_t start = msg.encapsulated[i].second;
  size_t end =
      i + 1 < msg.encapsulated.size() ? msg.encapsulated[i + 1].second : msg.sections.size();
  if (start > msg.sections.size() || end < start)
    return {};
  end = std::min(end, msg.sections.size());
  return std::string_view(msg.sections).substr(start, end - start);
}

bool protectedHeader(const std::string& lowerName) {
  return lowerName == "host" || lowerName == "content-length" || lowerName == "transfer-encoding";
}

Decision respondFrom(std::string_view head, const IcapMessage& msg) {
  std::string statusLine;
  HeaderList headers = parseHeaderLines(head, statusLine);
  // "HTTP/1.1 403 Forbidden"
  if (statusLine.rfind("HTTP/", 0) != 0)
    return Decision::error("ICAP res-hdr does not start with an HTTP status line");
  size_t sp = statusLine.find(' ');
  size_t code = 0;
  if (sp == std::string::npos ||
      !parseSize(std::string_view(statusLine).substr(sp + 1, 3), code, 10) || code < 200 ||
      code > 599)
    return Decision::error("ICAP res-hdr with an invalid status line: " + statusLine);
  Decision d = Decision::make(Decision::Kind::Respond);
  d.status = static_cast<int>(code);
  for (auto& [k, v] : headers) {
    std::string n = lower(k);
    if (n == "content-type")
      d.contentType = v;
    else if (n != "content-length" && n != "transfer-encoding" && n != "connection")
      d.respHeaders.emplace_back(k, v);
  }
  d.body = msg.body;
  return d;
}

} // namespace

FrameStatus parseIcapMessage(std::string_view buf, IcapMessage& msg, size_t& consumed) {
  msg = IcapMessage{};
  size_t pos = 0;
  while (pos < buf.size() && (buf[pos] == '\r' || buf[pos] == '\n'))
    ++pos; // blank lines left over from a previous answer
  size_t start = pos;
  std::string_view line;
  bool first = true;
  while (true) {
    if (!lineAt(buf, pos, line))
      return buf.size() - start > kMaxHead ? FrameStatus::Malformed : FrameStatus::NeedMore;
    if (pos - start > kMaxHead)
      return FrameStatus::Malformed;
    if (first) {
      first = false;
      if (line.rfind("ICAP/1.0 ", 0) != 0)
        return FrameStatus::Malformed;
      size_t code = 0;
      if (!parseSize(line.substr(9, 3), code, 10) || code < 100 || code > 999)
        return FrameStatus::Malformed;
      msg.code = static_cast<int>(code);
      continue;
    }
    if (line.empty())
      break;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos)
      return FrameStatus::Malformed;
    msg.headers.emplace_back(std::string(trim(line.substr(0, colon))),
                             std::string(trim(line.substr(colon + 1))));
  }
  // Encapsulated: the last one counts (the original's helpers rely on it being last).
  const std::string* enc = nullptr;
  for (const auto& [k, v] : msg.headers)
    if (lower(k) == "encapsulated")
      enc = &v;
  size_t sectionsLen = 0;
  bool chunkedBody = false;
  if (enc) {
    std::string_view rest = *enc;
    while (!rest.empty()) {
      size_t comma = rest.find(',');
      std::string_view item = trim(rest.substr(0, comma));
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      if (item.empty())
        continue;
      size_t eq = item.find('=');
      size_t offset = 0;
      if (eq == std::string_view::npos || !parseSize(item.substr(eq + 1), offset, 10))
        return FrameStatus::Malformed;
      if (!msg.encapsulated.empty() && offset < msg.encapsulated.back().second)
        return FrameStatus::Malformed;
      msg.encapsulated.emplace_back(lower(trim(item.substr(0, eq))), offset);
    }
    if (msg.encapsulated.empty())
      return FrameStatus::Malformed;
    const auto& last = msg.encapsulated.back();
    sectionsLen = last.second;
    chunkedBody = last.first != "null-body" && last.first.size() > 5 &&
                  last.first.compare(last.first.size() - 5, 5, "-body") == 0;
    if (last.first != "null-body" && !chunkedBody)
      return FrameStatus::Malformed;
    if (sectionsLen > kMaxHead)
      return FrameStatus::Malformed;
  }
  if (buf.size() - pos < sectionsLen)
    return FrameStatus::NeedMore;
  msg.sections = std::string(buf.substr(pos, sectionsLen));
  pos += sectionsLen;
  if (chunkedBody) {
    msg.hasBody = true;
    while (true) {
      if (!lineAt(buf, pos, line))
        return FrameStatus::NeedMore;
      std::string_view sizeText = line.substr(0, line.find(';'));
      size_t size = 0;
      if (!parseSize(sizeText, size, 16))
        return FrameStatus::Malformed;
      if (size == 0) {
        // The blank line closing the body is optional here: a helper that omits it must not
        // leave us waiting; one that sends it later is skipped as a leading blank line.
        if (pos < buf.size() && buf[pos] == '\n')
          pos += 1;
        else if (pos + 1 < buf.size() && buf[pos] == '\r' && buf[pos + 1] == '\n')
          pos += 2;
        break;
      }
      if (msg.body.size() + size > kMaxBody)
        return FrameStatus::Malformed;
      if (buf.size() - pos < size + 1)
        return FrameStatus::NeedMore;
      msg.body.append(buf.substr(pos, size));
      pos += size;
      if (buf[pos] == '\n') {
        pos += 1;
      } else if (buf[pos] == '\r') {
        if (pos + 1 >= buf.size())
          return FrameStatus::NeedMore;
        if (buf[pos + 1] != '\n')
          return FrameStatus::Malformed;
        pos += 2;
      } else {
        return FrameStatus::Malformed;
      }
    }
  }
  consumed = pos;
  return FrameStatus::Complete;
}

std::vector<HeaderOp> diffHeaders(const HeaderList& from, const HeaderList& to) {
  // Values per lower-case name, names in first-appearance order.
  auto group = [](const HeaderList& h) {
    std::vector<std::pair<std::string, std::vector<std::string>>> g;
    for (const auto& [k, v] : h) {
      std::string n = lower(k);
      auto it = std::find_if(g.begin(), g.end(), [&](const auto& e) { return e.first == n; });
      if (it == g.end())
        g.emplace_back(n, std::vector<std::string>{v});
      else
        it->second.push_back(v);
    }
    return g;
  };
  auto before = group(from);
  auto after = group(to);
  auto find = [](const auto& g, const std::string& n) -> const std::vector<std::string>* {
    for (const auto& e : g)
      if (e.first == n)
        return &e.second;
    return nullptr;
  };
  // The name as the helper spelled it, for added fields.
  auto spelled = [&to](const std::string& n) {
    for (const auto& [k, v] : to)
      if (lower(k) == n)
        return k;
    return n;
  };
  std::vector<HeaderOp> ops;
  for (const auto& [n, values] : before) {
    if (protectedHeader(n))
      continue;
    if (!find(after, n))
      ops.push_back(HeaderOp{HeaderOp::Kind::Remove, n, ""});
  }
  for (const auto& [n, values] : after) {
    if (protectedHeader(n))
      continue;
    const auto* old = find(before, n);
    if (old && *old == values)
      continue;
    if (old)
      ops.push_back(HeaderOp{HeaderOp::Kind::Remove, n, ""});
    for (const auto& v : values)
      ops.push_back(HeaderOp{HeaderOp::Kind::Add, spelled(n), v});
  }
  return ops;
}

std::string IcapProtocol::encode(const RequestInfo& req,
                                 std::optional<uint64_t> /*channel*/) const {
  std::string head = req.method + ' ' + req.url + " HTTP/1.1\r\n";
  for (const auto& [k, v] : req.headers)
    head += k + ": " + v + "\r\n";
  head += "\r\n";
  std::string scheme = "http";
  if (!req.isConnect) {
    size_t p = req.url.find("://");
    if (p != std::string::npos)
      scheme = req.url.substr(0, p);
  }
  std::string m = "REQMOD icap://" + service_ + " ICAP/1.0\n";
  m += "Host: " + service_ + "\n";
  m += "Pragma: transport=" + scheme + "\n";
  m += "Pragma: proxy=exaproxy\n";
  m += "Pragma: scheme=" + scheme + "\n";
  m += "Pragma: accept=" + req.listenerIp + "\n";
  m += "Pragma: accept-port=" + std::to_string(req.listenerPort) + "\n";
  m += "Pragma: client=" + req.client + "\n";
  m += "Pragma: host=" + req.host + "\n";
  m += "Pragma: port=" + std::to_string(req.port) + "\n";
  m += "Pragma: path=" + req.path + "\n";
  m += "Pragma: method=" + req.method + "\n";
  if (!req.user.empty())
    m += "X-Authenticated-User: " + req.user + "\n";
  m += "Encapsulated: req-hdr=0, null-body=" + std::to_string(head.size()) + "\n\n";
  m += head;
  return m;
}

FrameStatus IcapProtocol::frame(std::string& buffer, std::string& answer) const {
  IcapMessage msg;
  size_t consumed = 0;
  FrameStatus st = parseIcapMessage(buffer, msg, consumed);
  if (st != FrameStatus::Complete)
    return st;
  answer = buffer.substr(0, consumed);
  buffer.erase(0, consumed);
  return FrameStatus::Complete;
}

Decision IcapProtocol::decide(const RawReply& reply, const RequestInfo& req) const {
  IcapMessage msg;
  size_t consumed = 0;
  if (parseIcapMessage(reply.text, msg, consumed) != FrameStatus::Complete)
    return Decision::error("malformed ICAP reply");
  return decideMessage(msg, req);
}

Decision IcapProtocol::decideMessage(const IcapMessage& msg, const RequestInfo& req) const {
  if (msg.code != 200)
    return Decision::pass(); // 204 (and, as in the original, any other status): allow
  for (size_t i = 0; i < msg.encapsulated.size(); ++i) {
    const std::string& name = msg.encapsulated[i].first;
    if (name == "res-hdr")
      return respondFrom(section(msg, i), msg);
  }
  for (size_t i = 0; i < msg.encapsulated.size(); ++i) {
    if (msg.encapsulated[i].first != "req-hdr")
      continue;
    std::string requestLine;
    HeaderList headers = parseHeaderLines(section(msg, i), requestLine);
    // "METHOD TARGET VERSION"
    size_t sp1 = requestLine.find(' ');
    size_t sp2 = sp1 == std::string::npos ? sp1 : requestLine.find(' ', sp1 + 1);
    if (sp1 == std::string::npos || sp2 == std::string::npos)
      return Decision::error("ICAP req-hdr without a request line");
    std::string method = requestLine.substr(0, sp1);
    std::string target = requestLine.substr(sp1 + 1, sp2 - sp1 - 1);
    if (method == "CONNECT") {
      Decision d = Decision::make(Decision::Kind::Route);
      if (!splitAuthority(target, d.routeHost, d.routePort))
        return Decision::error("ICAP CONNECT to an invalid host:port: " + target);
      if (req.isConnect && target == req.url)
        return Decision::pass();
      return d;
    }
    if (target.rfind("file://", 0) == 0)
      return serveFile(files_, target.substr(7));
    if (req.isConnect)
      return Decision::passWithWarning("ICAP req-hdr for a CONNECT must be a CONNECT; ignored");
    Decision d = Decision::make(Decision::Kind::Rewrite);
    if (!target.empty() && target.front() == '/') {
      const std::string* host = findHeader(headers, "host");
      std::string oldHost = req.host;
      if (req.port != 80 && req.port != 0)
        oldHost += ":" + std::to_string(req.port);
      if (host && lower(*host) != oldHost && lower(*host) != req.host)
        d.url = "http://" + *host + target; // Host changed: the request goes there
      else if (target != req.path)
        d.url = target;
    } else if (target != req.url) {
      if (target.find("://") == std::string::npos)
        return Decision::error("ICAP req-hdr with an invalid target: " + target);
      d.url = target;
    }
    d.headerOps = diffHeaders(req.headers, headers);
    if (d.url.empty() && d.headerOps.empty())
      return Decision::pass();
    return d;
  }
  return Decision::pass();
}

} // namespace exaproxy::redirector
