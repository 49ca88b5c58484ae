// libFuzzer target for the acl plugin's domain-list loader (DomainList::loadFile: one name per
// line, '#' comments, hosts-file lines) and the lookups over the table it builds.
// Run: acl_domains_fuzz -dict=tests/fuzz/dict/acl_domains.dict tests/fuzz/corpus/acl_domains
// The text reaches loadFile as a memfd (/proc/self/fd/N): no file on disk per run.
// Properties: after a successful load every listed name is found, and so is any subdomain of it
// (not for IP literals); loading the same text twice adds nothing; a failed load names the file
// and the line.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "domain_list.h"
#include "fuzz_util.h"

using exaproxy::common::DomainList;

namespace {

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

const std::string& listPath() {
  static const std::string path = [] {
    int fd = ::memfd_create("acl-domains-fuzz", 0);
    FUZZ_CHECK(fd >= 0);
    return "/proc/self/fd/" + std::to_string(fd);
  }();
  return path;
}

void writeList(std::string_view text) {
  int fd = std::stoi(listPath().substr(std::string_view("/proc/self/fd/").size()));
  FUZZ_CHECK(::ftruncate(fd, 0) == 0);
  FUZZ_CHECK(::pwrite(fd, text.data(), text.size(), 0) == static_cast<ssize_t>(text.size()));
}

// The names a line lists, as the header describes the format (not as the loader splits it).
std::vector<std::string_view> namesOf(std::string_view line) {
  line = line.substr(0, line.find('#'));
  std::vector<std::string_view> fields;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && isSpace(line[i])) {
      ++i;
    }
    size_t start = i;
    while (i < line.size() && !isSpace(line[i])) {
      ++i;
    }
    if (i > start) {
      fields.push_back(line.substr(start, i - start));
    }
  }
  if (fields.size() <= 1) {
    return fields;
  }
  std::vector<std::string_view> names; // a hosts line: the names after the address, with a dot
  for (size_t k = 1; k < fields.size(); ++k) {
    if (fields[k].find('.') != std::string_view::npos) {
      names.push_back(fields[k]);
    }
  }
  return names;
}

// lowercase; "*." or "." in front and "." at the end dropped.
std::string normalised(std::string_view name) {
  if (name.substr(0, 2) == "*.") {
    name.remove_prefix(2);
  } else if (!name.empty() && name.front() == '.') {
    name.remove_prefix(1);
  }
  if (!name.empty() && name.back() == '.') {
    name.remove_suffix(1);
  }
  std::string out(name);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  writeList(text);

  DomainList list;
  std::string error;
  bool ok = list.loadFile(listPath(), error);
  if (!ok) {
    FUZZ_CHECK(error.rfind(listPath() + ":", 0) == 0);
    return 0;
  }
  list.build();
  FUZZ_CHECK(list.memoryBytes() >= list.size());

  size_t listed = 0;
  std::string_view rest = text;
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    for (std::string_view name : namesOf(line)) {
      ++listed;
      std::string n = normalised(name);
      FUZZ_CHECK(list.contains(n));
      FUZZ_CHECK(list.contains(n + "."));
      bool ipLike = n.find(':') != std::string::npos || (n.back() >= '0' && n.back() <= '9');
      if (!ipLike && n.size() + 4 <= 253) {
        FUZZ_CHECK(list.contains("www." + n));
      }
    }
  }
  FUZZ_CHECK(list.size() <= listed);

  // The same text again: every name is a duplicate.
  DomainList twice;
  FUZZ_CHECK(twice.loadFile(listPath(), error));
  FUZZ_CHECK(twice.loadFile(listPath(), error));
  twice.build();
  FUZZ_CHECK(twice.size() == list.size());
  return 0;
}
