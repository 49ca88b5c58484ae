#include "domain_list.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <sys/stat.h>
#include <unistd.h>

namespace exaproxy::common {

namespace {

constexpr uint64_t kFnvBasis = 1469598103934665603ULL;
constexpr uint64_t kFnvPrime = 1099511628211ULL;

// FNV-1a steps one byte; fmix64 (MurmurHash3's finaliser) spreads the result over the table bits.
inline uint64_t step(uint64_t h, unsigned char c) { return (h ^ c) * kFnvPrime; }
inline uint64_t finish(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

// Right-to-left hash of a whole name (the same walk contains() does).
uint64_t hashName(std::string_view s) {
  uint64_t h = kFnvBasis;
  for (size_t i = s.size(); i-- > 0;)
    h = step(h, static_cast<unsigned char>(s[i]));
  return finish(h);
}

inline bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

bool isIpLiteral(std::string_view s) {
  if (s.empty() || s.size() > 45)
    return false;
  char buf[64];
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  unsigned char addr[16];
  return inet_pton(AF_INET, buf, addr) == 1 || inet_pton(AF_INET6, buf, addr) == 1;
}

// Whether a lowercase name looks like an IPv4 or IPv6 literal (then only the whole is looked up:
// "2.3.4" is no parent domain of "1.2.3.4"). TLDs are never all-numeric, so a final digit is
// enough.
inline bool looksLikeIp(std::string_view s) {
  return s.find(':') != std::string_view::npos || (s.back() >= '0' && s.back() <= '9');
}

} // namespace

bool DomainList::add(std::string_view name, std::string* why) {
  while (!name.empty() && isSpace(name.front()))
    name.remove_prefix(1);
  while (!name.empty() && isSpace(name.back()))
    name.remove_suffix(1);
  return addNormalised(name, why);
}

bool DomainList::addNormalised(std::string_view name, std::string* why) {
  auto fail = [&](const char* message) {
    if (why)
      why->assign(message).append(": '").append(name).append("'");
    return false;
  };
  std::string_view n = name;
  if (n.size() >= 2 && n[0] == '*' && n[1] == '.')
    n.remove_prefix(2);
  else if (!n.empty() && n[0] == '.')
    n.remove_prefix(1);
  if (!n.empty() && n.back() == '.')
    n.remove_suffix(1);
  if (n.empty())
    return fail("empty name");
  if (n.size() > 253)
    return fail("name longer than 253 characters");
  if (arena_.size() + n.size() + 1 > UINT32_MAX)
    return fail("list too large");

  // Copy behind a length byte, then lowercase and check in place; undo on a bad character.
  size_t start = arena_.size();
  arena_.push_back(static_cast<char>(n.size()));
  arena_.append(n);
  char* out = arena_.data() + start + 1;
  auto undo = [&](const char* message) {
    arena_.resize(start);
    return fail(message);
  };
  size_t label = 0;
  bool colon = false;
  for (size_t i = 0; i < n.size(); ++i) {
    char c = out[i];
    if (c >= 'A' && c <= 'Z')
      out[i] = c = static_cast<char>(c - 'A' + 'a');
    if (c == '.') {
      if (label == 0)
        return undo("empty label in name");
      label = 0;
      continue;
    }
    colon = colon || c == ':';
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == ':';
    if (!ok)
      return undo("invalid character in name");
    if (++label > 63 && !colon)
      return undo("label longer than 63 characters");
  }
  if (label == 0) // "a.." : only one trailing dot is dropped, the name would never match
    return undo("empty label in name");
  if (colon && !isIpLiteral(std::string_view(out, n.size())))
    return undo("not a domain name or an IP address");
  ++pendingCount_;
  return true;
}

bool DomainList::loadFile(const std::string& path, std::string& error) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd == -1) {
    error = path + ": cannot open: " + std::strerror(errno);
    return false;
  }
  // Read straight into one uninitialised buffer sized from fstat (grown if the file grows).
  struct stat st {};
  size_t capacity = ::fstat(fd, &st) == 0 && st.st_size > 0 ? static_cast<size_t>(st.st_size) + 1
                                                            : size_t(1) << 16;
  auto buffer = std::make_unique_for_overwrite<char[]>(capacity);
  size_t used = 0;
  while (true) {
    if (used == capacity) {
      auto bigger = std::make_unique_for_overwrite<char[]>(capacity * 2);
      std::memcpy(bigger.get(), buffer.get(), used);
      buffer = std::move(bigger);
      capacity *= 2;
    }
    ssize_t n = ::read(fd, buffer.get() + used, capacity - used);
    if (n == 0)
      break;
    if (n == -1) {
      if (errno == EINTR)
        continue;
      error = path + ": cannot read: " + std::strerror(errno);
      ::close(fd);
      return false;
    }
    used += static_cast<size_t>(n);
  }
  ::close(fd);
  std::string_view text(buffer.get(), used);
  // A name costs its length plus one byte in the arena: the file size is a close upper bound.
  arena_.reserve(arena_.size() + text.size());

