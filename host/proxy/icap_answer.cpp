#include "proxy/icap_answer.h"

#include "encapsulated.h"
#include "icap_chunked.h"

namespace exaproxy::proxy::icapd {

namespace {

std::string statusLine(int status, std::string_view istag) {
  std::string out = "ICAP/1.0 " + std::to_string(status) + " ";
  out += icapReason(status);
  out += "\r\nServer: ExaProxy\r\nISTag: \"";
  out += istag;
  out += "\"\r\n";
  return out;
}

std::string encapsulated(std::optional<size_t> req, std::optional<size_t> res,
                         icap::BodyKind body) {
  return "Encapsulated: " + icap::formatEncapsulated(icap::encapsulatedFor(req, res, body)) +
         "\r\n\r\n";
}

} // namespace

std::string_view icapReason(int status) {
  switch (status) {
  case 100:
    return "Continue";
  case 200:
    return "OK";
  case 204:
    return "No Content";
  case 400:
    return "Bad Request";
  case 403:
    return "Forbidden";
  case 404:
    return "ICAP Service Not Found";
  case 405:
    return "Method Not Allowed For Service";
  case 408:
    return "Request Timeout";
  case 413:
    return "Request Entity Too Large";
  case 501:
    return "Method Not Implemented";
  case 503:
    return "Service Overloaded";
  case 505:
    return "ICAP Version Not Supported";
  default:
    return "Server Error";
  }
}

std::string continueAnswer() { return "ICAP/1.0 100 Continue\r\n\r\n"; }

std::string noContentAnswer(std::string_view istag) {
  return statusLine(204, istag) + "Encapsulated: null-body=0\r\n\r\n";
}

std::string errorAnswer(int status, std::string_view istag, bool close) {
  std::string out = statusLine(status, istag);
  if (close)
    out += "Connection: close\r\n";
  out += "Encapsulated: null-body=0\r\n\r\n";
  return out;
}

std::string optionsAnswer(std::string_view istag, size_t maxConnections, bool respmod) {
  std::string out = statusLine(200, istag);
  out += respmod ? "Methods: RESPMOD\r\n" : "Methods: REQMOD\r\n";
  out += "Service: ExaProxy plugin chain\r\n"
         "Allow: 204\r\n"
         "Preview: 0\r\n"
         "Transfer-Preview: *\r\n"
         "Options-TTL: 300\r\n"
         "Max-Connections: " +
         std::to_string(maxConnections) + "\r\n";
  out += "Encapsulated: null-body=0\r\n\r\n";
  return out;
}

std::string requestAnswer(std::string_view istag, std::string_view httpHead,
                          std::optional<std::string_view> body) {
  std::string out = statusLine(200, istag);
  out += encapsulated(httpHead.size(), std::nullopt,
                      body ? icap::BodyKind::ReqBody : icap::BodyKind::NullBody);
  out += httpHead;
  if (body) {
    icap::appendChunk(out, *body);
    out += icap::lastChunk();
  }
  return out;
}

std::string responseAnswer(std::string_view istag, std::string_view httpResponse) {
  size_t end = httpResponse.find("\r\n\r\n");
  std::string_view head = httpResponse.substr(0, end == std::string_view::npos ? 0 : end + 4);
  std::string_view body = httpResponse.substr(head.size());
  std::string out = statusLine(200, istag);
  out += encapsulated(std::nullopt, head.size(),
                      body.empty() ? icap::BodyKind::NullBody : icap::BodyKind::ResBody);
  out += head;
  if (!body.empty()) {
    icap::appendChunk(out, body);
    out += icap::lastChunk();
  }
  return out;
}

std::string adaptedResponseAnswer(std::string_view istag, std::string_view httpHead,
                                  std::string_view body) {
  std::string out = statusLine(200, istag);
  out += encapsulated(std::nullopt, httpHead.size(), icap::BodyKind::ResBody);
  out += httpHead;
  icap::appendChunk(out, body);
  out += icap::lastChunk();
  return out;
}

std::string responseHeadText(const http::ResponseHead& resp,
                             std::optional<uint64_t> contentLength) {
  std::string out = "HTTP/" + std::to_string(resp.versionMajor) + "." +
                    std::to_string(resp.versionMinor) + " " + std::to_string(resp.status) + " ";
  out += resp.reason;
  out += "\r\n";
  bool lengthWritten = false;
  for (const auto& f : resp.headers.fields()) {
    bool length = http::iequals(f.name, "Content-Length");
    if (contentLength && (http::iequals(f.name, "Transfer-Encoding") || (length && lengthWritten)))
      continue;
    out += f.name;
    out += ": ";
    if (contentLength && length) {
      out += std::to_string(*contentLength);
      lengthWritten = true;
    } else {
      out += f.value;
    }
    out += "\r\n";
  }
  if (contentLength && !lengthWritten)
    out += "Content-Length: " + std::to_string(*contentLength) + "\r\n";
  out += "\r\n";
  return out;
}

bool isRespmodService(std::string_view icapUri) {
  std::string_view path = icapUri.substr(0, icapUri.find_first_of("?#"));
  if (auto scheme = path.find("://"); scheme != std::string_view::npos) {
    auto slash = path.find('/', scheme + 3);
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash);
  }
  constexpr std::string_view kSuffix = "respmod";
  if (path.size() < kSuffix.size())
    return false;
  std::string_view tail = path.substr(path.size() - kSuffix.size());
  for (size_t i = 0; i < tail.size(); ++i)
    if ((tail[i] | 0x20) != kSuffix[i])
      return false;
  return true;
}

std::string requestHeadText(const http::RequestHead& req) {
  std::string out(req.method);
  out += ' ';
  if (req.isConnect())
    req.appendHostPort(out, false);
  else if (req.form == http::TargetForm::Asterisk)
    out += '*';
  else
    req.appendUrl(out);
  out += " HTTP/" + std::to_string(req.versionMajor) + "." + std::to_string(req.versionMinor);
  out += "\r\n";
  bool host = false;
  for (const auto& f : req.headers.fields()) {
    out += f.name;
    out += ": ";
    if (http::iequals(f.name, "Host") && !host) {
      host = true;
      req.appendHostPort(out, !req.isConnect());
    } else {
      out += f.value;
    }
    out += "\r\n";
  }
  if (!host) {
    out += "Host: ";
    req.appendHostPort(out, !req.isConnect());
    out += "\r\n";
  }
  out += "\r\n";
  return out;
}

} // namespace exaproxy::proxy::icapd
