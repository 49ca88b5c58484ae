#include "core/ini_parser.h"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace exaproxy {

namespace {

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && isSpace(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && isSpace(s.back()))
    s.remove_suffix(1);
  return s;
}

std::string toLower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Cuts the line at the first '#' or ';' that follows whitespace (see the header for why).
std::string_view stripInlineComment(std::string_view line) {
  for (size_t i = 1; i < line.size(); ++i)
    if ((line[i] == '#' || line[i] == ';') && isSpace(line[i - 1]))
      return line.substr(0, i);
  return line;
}

} // namespace

std::optional<std::string> normaliseSectionName(std::string_view text, std::string* why) {
  auto fail = [why](const char* message) -> std::optional<std::string> {
    if (why)
      *why = message;
    return std::nullopt;
  };
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && isSpace(text[i]))
      ++i;
    size_t start = i;
    while (i < text.size() && !isSpace(text[i]))
      ++i;
    if (i > start)
      words.push_back(text.substr(start, i - start));
  }
  if (words.empty())
    return fail("empty section name");
  if (words.size() > 2)
    return fail("a section name is a kind and at most one argument, like [listener main]");
  for (auto w : words)
    if (w.find_first_of("[]=") != std::string_view::npos)
      return fail("'[', ']' and '=' are not allowed in a section name");
  std::string name = toLower(words[0]);
  if (words.size() == 2) {
    name += ' ';
    name += words[1];
  }
  return name;
}

IniDocument parseIni(std::string_view text, const std::string& file) {
  IniDocument doc;
  if (text.substr(0, 3) == "\xEF\xBB\xBF")
    text.remove_prefix(3);
  std::string section;
  bool haveSection = false;
  // After a bad header, keys are dropped until the next good one: giving them to the previous
  // section would apply settings where the operator did not write them.
  bool skipping = false;
  int lineNo = 0;
  auto error = [&](std::string key, std::string message) {
    doc.errors.push_back(ConfigError{file, lineNo, haveSection ? section : std::string(),
                                     std::move(key), std::move(message)});
  };

  while (!text.empty() || lineNo == 0) {
    ++lineNo;
    auto nl = text.find('\n');
    std::string_view raw = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);

    auto line = trim(raw);
    if (line.empty() || line.front() == '#' || line.front() == ';')
      continue;
    line = trim(stripInlineComment(line));

    if (line.front() == '[') {
      auto close = line.find(']');
      std::string why;
      std::optional<std::string> name;
      if (close == std::string_view::npos)
        why = "unterminated section header (missing ']')";
      else if (!trim(line.substr(close + 1)).empty())
        why = "unexpected text after the section header";
      else
        name = normaliseSectionName(line.substr(1, close - 1), &why);
      if (!name) {
        haveSection = false; // the message must not name the previous section
        error("", why);
        skipping = true;
        continue;
      }
      section = *name;
      haveSection = true;
      skipping = false;
      doc.sections.push_back(IniSection{file, lineNo, section});
      continue;
    }

    auto eq = line.find('=');
    if (eq == std::string_view::npos) {
      error("", "expected 'key = value', '[section]' or a comment");
      continue;
    }
    auto key = trim(line.substr(0, eq));
    auto value = trim(line.substr(eq + 1));
    if (key.empty()) {
      error("", "missing key before '='");
      continue;
    }
    bool keyHasSpace = false;
    for (char c : key)
      keyHasSpace = keyHasSpace || isSpace(c);
    if (keyHasSpace) {
      error(toLower(key), "a key cannot contain whitespace");
      continue;
    }
    if (skipping)
      continue;
    if (!haveSection) {
      error(toLower(key), "key before any [section]");
      continue;
    }
    doc.entries.push_back(ConfigEntry{file, lineNo, section, toLower(key), std::string(value)});
  }
  return doc;
}

IniDocument parseIniFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    IniDocument doc;
    int err = errno;
    doc.errors.push_back(
        ConfigError{path.string(), 0, "", "", std::string("cannot read: ") + std::strerror(err)});
    return doc;
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) {
    IniDocument doc;
    doc.errors.push_back(ConfigError{path.string(), 0, "", "", "read error"});
    return doc;
  }
  return parseIni(buffer.str(), path.string());
}

} // namespace exaproxy
