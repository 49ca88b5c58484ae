#include "squid_protocol.h"

#include "helper_channel.h"

#include <cctype>
#include <charconv>

namespace exaproxy::redirector {

namespace {

bool validRedirectStatus(int s) { return s == 301 || s == 302 || s == 303 || s == 307 || s == 308; }

Decision redirect(int status, const std::string& location) {
  if (!validRedirectStatus(status))
    return Decision::error("URL-rewrite produces invalid " + std::to_string(status) +
                           " redirect Location: " + location);
  if (location.empty())
    return Decision::error("redirect without a URL");
  Decision d = Decision::make(Decision::Kind::Redirect);
  d.status = status;
  d.location = location;
  return d;
}

} // namespace

Decision rewriteTo(const std::string& target, const RequestInfo& req) {
  if (target.empty())
    return Decision::error("rewrite to an empty URL");
  bool hasScheme = target.find("://") != std::string::npos;
  if (req.isConnect) {
    if (hasScheme) {
      // squidGuard's block page for an HTTPS site: a tunnel cannot go to a URL, and browsers
      // show nothing of a failed CONNECT's body; the page, the log and the UI name the URL.
      Decision d = Decision::make(Decision::Kind::Deny);
      d.status = 403;
      d.reason = "blocked by the redirector: " + target;
      d.location = target;
      return d;
    }
    Decision d = Decision::make(Decision::Kind::Route);
    if (!splitAuthority(target, d.routeHost, d.routePort))
      return Decision::error("CONNECT rewrite to an invalid host:port: " + target);
    if (target == req.url)
      return Decision::pass();
    return d;
  }
  if (!hasScheme)
    return Decision::error("rewrite to a URL without a scheme: " + target);
  if (target == req.url)
    return Decision::pass();
  Decision d = Decision::make(Decision::Kind::Rewrite);
  d.url = target;
  return d;
}

std::string SquidProtocol::encode(const RequestInfo& req, std::optional<uint64_t> channel) const {
  std::string line;
  if (channel)
    line = common::channelPrefix(*channel);
  line += percentEncodeField(req.url);
  line += ' ';
  line += req.client.empty() ? std::string("-") : percentEncodeField(req.client);
  line += "/- ";
  line += req.user.empty() ? std::string("-") : percentEncodeField(req.user);
  line += ' ';
  line += percentEncodeField(req.method);
  line += " myip=";
  line += req.listenerIp.empty() ? std::string("-") : percentEncodeField(req.listenerIp);
  line += " myport=";
  line += std::to_string(req.listenerPort);
  line += '\n';
  return line;
}

Decision SquidProtocol::decide(const RawReply& reply, const RequestInfo& req) const {
  return map(parseSquidReply(reply.text), req);
}

Decision SquidProtocol::map(const SquidReply& reply, const RequestInfo& req) {
  switch (reply.result) {
  case SquidReply::Result::Err:
    return Decision::pass();
  case SquidReply::Result::BrokenHelper: {
    Decision d = Decision::make(Decision::Kind::Broken);
    d.reason = common::brokenReason(reply);
    return d;
  }
  case SquidReply::Result::Ok: {
    if (!reply.problem.empty()) // an intervention we cannot read is not a pass
      return Decision::error("unreadable OK answer: " + reply.problem);
    if (const std::string* url = reply.note("url")) {
      int status = 302;
      if (const std::string* s = reply.note("status")) {
        status = 0;
        auto [p, ec] = std::from_chars(s->data(), s->data() + s->size(), status);
        if (ec != std::errc() || p != s->data() + s->size())
          status = 0;
      }
      return redirect(status, *url);
    }
    if (const std::string* url = reply.note("rewrite-url"))
      return rewriteTo(*url, req);
    return Decision::pass();
  }
  case SquidReply::Result::Unknown:
    break;
  }
  // Legacy format: an empty line, a URL, host:port (CONNECT), 30N:URL or !group!URL. Anything
  // else is garbage and goes to on_error, like a crash or a timeout.
  std::string word = reply.legacy;
  if (word.empty())
    return Decision::pass();
  if (word.front() == '!') { // Squid-2 "!urlgroup!URL"
    size_t second = word.find('!', 1);
    if (second == std::string::npos)
      return Decision::error("invalid urlgroup reply: " + word);
    word = word.substr(second + 1);
    if (word.empty())
      return Decision::pass();
  }
  if (word.size() >= 3 && word[0] == '3' && std::isdigit(static_cast<unsigned char>(word[1])) &&
      std::isdigit(static_cast<unsigned char>(word[2])) && (word.size() == 3 || word[3] == ':')) {
    if (word.size() == 3)
      return Decision::error("invalid " + word + " redirect without a URL");
    return redirect(std::stoi(word.substr(0, 3)), word.substr(4));
  }
  return rewriteTo(word, req);
}

} // namespace exaproxy::redirector
