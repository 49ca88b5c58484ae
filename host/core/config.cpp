// conf.d -> HostConfig. Reading (ini_parser) and validating are separate so that every problem
// of every file is collected in one pass: an operator running --check sees all of them at once.
#include "core/config.h"

#include "core/config_schema.h"
#include "core/digest.h"
#include "core/ini_parser.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <system_error>

namespace exaproxy {

// `[plugin] path`: a bare file name ("xff.so") names a packaged plugin, looked up beside the
// running binary's build tree (<build>/plugins/, so the repository's conf.d works from a build)
// and then in the installed plugin directory; any other relative path is relative to conf.d.
std::filesystem::path resolvePluginPath(const std::string& value,
                                        const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  fs::path p(value);
  if (p.has_parent_path() || value.find('/') != std::string::npos)
    return (p.is_relative() ? dir / p : p).lexically_normal();
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    fs::path built = exe.parent_path().parent_path() / "plugins" / p;
    if (fs::exists(built, ec))
      return built;
  }
  return fs::path(EXAPROXY_PLUGINDIR) / p;
}

namespace fs = std::filesystem;

std::string ConfigError::toString() const {
  std::string out = file;
  if (line > 0)
    out += ":" + std::to_string(line);
  out += ": ";
  if (!section.empty())
    out += "[" + section + "] ";
  if (!key.empty())
    out += key + ": ";
  out += message;
  return out;
}

namespace {

std::pair<std::string, std::string> splitSection(const std::string& section) {
  auto space = section.find(' ');
  if (space == std::string::npos)
    return {section, ""};
  return {section.substr(0, space), section.substr(space + 1)};
}

bool isHostKind(std::string_view kind) {
  return kind == "listener" || findHostSection(kind) != nullptr;
}

template <typename T> std::string knownKeys(const std::vector<KeySpec<T>>& keys) {
  std::string out;
  for (const auto& k : keys)
    out += (out.empty() ? "" : ", ") + std::string(k.key);
  return out;
}

// Reads e through its row of keys into target() (called only when the key is known); returns the
// problem, empty when the value was accepted. An unknown key is one: there is no catch-all row.
template <typename T, typename Target>
std::string applyRow(const std::vector<KeySpec<T>>& keys, const ConfigEntry& e, const fs::path& dir,
                     Target target, const std::string& alsoKnown = "") {
  auto k = std::find_if(keys.begin(), keys.end(),
                        [&](const KeySpec<T>& row) { return row.key == e.key; });
  if (k == keys.end())
    return "unknown key (known: " + alsoKnown + knownKeys(keys) + ")";
  return k->parse(target(), e.value, dir);
}

struct Loader {
  fs::path dir;
  HostConfig cfg = schemaDefaults();
  std::vector<ConfigError> errors;
  std::map<std::string, size_t> listenerIndex;             // name -> index in cfg.listeners
  std::vector<std::pair<std::string, int>> listenerOrigin; // file, line of first mention
  // "section\nkey" -> the entry that last set it, and those whose last value was rejected.
  std::map<std::string, ConfigEntry> lastSet;
  std::set<std::string> lastRejected;

  void fail(const ConfigEntry& e, std::string message) {
    errors.push_back(ConfigError{e.file, e.line, e.section, e.key, std::move(message)});
  }

  // Checks a host section name; empty string when acceptable.
  static std::string sectionProblem(const std::string& section) {
    auto [kind, arg] = splitSection(section);
    if (!isHostKind(kind)) {
      std::string names;
      for (const auto& s : hostSchema())
        names +=
            (names.empty() ? std::string(s.name) + ", listener NAME" : ", " + std::string(s.name));
      return "unknown section (host sections: " + names +
             "; a plugin's sections belong in its own NN-name.conf)";
    }
    if (kind == "listener" && arg.empty())
      return "a listener needs a name: [listener NAME]";
    if (kind != "listener" && !arg.empty())
      return "[" + kind + "] takes no name";
    return "";
  }

  ListenerConfig& listener(const std::string& name, const std::string& file, int line) {
    auto it = listenerIndex.find(name);
    if (it != listenerIndex.end())
      return cfg.listeners[it->second];
    ListenerConfig l;
    l.name = name;
    l.source = file + ":" + std::to_string(line);
    listenerIndex.emplace(name, cfg.listeners.size());
    cfg.listeners.push_back(std::move(l));
    listenerOrigin.emplace_back(file, line);
    return cfg.listeners.back();
  }

