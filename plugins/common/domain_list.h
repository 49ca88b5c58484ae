// DomainList: a set of domain names matched on label boundaries ("evil.com" matches evil.com
// and a.b.evil.com, never notevil.com), built for lists of millions of names.
//
// Layout: every name is stored once, back to back, in one arena, each behind a length byte; an
// open-addressing table of 8-byte slots (offset, length, 24 bits of the hash) points into it
// (load factor <= 1/2, linear probing): about 48 MB for 1,000,000 names. Hashes are
// computed from the LAST character to the first, so that while a lookup walks a host name from
// right to left, the hash of each suffix ("com", "evil.com", "a.evil.com") is already at hand:
// a lookup hashes the host once and costs one table probe per label.
//
// Built on one thread (add/loadFile, then build()); after build() it is immutable and every
// const member is safe from any number of threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace exaproxy::common {

class DomainList {
public:
  // Normalises and adds one name: lowercase; a leading "*." or "." and a trailing "." are
  // dropped (every entry matches its subdomains anyway). False, with why, if it is not a domain
  // name or an IP literal.
  bool add(std::string_view name, std::string* why = nullptr);

  // Adds the names of a file: one per line, '#' starts a comment, blank lines are skipped;
  // hosts-file lines ("0.0.0.0 ads.example.com ...") add the names after the address (names
  // without a dot, like localhost, are skipped there). False on the first bad line, with
  // error = "path:line: why" (or "path: why" when it cannot be read). Names added before the
  // error stay added: the caller throws the list away.
  bool loadFile(const std::string& path, std::string& error);

  // Builds the lookup table. Call once after the last add()/loadFile(), before contains().
  void build();

  // Whether host (lowercase, no trailing dot) or one of its parent domains is in the list. An IP
  // literal host is looked up as a whole only.
  bool contains(std::string_view host) const;

  // Number of distinct names (after build()).
  size_t size() const { return count_; }
  // Bytes held by the arena and the table (for the status page).
  size_t memoryBytes() const;

private:
  struct Slot {
    uint32_t offset = 0; // of the name's first character in arena_
    uint32_t meta = 0;   // hash tag << 8 | length; 0: empty slot (names are never empty)
  };

  bool addNormalised(std::string_view name, std::string* why);
  bool probe(uint64_t hash, std::string_view name) const;
  void insert(uint32_t offset, uint32_t length, uint64_t hash);

  std::string arena_;    // [length byte][name]...
  size_t builtUpTo_ = 0; // arena_ offset of the first name not yet in the table
  size_t pendingCount_ = 0;
  std::vector<Slot> slots_;
  uint64_t mask_ = 0;
  size_t count_ = 0;
};

} // namespace exaproxy::common
