// libFuzzer target for the conf.d reader: the INI dialect (parseIni) and the whole load of a
// configuration directory holding that text as its one .conf file (loadConfig: host sections,
// plugin sections, value syntax, cross checks).
// Run: conf_fuzz -dict=tests/fuzz/dict/conf.dict tests/fuzz/corpus/conf
// Properties: every entry and error names a line of the text; keys are lowercase without
// whitespace, values trimmed, section names already normalised; the entries written back as INI
// read back the same; loadConfig reads the file to the same entries, and gives a configuration
// exactly when it reports no error.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/config.h"
#include "core/ini_parser.h"
#include "fuzz_util.h"

using namespace exaproxy;

namespace {

bool isBlank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

// A private directory for the one .conf file, made and removed for every input (libFuzzer ends
// with _Exit, so nothing would clean up after it); in memory (/dev/shm) when there is one.
class ConfDir {
public:
  ConfDir() {
    const char* tmp = std::getenv("TMPDIR");
    std::error_code ec;
    std::string base = std::filesystem::is_directory("/dev/shm", ec) ? "/dev/shm"
                       : tmp && *tmp                                 ? tmp
                                                                     : "/tmp";
    std::string tmpl = base + "/exaproxy-conf-fuzz.XXXXXX";
    FUZZ_CHECK(::mkdtemp(tmpl.data()) != nullptr);
    path_ = tmpl;
  }
  ~ConfDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ConfDir(const ConfDir&) = delete;
  ConfDir& operator=(const ConfDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

private:
  std::filesystem::path path_;
};

bool sameEntries(const std::vector<ConfigEntry>& a, const std::vector<ConfigEntry>& b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].section != b[i].section || a[i].key != b[i].key || a[i].value != b[i].value) {
      return false;
    }
  }
  return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  IniDocument doc = parseIni(text, "fuzz.conf");

  int lines = 1;
  for (char c : text) {
    lines += c == '\n' ? 1 : 0;
  }
  int previous = 0;
  for (const ConfigEntry& e : doc.entries) {
    FUZZ_CHECK(e.line >= 1 && e.line <= lines && e.line > previous);
    previous = e.line;
    FUZZ_CHECK(!e.key.empty() && !e.section.empty());
    for (char c : e.key) {
      FUZZ_CHECK(!isBlank(c) && !(c >= 'A' && c <= 'Z'));
    }
    FUZZ_CHECK(e.value.empty() || (!isBlank(e.value.front()) && !isBlank(e.value.back())));
    FUZZ_CHECK(normaliseSectionName(e.section) == e.section);
  }
  for (const ConfigError& e : doc.errors) {
    FUZZ_CHECK(e.line >= 1 && e.line <= lines);
    FUZZ_CHECK(!e.message.empty());
  }
  for (const IniSection& s : doc.sections) {
    FUZZ_CHECK(normaliseSectionName(s.name) == s.name);
  }

  // Written back (no space before the value: " #x" would start a comment), read back the same.
  std::string written;
  const std::string* section = nullptr;
  for (const ConfigEntry& e : doc.entries) {
    if (!section || *section != e.section) {
      written += "[" + e.section + "]\n";
      section = &e.section;
    }
    written += e.key + "=" + e.value + "\n";
  }
  IniDocument again = parseIni(written, "again.conf");
  FUZZ_CHECK(again.errors.empty());
  FUZZ_CHECK(sameEntries(again.entries, doc.entries));

  // The same text as the one file of a configuration directory.
  ConfDir dir;
  std::filesystem::path file = dir.path() / "fuzz.conf";
  FILE* f = std::fopen(file.c_str(), "wb");
  FUZZ_CHECK(f != nullptr);
  FUZZ_CHECK(std::fwrite(text.data(), 1, text.size(), f) == text.size());
  FUZZ_CHECK(std::fclose(f) == 0);
  ConfigLoad load = loadConfig(dir.path(), {});
  FUZZ_CHECK((load.config != nullptr) == load.errors.empty());
  if (!doc.errors.empty()) {
    FUZZ_CHECK(!load.config);
  }
  if (load.config) {
    FUZZ_CHECK(sameEntries(load.config->entries, doc.entries));
  }
  return 0;
}
