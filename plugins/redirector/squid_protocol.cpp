#include "squid_protocol.h"

#include <exaproxy/text.hpp>

#include <cctype>
#include <charconv>

namespace exaproxy::redirector {

namespace {

constexpr size_t kMaxReplyLine = 64 * 1024;

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool isKeyChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
}

// The result word: exactly `word`, then a space or the end of the line.
bool startsWithWord(std::string_view line, std::string_view word) {
  return line.substr(0, word.size()) == word &&
         (line.size() == word.size() || isSpace(line[word.size()]));
}

// key=value pairs after the result word, until the first word that is not one.
void parseNotes(std::string_view s, std::multimap<std::string, std::string>& notes) {
  size_t i = 0;
  while (true) {
    while (i < s.size() && isSpace(s[i]))
      ++i;
    size_t keyStart = i;
    while (i < s.size() && isKeyChar(s[i]))
      ++i;
    if (i == keyStart || i >= s.size() || s[i] != '=')
      return;
    std::string key(s.substr(keyStart, i - keyStart));
    ++i; // '='
    std::string value;
    if (i < s.size() && s[i] == '"') {
      ++i;
      bool closed = false;
      while (i < s.size()) {
        char c = s[i++];
        if (c == '\\' && i < s.size()) {
          value += s[i++];
        } else if (c == '"') {
          closed = true;
          break;
        } else {
          value += c;
        }
      }
      if (!closed)
        return; // an unterminated quote ends the notes (the pair is dropped)
    } else {
      size_t start = i;
      while (i < s.size() && !isSpace(s[i]))
        ++i;
      value = percentDecode(s.substr(start, i - start));
    }
    notes.emplace(std::move(key), std::move(value));
  }
}

const std::string* note(const SquidReply& r, const char* key) {
  auto it = r.notes.find(key);
  return it == r.notes.end() ? nullptr : &it->second;
}

bool validRedirectStatus(int s) { return s == 301 || s == 302 || s == 303 || s == 307 || s == 308; }

Decision redirect(int status, const std::string& location) {
  if (!validRedirectStatus(status))
    return Decision::passWithWarning("URL-rewrite produces invalid " + std::to_string(status) +
                                     " redirect Location: " + location);
  if (location.empty())
    return Decision::passWithWarning("redirect without a URL");
  Decision d = Decision::make(Decision::Kind::Redirect);
  d.status = status;
  d.location = location;
  return d;
}

} // namespace

std::string percentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int hi = sdk::hexDigit(s[i + 1]);
      int lo = sdk::hexDigit(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

std::string percentEncodeField(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '%') {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    } else {
      out += c;
    }
  }
  return out;
}

SquidReply parseSquidReply(std::string_view line) {
  SquidReply r;
  size_t rest = 0;
  if (startsWithWord(line, "OK")) {
    r.result = SquidReply::Result::Ok;
    rest = 2;
  } else if (startsWithWord(line, "ERR")) {
    r.result = SquidReply::Result::Err;
    rest = 3;
  } else if (startsWithWord(line, "BH")) {
    r.result = SquidReply::Result::BrokenHelper;
    rest = 2;
  } else {
    // Legacy: the first word is the answer, the rest is dropped (Squid warns "garbage").
    size_t start = 0;
    while (start < line.size() && isSpace(line[start]))
      ++start;
    size_t end = start;
    while (end < line.size() && !isSpace(line[end]))
      ++end;
    r.legacy = std::string(line.substr(start, end - start));
    return r;
  }
  parseNotes(line.substr(rest), r.notes);
  return r;
}

Decision rewriteTo(const std::string& target, const RequestInfo& req) {
  if (target.empty())
    return Decision::passWithWarning("rewrite to an empty URL ignored");
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
      return Decision::passWithWarning("CONNECT rewrite to an invalid host:port ignored: " +
                                       target);
    if (target == req.url)
      return Decision::pass();
    return d;
  }
  if (!hasScheme)
    return Decision::passWithWarning("rewrite to a URL without a scheme ignored: " + target);
  if (target == req.url)
    return Decision::pass();
  Decision d = Decision::make(Decision::Kind::Rewrite);
  d.url = target;
  return d;
}

std::string SquidProtocol::encode(const RequestInfo& req, std::optional<uint64_t> channel) const {
  std::string line;
  if (channel)
    line = std::to_string(*channel) + ' ';
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

FrameStatus SquidProtocol::extract(std::string& buffer, bool concurrent, RawReply& out) const {
  std::string line;
  if (!takeLine(buffer, line))
    return buffer.size() > kMaxReplyLine ? FrameStatus::Malformed : FrameStatus::NeedMore;
  out = RawReply{};
  if (concurrent) {
    size_t i = 0;
    while (i < line.size() && std::isdigit(static_cast<unsigned char>(line[i])))
      ++i;
    uint64_t id = 0;
    auto ec = std::from_chars(line.data(), line.data() + i, id).ec;
    if (i > 0 && ec == std::errc() && (i == line.size() || isSpace(line[i]))) {
      out.channel = id;
      while (i < line.size() && isSpace(line[i]))
        ++i;
      line.erase(0, i);
    }
  }
  out.text = std::move(line);
  return FrameStatus::Complete;
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
    const std::string* msg = note(reply, "message");
    d.reason = "helper said BH" + (msg ? ": " + *msg : std::string());
    return d;
  }
  case SquidReply::Result::Ok: {
    if (const std::string* url = note(reply, "url")) {
      int status = 302;
      if (const std::string* s = note(reply, "status")) {
        status = 0;
        auto [p, ec] = std::from_chars(s->data(), s->data() + s->size(), status);
        if (ec != std::errc() || p != s->data() + s->size())
          status = 0;
      }
      return redirect(status, *url);
    }
    if (const std::string* url = note(reply, "rewrite-url"))
      return rewriteTo(*url, req);
    return Decision::pass();
  }
  case SquidReply::Result::Unknown:
    break;
  }
  // Legacy format.
  std::string word = reply.legacy;
  if (word.empty())
    return Decision::pass();
  if (word.front() == '!') { // Squid-2 "!urlgroup!URL"
    size_t second = word.find('!', 1);
    if (second == std::string::npos)
      return Decision::passWithWarning("invalid urlgroup reply: " + word);
    word = word.substr(second + 1);
    if (word.empty())
      return Decision::pass();
  }
  if (word.size() >= 3 && word[0] == '3' && std::isdigit(static_cast<unsigned char>(word[1])) &&
      std::isdigit(static_cast<unsigned char>(word[2])) && (word.size() == 3 || word[3] == ':')) {
    if (word.size() == 3)
      return Decision::passWithWarning("invalid " + word + " redirect without a URL");
    return redirect(std::stoi(word.substr(0, 3)), word.substr(4));
  }
  return rewriteTo(word, req);
}

} // namespace exaproxy::redirector
