// The conf.d INI dialect, read into (file, line, section, key, value) entries. No validation of
// section or key names beyond the syntax: that is config.cpp's (host sections) or the plugin's job.
//
// Syntax, line by line:
//   [kind]  or  [kind argument]   section header; the kind is lowercased, inner whitespace is
//                                 collapsed to one space, the argument keeps its case
//                                 ("[Listener   Main]" -> "listener Main")
//   key = value                   key lowercased; value trimmed; the value may be empty
//   # comment  /  ; comment       full-line comment
//   (blank)
// A '#' or ';' starts an inline comment only when preceded by whitespace, so that
// "url = http://a.test/#x" and "list = a;b" keep their value while "timeout = 30s  # why" does
// not. Quotes have no meaning: they are part of the value. A UTF-8 BOM and CRLF endings are
// accepted. There are no line continuations.
#pragma once

#include "core/config.h"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace exaproxy {

// Where a section header appeared, so that a section without keys (e.g. "[listener x]" missing
// its address) can still be reported at its line.
struct IniSection {
  std::string file;
  int line = 0;
  std::string name; // normalised, as in ConfigEntry::section
};

struct IniDocument {
  std::vector<ConfigEntry> entries;
  std::vector<IniSection> sections;
  std::vector<ConfigError> errors; // the reader carries on after a bad line
};

// Normalises a section name as written between the brackets. nullopt (with why) if it is empty,
// has more than one argument, or contains brackets.
std::optional<std::string> normaliseSectionName(std::string_view text, std::string* why = nullptr);

// Parses text; `file` is only used to label entries and errors.
IniDocument parseIni(std::string_view text, const std::string& file);

// Reads and parses a file; an unreadable file is reported as an error with line 0.
IniDocument parseIniFile(const std::filesystem::path& path);

} // namespace exaproxy
