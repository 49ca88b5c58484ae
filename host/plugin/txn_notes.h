// Transaction notes (ABI 1.5): key=value strings plugins attach to a transaction, read by later
// plugins, and written in the access log when set with EXAPROXY_NOTE_LOG. The rules of the ABI
// (abi.h, note_set) live here once: the host API, the verdicts that carry notes and the access
// log use them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace exaproxy::plugin {

struct Note {
  std::string key;
  std::string value;
  uint32_t flags = 0; // EXAPROXY_NOTE_*
};
using Notes = std::vector<Note>;

// 1 to EXAPROXY_NOTE_KEY_MAX bytes of [A-Za-z0-9_.-].
bool validNoteKey(std::string_view key);
// At most EXAPROXY_NOTE_VALUE_MAX bytes, no control byte (< 0x20, 0x7f).
bool validNoteValue(std::string_view value);

// Sets `key` (its value and flags replaced in place when present, else appended). False, and
// nothing changed, when the key or value breaks the rules or EXAPROXY_NOTES_MAX notes exist.
// Unknown flag bits are dropped.
bool setNote(Notes& notes, std::string_view key, std::string_view value, uint32_t flags);
const Note* findNote(const Notes& notes, std::string_view key);

// The notes set with EXAPROXY_NOTE_LOG, as "key=value" separated by single spaces, appended to
// `out` after a space when `out` is not empty (the access log escapes what needs it).
void appendLoggedNotes(std::string& out, const Notes& notes);

} // namespace exaproxy::plugin
