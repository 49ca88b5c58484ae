#include "proxy/plugin_answer.h"

#include "http/syntax.h"
#include "proxy/proxy_log.h"

#include <ctime>

namespace exaproxy::proxy {

std::string pluginPage(const PageContext& pc, const plugin::Outcome& o, int status,
                       std::string_view detail) {
  const auto& req = pc.req;
  http::PageVars vars{{"detail", std::string(detail)},
                      {"url", req.url()},
                      {"host", req.host},
                      {"method", std::string(req.method)},
                      {"client", pc.client},
                      {"user", pc.user},
                      {"proxy", std::string(pc.proxyName)},
                      {"time", http::httpDate(std::time(nullptr))},
                      {"plugin", o.pluginName},
                      {"incident", o.incident}};
  if (o.page.name.empty())
    return pc.pages.renderStatus(status, vars);
  vars.insert(vars.end(), o.page.vars.begin(), o.page.vars.end());
  bool found = false;
  std::string page = pc.pages.renderNamed(o.page.name, status, vars, &found);
  if (!found && o.page.name != "error") // "error" always exists: error.html or the built-in page
    proxyLog()->warn(
        "template.missing name={} plugin={} url={} (error.html or the built-in page used; "
        "add {}.html to [server] templates)",
        o.page.name, o.plugin, req.url(), o.page.name);
  return page;
}

LocalAnswer pluginAnswer(const PageContext& pc, const plugin::Outcome& o) {
  using Kind = plugin::Outcome::Kind;
  LocalAnswer a;
  a.headers = o.headers;
  switch (o.kind) {
  case Kind::Redirect:
    a.status = o.status ? o.status : 302;
    a.headers.emplace_back("Location", o.location);
    a.detail = "This request is redirected to " + o.location;
    a.resultCode = "TCP_REDIRECT";
    return a;
  case Kind::Respond:
    a.status = o.status ? o.status : 200;
    a.resultCode = "TCP_MISS";
    a.errorPage = false;
    if (!o.page.name.empty()) {
      a.contentType = "text/html; charset=utf-8";
      a.ownBody = pluginPage(pc, o, a.status, o.reason);
      return a;
    }
    a.contentType = o.contentType;
    if (o.file.empty())
      a.ownBody = o.body;
    return a;
  case Kind::Deny:
  default:
    a.status = o.status ? o.status : 403;
    a.resultCode = "TCP_DENIED";
    a.errorPage = false;
    a.headers.clear();
    a.contentType = "text/html; charset=utf-8";
    // An internal failure shows its clientDetail (an incident id), never the reason.
    a.ownBody = pluginPage(pc, o, a.status,
                           !o.clientDetail.empty() ? o.clientDetail
                           : o.reason.empty()      ? "This request is not allowed."
                                                   : o.reason);
    return a;
  }
}

} // namespace exaproxy::proxy
