#include "squid_reply.h"

#include <algorithm>

#include <exaproxy/text.hpp>

#include <cctype>

namespace exaproxy::common {

namespace {

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool isKeyChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
}

// The result word: exactly `word`, then a space or the end of the line.
bool startsWithWord(std::string_view line, std::string_view word) {
  return line.substr(0, word.size()) == word &&
         (line.size() == word.size() || isSpace(line[word.size()]));
}

// key=value pairs after the result word, until the first word that is not one (returned: where
// that word starts, or the end).
size_t parseNotes(std::string_view s, std::multimap<std::string, std::string>& notes,
                  std::string& problem) {
  size_t i = 0;
  while (true) {
    while (i < s.size() && isSpace(s[i]))
      ++i;
    size_t keyStart = i;
    while (i < s.size() && isKeyChar(s[i]))
      ++i;
    if (i == keyStart || i >= s.size() || s[i] != '=')
      return keyStart;
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
      if (!closed) {
        problem = "unterminated quote in note " + key; // the pair is dropped
        return s.size();
      }
    } else {
      size_t start = i;
      while (i < s.size() && !isSpace(s[i]))
        ++i;
      value = percentDecode(s.substr(start, i - start));
    }
    notes.emplace(std::move(key), std::move(value));
  }
}

} // namespace

const std::string* SquidReply::note(const std::string& key) const {
  auto it = notes.find(key);
  return it == notes.end() ? nullptr : &it->second;
}

SquidReply::Result squidResult(std::string_view line) {
  if (startsWithWord(line, "OK"))
    return SquidReply::Result::Ok;
  if (startsWithWord(line, "ERR"))
    return SquidReply::Result::Err;
  if (startsWithWord(line, "BH"))
    return SquidReply::Result::BrokenHelper;
  return SquidReply::Result::Unknown;
}

SquidReply parseSquidReply(std::string_view line) {
  SquidReply r;
  r.result = squidResult(line);
  if (r.result != SquidReply::Result::Unknown) {
    std::string_view rest = line.substr(r.result == SquidReply::Result::Err ? 3 : 2);
    rest = rest.substr(std::min(rest.size(), parseNotes(rest, r.notes, r.problem)));
    while (!rest.empty() && isSpace(rest.back()))
      rest.remove_suffix(1);
    r.text = std::string(rest.substr(0, 200));
    return r;
  }
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

std::string brokenReason(const SquidReply& reply) {
  const std::string* message = reply.note("message");
  if (!message && !reply.text.empty())
    message = &reply.text;
  return "helper said BH" + (message ? ": " + *message : std::string());
}

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

} // namespace exaproxy::common
