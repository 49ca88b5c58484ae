#include "local_config.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <map>
#include <sys/stat.h>

namespace exaproxy::local {
namespace {

using sdk::lower;
using sdk::splitListCopy;

bool parseBool(const ConfigEntry& e) {
  if (auto b = sdk::parseBool(e.value))
    return *b;
  throw ConfigFailure(e, "expected yes or no");
}

// Host names and addresses that may appear inside the PAC's JavaScript strings.
bool pacSafe(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' ||
           c == '[' || c == ']' || c == '*' || c == '_';
  });
}

// A path as written, relative to the directory of the file it was written in.
std::string resolvePath(const ConfigEntry& e) {
  if (e.value.empty())
    throw ConfigFailure(e, "a path is required");
  if (e.value.front() == '/' || e.file.empty() || e.file.front() == '-')
    return e.value;
  size_t slash = e.file.rfind('/');
  return slash == std::string::npos ? e.value : e.file.substr(0, slash + 1) + e.value;
}

std::string realPath(const ConfigEntry& e, const std::string& path, bool wantDirectory) {
  char* p = ::realpath(path.c_str(), nullptr);
  if (!p)
    throw ConfigFailure(e, "'" + path + "' does not exist");
  std::string real(p);
  std::free(p);
  struct stat st {};
  if (::stat(real.c_str(), &st) == -1 ||
      (wantDirectory ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)))
    throw ConfigFailure(e, "'" + path + "' is not a " +
                               std::string(wantDirectory ? "directory" : "regular file"));
  return real;
}

// A rule under construction, with the entries later checks refer to.
struct Pending {
  LocalRule rule;
  const ConfigEntry* first = nullptr;
  const ConfigEntry* action = nullptr;
  const ConfigEntry* templateEntry = nullptr;
};

void setAction(Pending& p, const ConfigEntry& e, RuleAction a) {
  if (p.action)
    throw ConfigFailure(e, "a rule has one action; '" + p.action->key +
                               "' is already set at line " + std::to_string(p.action->line));
  p.action = &e;
  p.rule.action = a;
}

void parseRuleEntry(const ConfigEntry& e, Pending& p) {
  LocalRule& r = p.rule;
  const std::string& k = e.key;
  if (k == "host") {
    for (const auto& w : splitListCopy(e.value)) {
      HostPattern h;
      if (!HostPattern::parse(w, h))
        throw ConfigFailure(e, "'" + w + "' is not a host name, '*.domain', '*' or '@listener'");
      r.hosts.push_back(std::move(h));
    }
  } else if (k == "prefix") {
    r.prefix = e.value;
    if (lower(r.prefix.substr(0, 7)) == "http://") {
      r.prefixIsUrl = true;
      size_t slash = r.prefix.find('/', 7);
      r.prefix = lower(r.prefix.substr(0, slash)) +
                 (slash == std::string::npos ? "/" : r.prefix.substr(slash));
    } else if (r.prefix.empty() || r.prefix.front() != '/') {
      throw ConfigFailure(e, "a prefix is a path ('/docs/') or a URL ('http://host/docs/')");
    }
  } else if (k == "regex") {
    try {
      r.regex = std::regex(e.value, std::regex::ECMAScript | std::regex::optimize);
    } catch (const std::regex_error& err) {
      throw ConfigFailure(e, std::string("invalid regular expression: ") + err.what());
    }
    r.hasRegex = true;
    r.regexText = e.value;
  } else if (k == "file") {
    setAction(p, e, RuleAction::File);
    r.root = realPath(e, resolvePath(e), false);
  } else if (k == "directory") {
    setAction(p, e, RuleAction::Directory);
    r.root = realPath(e, resolvePath(e), true);
  } else if (k == "template") {
    setAction(p, e, RuleAction::Template);
    p.templateEntry = &e;
  } else if (k == "generate") {
    setAction(p, e, RuleAction::Generate);
    std::string v = lower(e.value);
    if (v == "pac")
      r.generator = Generator::Pac;
    else if (v == "status")
      r.generator = Generator::Status;
    else
      throw ConfigFailure(e, "expected 'pac' or 'status'");
  } else if (k == "deny") {
    setAction(p, e, RuleAction::Deny);
    r.reason = e.value;
  } else if (k == "status") {
    char* end = nullptr;
    long v = std::strtol(e.value.c_str(), &end, 10);
    if (e.value.empty() || *end != '\0' || v < 200 || v > 599)
      throw ConfigFailure(e, "expected an HTTP status from 200 to 599");
    r.status = static_cast<int>(v);
  } else if (k == "reason") {
    r.reason = e.value;
  } else if (k == "index") {
    if (e.value.empty() || e.value.find('/') != std::string::npos || e.value == "..")
      throw ConfigFailure(e, "expected a file name");
    r.index = e.value;
  } else if (k == "content_type") {
    if (e.value.empty() || e.value.find_first_of("\r\n") != std::string::npos)
      throw ConfigFailure(e, "expected a media type, e.g. 'text/html; charset=utf-8'");
    r.contentType = e.value;
  } else {
    throw ConfigFailure(e, "unknown key (known: host, prefix, regex, file, directory, template, "
                           "generate, deny, status, reason, index, content_type)");
  }
}