  // One entry of a host section (already checked by sectionProblem), through its table's row.
  void applyHost(const ConfigEntry& e) {
    auto kind = splitSection(e.section).first;
    auto problem =
        kind == "listener"
            ? applyRow(listenerSchema(), e, dir,
                       [&]() -> ListenerConfig& {
                         return listener(splitSection(e.section).second, e.file, e.line);
                       })
            : applyRow(findHostSection(kind)->keys, e, dir, [&]() -> HostConfig& { return cfg; });
    auto id = e.section + "\n" + e.key;
    if (!problem.empty()) {
      lastRejected.insert(id);
      return fail(e, problem);
    }
    lastRejected.erase(id);
    lastSet[id] = e;
  }

  void crossCheck();
  void readPluginFile(const std::string& stem, const IniDocument& doc, bool hasLibrary,
                      PluginEntry& p);
  void readHostFile(const IniDocument& doc);
  void applyOverride(const std::string& text, int index,
                     std::map<std::string, PluginEntry>& plugins);
};

// "section.key=value" -> entry, the section being everything before the last '.' ahead of '='.
std::optional<ConfigEntry> parseOverride(const std::string& text, int index, std::string& why) {
  ConfigEntry e;
  e.file = "--set";
  e.line = index;
  auto eq = text.find('=');
  if (eq == std::string::npos) {
    why = "expected section.key=value";
    return std::nullopt;
  }
  std::string left = text.substr(0, eq);
  auto dot = left.rfind('.');
  if (dot == std::string::npos) {
    why = "expected section.key=value (no '.' between section and key)";
    return std::nullopt;
  }
  auto section = normaliseSectionName(left.substr(0, dot), &why);
  if (!section)
    return std::nullopt;
  auto trim = [](std::string s) {
    auto b = s.find_first_not_of(" \t");
    auto eIdx = s.find_last_not_of(" \t");
    return b == std::string::npos ? std::string() : s.substr(b, eIdx - b + 1);
  };
  e.section = *section;
  e.key = trim(left.substr(dot + 1));
  for (auto& c : e.key)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (e.key.empty() || e.key.find_first_of(" \t") != std::string::npos) {
    why = "expected section.key=value (bad key)";
    return std::nullopt;
  }
  e.value = trim(text.substr(eq + 1));
  return e;
}

void Loader::crossCheck() {
  // Reports at the entry that set `key` (or `other` if only that one was set).
  auto conflict = [this](const char* section, const char* key, const char* other,
                         std::string message) {
    auto it = lastSet.find(std::string(section) + "\n" + key);
    if (it == lastSet.end())
      it = lastSet.find(std::string(section) + "\n" + other);
    if (it != lastSet.end())
      fail(it->second, std::move(message));
    else
      errors.push_back(ConfigError{dir.string(), 0, section, key, std::move(message)});
  };
  if (cfg.dnsMinTtl > cfg.dnsMaxTtl)
    conflict("dns", "min_ttl", "max_ttl", "min_ttl must not be larger than max_ttl");
  if (cfg.dnsNegativeTtl > cfg.dnsMaxTtl)
    conflict("dns", "negative_ttl", "max_ttl", "negative_ttl must not be larger than max_ttl");
  if (cfg.maxConnectionsPerClient > cfg.maxConnections)
    conflict("limits", "max_connections_per_client", "max_connections",
             "max_connections_per_client must not be larger than max_connections");
  if (cfg.workersMin > cfg.workersMax)
    conflict("workers", "min", "max", "min must not be larger than max");
  if (cfg.maxUri > cfg.maxRequestHead)
    conflict("limits", "max_uri", "max_request_head",
             "max_uri must not be larger than max_request_head (the URI is part of the head)");

  for (size_t i = 0; i < cfg.listeners.size(); ++i) {
    const auto& l = cfg.listeners[i];
    auto section = "listener " + l.name;
    // A PROXY header lets its sender choose the client address: someone must be trusted to send
    // it, and nobody is by default. Reported where proxy_protocol was switched on.
    if (l.proxyProtocol != ProxyProtocol::Off && l.proxyTrusted.empty() &&
        !lastRejected.count(section + "\nproxy_trusted")) {
      auto it = lastSet.find(section + "\nproxy_protocol");
      if (it != lastSet.end())
        fail(it->second, "needs proxy_trusted = the load balancers' addresses or prefixes "
                         "(nobody is trusted to send a PROXY header by default)");
    }
    const auto& [file, line] = listenerOrigin[i];
    bool missing = false;
    for (const auto& k : listenerSchema())
      if (k.required && !lastSet.count(section + "\n" + std::string(k.key))) {
        errors.push_back(ConfigError{file, line, section, std::string(k.key),
                                     "a listener needs an " + std::string(k.key) + ", like " +
                                         std::string(k.key) + " = " + std::string(k.defaultText)});
        missing = true;
      }
    if (missing)
      continue;
    // Port 0 asks the kernel for a fresh port each time, so it never collides.
    for (size_t j = 0; j < i; ++j) {
      const auto& other = cfg.listeners[j];
      if (lastSet.count("listener " + other.name + "\naddress") && l.address.port != 0 &&
          other.address == l.address)
        errors.push_back(
            ConfigError{file, line, section, "address",
                        "same address as [listener " + other.name + "] at " + other.source});
    }
  }
  if (cfg.listeners.empty())
    errors.push_back(ConfigError{dir.string(), 0, "", "",
                                 "no [listener NAME] section: the proxy would accept nothing"});
}

// A plugin's .conf: the host records its settings (the plugin validates them) and applies the
// [plugin] section's path and policy keys.
void Loader::readPluginFile(const std::string& stem, const IniDocument& doc, bool hasLibrary,
                            PluginEntry& p) {
  p.name = stem;
  const ConfigEntry* pathEntry = nullptr;
  std::vector<std::pair<ConfigEntry, std::string>> policyProblems;
  for (const auto& e : doc.entries) {
    if (e.section == "plugin" && e.key == "path") {
      pathEntry = &e;
      continue;
    }
    // [plugin] policy keys are the host's (the plugin runtime does not offer the [plugin]
    // section to the plugin); they stay in settings so --check and the UI show them in place.
    if (e.section == "plugin") {
      auto problem = applyRow(
          pluginPolicySchema(), e, dir, [&]() -> PluginEntry& { return p; }, "path, ");
      if (!problem.empty())
        policyProblems.emplace_back(e, problem);
    }
    p.settings.push_back(e);
  }
  if (pathEntry && hasLibrary)
    fail(*pathEntry, "both " + stem + ".so and a [plugin] path: remove one");
  else if (pathEntry && pathEntry->value.empty())
    fail(*pathEntry, "expected the path of the plugin's .so");
  else if (pathEntry)
    p.library = resolvePluginPath(pathEntry->value, dir);
  else if (!hasLibrary) {
    auto header = std::find_if(doc.sections.begin(), doc.sections.end(),
                               [](const IniSection& s) { return s.name == "plugin"; });
    errors.push_back(ConfigError{header->file, header->line, "plugin", "path",
                                 "a [plugin] section needs path = the plugin's .so"});
  }
  // Without a library the missing path is the one error worth reading.
  if (pathEntry || hasLibrary)
    for (const auto& [entry, problem] : policyProblems)
      fail(entry, problem);
}

// A host file. Sections are checked at their header (one message per bad section rather than one
// per key); listeners are created in the order their headers appear.
void Loader::readHostFile(const IniDocument& doc) {
  for (const auto& s : doc.sections) {
    auto problem = sectionProblem(s.name);
    if (!problem.empty())
      errors.push_back(ConfigError{s.file, s.line, s.name, "", problem});
    else if (splitSection(s.name).first == "listener")
      listener(splitSection(s.name).second, s.file, s.line);
  }
  for (const auto& e : doc.entries)
    if (sectionProblem(e.section).empty())
      applyHost(e);
}

void Loader::applyOverride(const std::string& text, int index,
                           std::map<std::string, PluginEntry>& plugins) {
  std::string why;
  auto e = parseOverride(text, index, why);
  if (!e) {
    errors.push_back(ConfigError{"--set", index, "", "", why + ": '" + text + "'"});
    return;
  }
  cfg.entries.push_back(*e);
  auto kind = splitSection(e->section).first;
  if (isHostKind(kind)) {
    auto problem = sectionProblem(e->section);
    if (!problem.empty())
      fail(*e, problem);
    else
      applyHost(*e);
    return;
  }
  // Not a host section: it may be a section of exactly one plugin's .conf.
  std::vector<PluginEntry*> owners;
  for (auto& named : plugins)
    if (std::any_of(named.second.settings.begin(), named.second.settings.end(),
                    [&](const ConfigEntry& s) { return s.section == e->section; }))
      owners.push_back(&named.second);
  if (kind == "plugin")
    fail(*e, "a plugin's path cannot be overridden with --set");
  else if (owners.size() == 1)
    owners.front()->settings.push_back(*e);
  else if (owners.empty())
    fail(*e, sectionProblem(e->section));
  else
    fail(*e, "section is used by several plugins; edit their .conf files instead");
}

// The *.conf and *.so names of dir's top level, sorted: subfolders (conf.d/examples/) are a shelf,
// hidden files are editor and package-manager leftovers.
std::optional<std::vector<std::string>> listConfDir(const fs::path& dir,
                                                    std::vector<ConfigError>& errors) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    errors.push_back(ConfigError{dir.string(), 0, "", "",
                                 ec ? "cannot read the configuration directory: " + ec.message()
                                    : "not a directory (or does not exist)"});
    return std::nullopt;
  }
  std::vector<std::string> names;
  fs::directory_iterator it(dir, ec);
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
    auto name = it->path().filename().string();
    auto ext = it->path().extension();
    std::error_code typeEc;
    if (!name.empty() && name[0] != '.' && (ext == ".conf" || ext == ".so") &&
        it->is_regular_file(typeEc))
      names.push_back(name);
  }
  if (ec) {
    errors.push_back(
        ConfigError{dir.string(), 0, "", "", "cannot list the directory: " + ec.message()});
    return std::nullopt;
  }
  std::sort(names.begin(), names.end());
  return names;
}

