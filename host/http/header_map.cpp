#include "http/header_map.h"

#include <functional>

namespace exaproxy::http {

namespace {

char lowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

} // namespace

void toLowerAscii(std::string& s) {
  for (char& c : s) {
    c = lowerAscii(c);
  }
}

HeaderMap::HeaderMap(const HeaderMap& other) {
  fields_.reserve(other.fields_.size());
  for (const HeaderField& f : other.fields_) {
    add(f.name, f.value);
  }
}

HeaderMap& HeaderMap::operator=(const HeaderMap& other) {
  if (this != &other) {
    HeaderMap copy(other);
    *this = std::move(copy);
  }
  return *this;
}

std::string& HeaderMap::room(size_t n) {
  if (arena_.empty() || arena_.front().capacity() - arena_.front().size() < n)
    arena_.emplace_front().reserve(n > kArenaChunk ? n : kArenaChunk);
  return arena_.front();
}

void HeaderMap::add(std::string_view name, std::string_view value) {
  // Name then value in one chunk, appended within its capacity: the chunk's bytes do not move.
  std::string& chunk = room(name.size() + value.size());
  size_t at = chunk.size();
  chunk.append(name).append(value);
  std::string_view both = std::string_view(chunk).substr(at);
  if (fields_.capacity() == 0)
    fields_.reserve(kInitialFields);
  fields_.push_back(HeaderField{both.substr(0, name.size()), both.substr(name.size())});
}

void HeaderMap::addView(std::string_view name, std::string_view value) {
  if (fields_.capacity() == 0)
    fields_.reserve(kInitialFields); // one allocation for a typical head, not five
  fields_.push_back(HeaderField{name, value});
}

std::optional<std::string_view> HeaderMap::get(std::string_view name) const {
  for (const HeaderField& f : fields_) {
    if (iequals(f.name, name)) {
      return f.value;
    }
  }
  return std::nullopt;
}

size_t HeaderMap::count(std::string_view name) const {
  size_t n = 0;
  for (const HeaderField& f : fields_) {
    if (iequals(f.name, name)) {
      ++n;
    }
  }
  return n;
}

void HeaderMap::remove(std::string_view name) {
  std::erase_if(fields_, [name](const HeaderField& f) { return iequals(f.name, name); });
}

void HeaderMap::set(std::string_view name, std::string_view value) {
  remove(name);
  add(name, value);
}

bool HeaderMap::hasToken(std::string_view name, std::string_view token) const {
  for (const HeaderField& f : fields_) {
    if (!iequals(f.name, name)) {
      continue;
    }
    bool found = false;
    forEachListElement(f.value, [&](std::string_view element) {
      found = iequals(element, token);
      return !found;
    });
    if (found) {
      return true;
    }
  }
  return false;
}

void HeaderMap::clear() {
  fields_.clear();
  if (arena_.empty())
    return;
  // Keep the newest chunk (emptied) for the next fields, unless a large value made it large; the
  // older ones go.
  arena_.erase_after(arena_.begin(), arena_.end());
  if (arena_.front().capacity() > kArenaKeep) {
    arena_.clear();
    return;
  }
  arena_.front().clear();
}

void HeaderMap::rebase(const char* oldBase, size_t length, const char* newBase) {
  if (oldBase == newBase) {
    return;
  }
  auto inside = [&](std::string_view v) {
    return v.data() != nullptr && std::less_equal<const char*>()(oldBase, v.data()) &&
           std::less_equal<const char*>()(v.data() + v.size(), oldBase + length);
  };
  auto moved = [&](std::string_view v) {
    return std::string_view(newBase + (v.data() - oldBase), v.size());
  };
  for (HeaderField& f : fields_) {
    if (inside(f.name)) {
      f.name = moved(f.name);
    }
    if (inside(f.value)) {
      f.value = moved(f.value);
    }
  }
}

} // namespace exaproxy::http
