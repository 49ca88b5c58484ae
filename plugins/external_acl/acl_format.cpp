#include "acl_format.h"

#include "squid_reply.h"

#include <sstream>

namespace exaproxy::external_acl {

std::optional<AclFormat> AclFormat::parse(std::string_view text, std::string& why) {
  static const std::pair<const char*, Code> kCodes[] = {
      {"%SRC", Code::Src},       {"%SRCPORT", Code::SrcPort}, {"%LOGIN", Code::Login},
      {"%DST", Code::Dst},       {"%PORT", Code::Port},       {"%PATH", Code::Path},
      {"%METHOD", Code::Method}, {"%URI", Code::Uri},         {"%MYADDR", Code::MyAddr},
      {"%MYPORT", Code::MyPort}, {"%un", Code::Login},        {">a", Code::Src}};
  AclFormat f;
  std::istringstream in{std::string(text)};
  for (std::string w; in >> w;) {
    if (w.rfind("%>{", 0) == 0 && w.size() > 4 && w.back() == '}') {
      f.items_.push_back(Item{Code::Header, w.substr(3, w.size() - 4)});
      continue;
    }
    bool found = false;
    for (const auto& [name, code] : kCodes) {
      if (w == name) {
        f.items_.push_back(Item{code, {}});
        f.usesLogin_ = f.usesLogin_ || code == Code::Login;
        found = true;
        break;
      }
    }
    if (!found) {
      why = "format code '" + w +
            "' is not available (known: %SRC %SRCPORT %LOGIN %DST %PORT %PATH %METHOD %URI %MYADDR "
            "%MYPORT %>{Header})";
      return std::nullopt;
    }
  }
  if (f.items_.empty()) {
    why = "the format names no field";
    return std::nullopt;
  }
  return f;
}

std::string AclFormat::expand(const RequestFields& r, const std::vector<std::string>& data) const {
  std::string line;
  auto add = [&line](std::string_view v) {
    if (!line.empty())
      line += ' ';
    line += v.empty() ? std::string("-") : common::percentEncodeField(v);
  };
  for (const auto& item : items_) {
    switch (item.code) {
    case Code::Src:
      add(r.client);
      break;
    case Code::SrcPort:
      add(r.clientPort ? std::to_string(r.clientPort) : std::string());
      break;
    case Code::Login:
      add(r.login);
      break;
    case Code::Dst:
      add(r.host);
      break;
    case Code::Port:
      add(std::to_string(r.port));
      break;
    case Code::Path:
      add(r.path);
      break;
    case Code::Method:
      add(r.method);
      break;
    case Code::Uri:
      add(r.url);
      break;
    case Code::MyAddr:
      add(r.myAddr);
      break;
    case Code::MyPort:
      add(r.myPort);
      break;
    case Code::Header: {
      auto v = r.header ? r.header(item.header) : std::nullopt;
      add(v ? *v : std::string_view());
      break;
    }
    }
  }
  for (const auto& d : data)
    add(d);
  return line;
}

} // namespace exaproxy::external_acl