// The hash of the files read (HostConfig::confHash): each name, its length and its content.
std::string hashConfDir(const fs::path& dir, const std::vector<std::string>& names) {
  Sha256 sha;
  for (const auto& n : names) {
    std::ifstream in(dir / n, std::ios::binary);
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    sha.update(n);
    sha.update(std::string_view("\0", 1));
    sha.update(std::to_string(content.size()));
    sha.update(std::string_view("\0", 1));
    sha.update(content);
  }
  return sha.hex();
}

} // namespace

ConfigLoad loadConfig(const fs::path& dir, const std::vector<std::string>& overrides) {
  ConfigLoad result;
  auto names = listConfDir(dir, result.errors);
  if (!names)
    return result;
  Loader loader;
  loader.dir = dir;
  loader.cfg.confHash = hashConfDir(dir, *names);
  std::map<std::string, PluginEntry> plugins; // by stem; std::map orders the chain
  for (const auto& n : *names)
    if (fs::path(n).extension() == ".so") {
      auto stem = fs::path(n).stem().string();
      plugins[stem].name = stem;
      plugins[stem].library = dir / n;
    }
  for (const auto& n : *names) {
    fs::path file(n);
    if (file.extension() != ".conf")
      continue;
    auto doc = parseIniFile(dir / file);
    loader.errors.insert(loader.errors.end(), doc.errors.begin(), doc.errors.end());
    loader.cfg.entries.insert(loader.cfg.entries.end(), doc.entries.begin(), doc.entries.end());
    auto stem = file.stem().string();
    bool hasLibrary = plugins.count(stem) != 0; // only .so stems are in it yet
    bool pluginFile =
        hasLibrary || std::any_of(doc.sections.begin(), doc.sections.end(),
                                  [](const IniSection& s) { return s.name == "plugin"; });
    if (pluginFile)
      loader.readPluginFile(stem, doc, hasLibrary, plugins[stem]);
    else
      loader.readHostFile(doc);
  }
  int index = 0;
  for (const auto& text : overrides)
    loader.applyOverride(text, ++index, plugins);
  loader.crossCheck();
  for (auto& named : plugins)
    loader.cfg.plugins.push_back(std::move(named.second));
  if (!loader.errors.empty()) {
    result.errors = std::move(loader.errors);
    return result;
  }
  result.config = std::make_shared<const HostConfig>(std::move(loader.cfg));
  return result;
}

} // namespace exaproxy
