#include "exaproxy_url_protocol.h"

#include "squid_protocol.h"

#include <exaproxy/text.hpp>

#include <system_error>

namespace exaproxy::redirector {

namespace {

constexpr size_t kMaxReplyLine = 64 * 1024;

bool startsWith(const std::string& s, std::string_view prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

} // namespace

std::string contentTypeFor(const std::string& name) {
  auto ext = std::filesystem::path(name).extension().string();
  if (ext == ".html" || ext == ".htm")
    return "text/html; charset=utf-8";
  if (ext == ".txt")
    return "text/plain; charset=utf-8";
  if (ext == ".css")
    return "text/css";
  if (ext == ".js")
    return "text/javascript";
  if (ext == ".json")
    return "application/json";
  if (ext == ".png")
    return "image/png";
  if (ext == ".gif")
    return "image/gif";
  if (ext == ".jpg" || ext == ".jpeg")
    return "image/jpeg";
  if (ext == ".svg")
    return "image/svg+xml";
  return "application/octet-stream";
}

Decision serveFile(const std::filesystem::path& dir, const std::string& name) {
  namespace fs = std::filesystem;
  if (dir.empty())
    return Decision::error("file:// reply but no `files` directory is configured");
  if (name.empty())
    return Decision::error("file:// reply without a name");
  std::error_code ec;
  fs::path base = fs::weakly_canonical(dir, ec);
  if (ec)
    return Decision::error("files directory " + dir.string() + ": " + ec.message());
  fs::path p = fs::path(name).is_absolute() ? fs::path(name) : base / name;
  fs::path full = fs::weakly_canonical(p, ec);
  if (ec)
    return Decision::error("file:// " + name + ": " + ec.message());
  auto rel = full.lexically_relative(base);
  if (rel.empty() || rel.native().starts_with(".."))
    return Decision::error("file:// " + name + " is outside the files directory");
  if (!fs::is_regular_file(full, ec))
    return Decision::error("file:// " + name + ": no such file");
  Decision d = Decision::make(Decision::Kind::Respond);
  d.status = 200;
  d.file = full.string();
  d.contentType = contentTypeFor(full.string());
  return d;
}

std::string ExaproxyUrlProtocol::encode(const RequestInfo& req,
                                        std::optional<uint64_t> /*channel*/) const {
  std::string target;
  if (req.isConnect) {
    target = req.url; // host:port (the original dropped the port)
  } else {
    bool v6 = req.host.find(':') != std::string::npos;
    target = v6 ? "[" + req.host + "]" : req.host;
    if (req.port != 80 && req.port != 0)
      target += ":" + std::to_string(req.port);
    target += req.path.empty() ? std::string("/") : req.path;
  }
  return percentEncodeField(target) + ' ' +
         (req.client.empty() ? std::string("-") : percentEncodeField(req.client)) + " - " +
         percentEncodeField(req.method) + " -\n";
}

FrameStatus ExaproxyUrlProtocol::frame(std::string& buffer, std::string& answer) const {
  return common::frameLine(buffer, answer, kMaxReplyLine);
}

Decision ExaproxyUrlProtocol::decide(const RawReply& reply, const RequestInfo& req) const {
  std::string r(sdk::trim(reply.text, " \t\r\n"));
  if (r.empty())
    return Decision::pass();
  if (startsWith(r, "file://"))
    return serveFile(files_, r.substr(7));
  if (startsWith(r, "redirect://")) {
    std::string location = r.substr(11);
    if (location.empty())
      return Decision::error("redirect:// without a URL");
    Decision d = Decision::make(Decision::Kind::Redirect);
    d.status = 302;
    d.location = location;
    d.respHeaders.emplace_back("Cache-Control", "no-store");
    return d;
  }
  if (startsWith(r, "intercept://")) {
    std::string target = r.substr(12);
    while (!target.empty() && target.back() == '/')
      target.pop_back();
    if (target.empty())
      return Decision::error("intercept:// without a host");
    Decision d = Decision::make(Decision::Kind::Route);
    bool bracketed = target.front() == '[' && target.back() == ']' && target.size() > 1;
    if (target.front() == '[' && !bracketed && target.find("]:") == std::string::npos)
      return Decision::error("intercept:// to an invalid host: " + target); // "[abc"
    if (target.find(':') == std::string::npos || bracketed) {
      d.routeHost = bracketed ? target.substr(1, target.size() - 2) : target;
      d.routePort = 0;
    } else if (!splitAuthority(target, d.routeHost, d.routePort)) {
      return Decision::error("intercept:// to an invalid host: " + target);
    }
    if (d.routeHost.empty())
      return Decision::error("intercept:// without a host");
    return d;
  }
  if (startsWith(r, "http://") || startsWith(r, "https://")) {
    // The original compared against "http://" + host + path; a same-URL echo means "allow".
    if (!req.isConnect) {
      std::string same =
          "http://" + (req.host.find(':') != std::string::npos ? "[" + req.host + "]" : req.host);
      if (req.port != 80 && req.port != 0)
        same += ":" + std::to_string(req.port);
      same += req.path.empty() ? std::string("/") : req.path;
      if (r == same || r == req.url)
        return Decision::pass();
    }
    return rewriteTo(r, req);
  }
  return Decision::error("unexpected reply from helper: " + r.substr(0, 200));
}

} // namespace exaproxy::redirector
