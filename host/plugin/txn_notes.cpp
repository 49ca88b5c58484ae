#include "plugin/txn_notes.h"

#include "exaproxy/abi.h"

#include <algorithm>

namespace exaproxy::plugin {

namespace {

bool keyByte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

} // namespace

bool validNoteKey(std::string_view key) {
  return !key.empty() && key.size() <= EXAPROXY_NOTE_KEY_MAX &&
         std::all_of(key.begin(), key.end(), keyByte);
}

bool validNoteValue(std::string_view value) {
  if (value.size() > EXAPROXY_NOTE_VALUE_MAX)
    return false;
  return std::none_of(value.begin(), value.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

const Note* findNote(const Notes& notes, std::string_view key) {
  for (const auto& n : notes)
    if (n.key == key)
      return &n;
  return nullptr;
}

bool setNote(Notes& notes, std::string_view key, std::string_view value, uint32_t flags) {
  if (!validNoteKey(key) || !validNoteValue(value))
    return false;
  flags &= EXAPROXY_NOTE_LOG;
  for (auto& n : notes) {
    if (n.key == key) {
      n.value.assign(value);
      n.flags = flags;
      return true;
    }
  }
  if (notes.size() >= EXAPROXY_NOTES_MAX)
    return false;
  notes.push_back(Note{std::string(key), std::string(value), flags});
  return true;
}

void appendLoggedNotes(std::string& out, const Notes& notes) {
  for (const auto& n : notes) {
    if (!(n.flags & EXAPROXY_NOTE_LOG))
      continue;
    if (!out.empty())
      out += ' ';
    out += n.key;
    out += '=';
    out += n.value;
  }
}

} // namespace exaproxy::plugin