void parseGlobal(const ConfigEntry& e, LocalConfig& cfg) {
  const std::string& k = e.key;
  if (k == "name") {
    cfg.proxyName = e.value;
    cfg.proxyNameSet = true;
  } else if (k == "templates") {
    // Deprecated (ABI 1.2): the host renders every page from [server] templates.
    cfg.warnings.push_back(e.file + ":" + std::to_string(e.line) +
                           ": [local] templates is deprecated and ignored: pages are rendered by "
                           "the proxy from its own templates directory ([server] templates)");
  } else if (k == "pac_proxy") {
    if (!pacSafe(e.value) || e.value.find(':') == std::string::npos)
      throw ConfigFailure(e, "expected host:port, e.g. 'proxy.example.net:3128'");
    cfg.pacProxy = e.value;
  } else if (k == "pac_direct") {
    for (const auto& w : splitListCopy(e.value)) {
      if (!pacSafe(w) || (w.find('*') != std::string::npos &&
                          (w.rfind("*.", 0) != 0 || w.find('*', 1) != std::string::npos)))
        throw ConfigFailure(e, "'" + w + "' is not a host name or '*.domain'");
      cfg.pacDirect.push_back(lower(w));
    }
  } else if (k == "pac_plain_direct") {
    cfg.pacPlainDirect = parseBool(e);
  } else if (k == "pac_fallback") {
    std::string v = lower(e.value);
    if (v != "direct" && v != "none")
      throw ConfigFailure(e, "expected 'direct' or 'none'");
    cfg.pacFallbackDirect = v == "direct";
  } else {
    throw ConfigFailure(e, "unknown key (known: name, templates, pac_proxy, pac_direct, "
                           "pac_plain_direct, pac_fallback)");
  }
}

void checkTemplate(const ConfigEntry& e, const TemplateCheck& templateExists) {
  const std::string& name = e.value;
  bool ok = !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
  if (!ok)
    throw ConfigFailure(e, "a template is named by letters, digits, '-' and '_' (NAME.html in "
                           "the proxy's templates directory, [server] templates)");
  if (!templateExists)
    return;
  std::optional<bool> exists = templateExists(name);
  if (exists && !*exists)
    throw ConfigFailure(e, "no template '" + name + "': add " + name +
                               ".html to the proxy's templates directory ([server] templates; "
                               "without one only 'error' exists)");
}

} // namespace

bool HostPattern::parse(std::string_view text, HostPattern& out) {
  out = HostPattern();
  out.listener_ = lower(text) == "@listener";
  return out.listener_ || sdk::HostPattern::parse(text, out.name_);
}

bool HostPattern::matches(std::string_view host, std::string_view hostPort,
                          std::string_view listener) const {
  if (listener_)
    return !listener.empty() && hostPort == listener;
  return name_.matches(host);
}

LocalConfigPtr parseLocalConfig(const std::vector<ConfigEntry>& entries,
                                const TemplateCheck& templateExists) {
  auto cfg = std::make_shared<LocalConfig>();
  std::vector<Pending> rules;
  std::map<std::string, size_t> bySection;
  for (const auto& e : entries) {
    if (e.section == "local") {
      parseGlobal(e, *cfg);
      continue;
    }
    if (e.section.rfind("local ", 0) != 0)
      throw ConfigFailure(e, "unknown section (the plugin reads [local] and [local NAME])");
    auto [it, fresh] = bySection.emplace(e.section, rules.size());
    if (fresh) {
      Pending p;
      p.rule.name = e.section.substr(6);
      p.rule.where = e.file + ":" + std::to_string(e.line);
      p.first = &e;
      rules.push_back(std::move(p));
    }
    parseRuleEntry(e, rules[it->second]);
  }
  for (auto& p : rules) {
    if (!p.action)
      throw ConfigFailure(*p.first, "the rule has no action (file, directory, template, "
                                    "generate or deny)");
    if (p.rule.hosts.empty() && p.rule.prefix.empty() && !p.rule.hasRegex)
      throw ConfigFailure(*p.action, "the rule matches nothing: give host, prefix or regex");
    if (p.templateEntry) {
      checkTemplate(*p.templateEntry, templateExists);
      p.rule.templateName = p.templateEntry->value;
      if (!p.rule.contentType.empty())
        cfg->warnings.push_back(p.rule.where + ": [local " + p.rule.name +
                                "] content_type is ignored for a template page (text/html)");
    }
    cfg->rules.push_back(std::move(p.rule));
  }
  return cfg;
}

} // namespace exaproxy::local