  std::string_view rest(text);
  size_t lineNo = 0;
  std::string why;
  while (!rest.empty()) {
    ++lineNo;
    size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    if (auto hash = line.find('#'); hash != std::string_view::npos)
      line = line.substr(0, hash);

    // Split into at most a few fields without allocating.
    std::string_view fields[2];
    size_t count = 0;
    size_t pos = 0;
    std::string_view extra; // everything after the first field
    while (pos < line.size()) {
      while (pos < line.size() && isSpace(line[pos]))
        ++pos;
      if (pos == line.size())
        break;
      size_t start = pos;
      while (pos < line.size() && !isSpace(line[pos]))
        ++pos;
      if (count == 0) {
        fields[0] = line.substr(start, pos - start);
        extra = line.substr(pos);
      } else if (count == 1) {
        fields[1] = line.substr(start, pos - start);
      }
      ++count;
      if (count == 2)
        break;
    }
    if (count == 0)
      continue;
    if (count == 1) {
      if (!addNormalised(fields[0], &why)) {
        error = path + ":" + std::to_string(lineNo) + ": " + why;
        return false;
      }
      continue;
    }
    // A hosts-file line: an address, then one or more names.
    if (!isIpLiteral(fields[0])) {
      error = path + ":" + std::to_string(lineNo) +
              ": expected one name per line (or 'address name...' as in a hosts file)";
      return false;
    }
    pos = 0;
    while (pos < extra.size()) {
      while (pos < extra.size() && isSpace(extra[pos]))
        ++pos;
      size_t start = pos;
      while (pos < extra.size() && !isSpace(extra[pos]))
        ++pos;
      auto name = extra.substr(start, pos - start);
      if (name.empty() || name.find('.') == std::string_view::npos)
        continue; // localhost, broadcasthost, ip6-loopback...
      if (!addNormalised(name, &why)) {
        error = path + ":" + std::to_string(lineNo) + ": " + why;
        return false;
      }
    }
  }
  return true;
}

void DomainList::insert(uint32_t offset, uint32_t length, uint64_t hash) {
  uint32_t meta = static_cast<uint32_t>(hash >> 40) << 8 | length;
  size_t i = hash & mask_;
  while (slots_[i].meta != 0) {
    const Slot& s = slots_[i];
    if (s.meta == meta &&
        std::memcmp(arena_.data() + s.offset, arena_.data() + offset, length) == 0)
      return; // a duplicate
    i = (i + 1) & mask_;
  }
  slots_[i] = Slot{offset, meta};
  ++count_;
}

void DomainList::build() {
  size_t wanted = count_ + pendingCount_;
  size_t capacity = 16;
  while (capacity < wanted * 2)
    capacity <<= 1;
  if (capacity != slots_.size()) {
    // Grow: re-insert what the table holds (the hash comes back from the arena).
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(capacity, Slot{});
    mask_ = capacity - 1;
    count_ = 0;
    for (const auto& s : old)
      if (s.meta != 0)
        insert(s.offset, s.meta & 0xff,
               hashName(std::string_view(arena_.data() + s.offset, s.meta & 0xff)));
  }
  // The names added since the last build, in arena order (sequential reads).
  size_t pos = builtUpTo_;
  while (pos < arena_.size()) {
    auto length = static_cast<uint8_t>(arena_[pos]);
    auto offset = static_cast<uint32_t>(pos + 1);
    insert(offset, length, hashName(std::string_view(arena_.data() + offset, length)));
    pos = offset + length;
  }
  builtUpTo_ = arena_.size();
  pendingCount_ = 0;
}

bool DomainList::probe(uint64_t hash, std::string_view name) const {
  uint32_t meta = static_cast<uint32_t>(hash >> 40) << 8 | static_cast<uint32_t>(name.size());
  size_t i = hash & mask_;
  while (true) {
    const Slot& s = slots_[i];
    if (s.meta == 0)
      return false;
    if (s.meta == meta && std::memcmp(arena_.data() + s.offset, name.data(), name.size()) == 0)
      return true;
    i = (i + 1) & mask_;
  }
}

bool DomainList::contains(std::string_view host) const {
  if (!host.empty() && host.back() == '.')
    host.remove_suffix(1);
  if (host.empty() || host.size() > 253 || count_ == 0)
    return false;
  if (looksLikeIp(host))
    return probe(hashName(host), host);
  // One pass from the right: at each label start the hash of that suffix is complete.
  uint64_t h = kFnvBasis;
  for (size_t i = host.size(); i-- > 0;) {
    h = step(h, static_cast<unsigned char>(host[i]));
    if ((i == 0 || host[i - 1] == '.') && probe(finish(h), host.substr(i)))
      return true;
  }
  return false;
}

size_t DomainList::memoryBytes() const {
  return arena_.capacity() + slots_.capacity() * sizeof(Slot);
}

} // namespace exaproxy::common
