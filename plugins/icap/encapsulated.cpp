#include "encapsulated.h"

#include <exaproxy/text.hpp>

#include <array>

namespace exaproxy::icap {
namespace {

// The six entries, in the canonical order a valid header names them (the headers, then the body).
enum class Entry { ReqHdr, ResHdr, ReqBody, ResBody, NullBody, OptBody };

struct EntryInfo {
  Entry entry;
  std::string_view name;
  bool isBody;
};

constexpr std::array<EntryInfo, 6> kEntries{{
    {Entry::ReqHdr, "req-hdr", false},
    {Entry::ResHdr, "res-hdr", false},
    {Entry::ReqBody, "req-body", true},
    {Entry::ResBody, "res-body", true},
    {Entry::NullBody, "null-body", true},
    {Entry::OptBody, "opt-body", true},
}};

const EntryInfo* findEntry(std::string_view name) {
  for (const EntryInfo& info : kEntries)
    if (sdk::equalsIgnoreCase(info.name, name))
      return &info;
  return nullptr;
}

// The field of `e` (const or not) that holds `entry`.
template <typename E> auto& slot(E& e, Entry entry) {
  switch (entry) {
  case Entry::ReqHdr:
    return e.reqHdr;
  case Entry::ResHdr:
    return e.resHdr;
  case Entry::ReqBody:
    return e.reqBody;
  case Entry::ResBody:
    return e.resBody;
  case Entry::NullBody:
    return e.nullBody;
  case Entry::OptBody:
    break;
  }
  return e.optBody;
}

Result<Encapsulated> fail(std::string_view why) {
  return Result<Encapsulated>::failure(sdk::concat("Encapsulated: ", why));
}

} // namespace

BodyKind Encapsulated::bodyKind() const {
  if (reqBody)
    return BodyKind::ReqBody;
  if (resBody)
    return BodyKind::ResBody;
  if (optBody)
    return BodyKind::OptBody;
  return BodyKind::NullBody;
}

size_t Encapsulated::bodyOffset() const {
  for (const auto* o : {&reqBody, &resBody, &optBody, &nullBody})
    if (*o)
      return **o;
  return 0;
}

std::string_view bodyKindName(BodyKind kind) {
  switch (kind) {
  case BodyKind::ReqBody:
    return "req-body";
  case BodyKind::ResBody:
    return "res-body";
  case BodyKind::OptBody:
    return "opt-body";
  case BodyKind::NullBody:
    break;
  }
  return "null-body";
}

namespace {

// The entries read so far and the order rules they impose on the next one.
struct EntryReader {
  Encapsulated out;
  const EntryInfo* body = nullptr; // the body entry, once seen (it must be the last)
  std::optional<size_t> previous;  // the offset of the entry before

  // Adds one trimmed, non-empty "name=offset" entry; the reason it is refused otherwise.
  std::optional<std::string> add(std::string_view item) {
    size_t eq = item.find('=');
    if (eq == std::string_view::npos)
      return sdk::concat("entry '", shown(item), "' is not name=offset");
    std::string_view name = item.substr(0, eq);
    const EntryInfo* info = findEntry(name);
    if (info == nullptr)
      return sdk::concat("unknown entry name '", shown(name), "'");
    if (body != nullptr)
      return info->isBody ? sdk::concat("two body entries (", body->name, ", ", info->name, ")")
                          : sdk::concat(info->name, " after the body entry ", body->name,
                                        " (the body entry must be last)");
    std::optional<size_t>& target = slot(out, info->entry);
    if (target)
      return sdk::concat(info->name, " given twice");
    if (info->entry == Entry::ReqHdr && out.resHdr)
      return std::string("req-hdr after res-hdr (req-hdr must come first)");
    std::string_view digits = item.substr(eq + 1);
    std::optional<uint64_t> offset = parseDecimal(digits, kMaxEncapsulatedOffset);
    if (!offset)
      return sdk::concat("offset of ", info->name, " '", shown(digits),
                         "' is not a decimal number up to ",
                         std::to_string(kMaxEncapsulatedOffset));
    if (!previous && *offset != 0)
      return sdk::concat("the first entry ", info->name, " starts at ", std::to_string(*offset),
                         ", not 0");
    if (previous && *offset <= *previous)
      return sdk::concat("offset of ", info->name, " (", std::to_string(*offset),
                         ") is not greater than the one before (", std::to_string(*previous), ")");
    target = static_cast<size_t>(*offset);
    previous = target;
    if (info->isBody)
      body = info;
    return std::nullopt;
  }
};

} // namespace

Result<Encapsulated> parseEncapsulated(std::string_view value) {
  if (sdk::trim(value).empty())
    return fail("empty value");
  EntryReader reader;
  std::string_view rest = value;
  for (bool more = true; more;) {
    size_t comma = rest.find(',');
    more = comma != std::string_view::npos;
    std::string_view item = sdk::trim(rest.substr(0, comma));
    rest = more ? rest.substr(comma + 1) : std::string_view();
    if (item.empty())
      return fail("empty entry");
    if (std::optional<std::string> why = reader.add(item))
      return fail(*why);
  }
  if (reader.body == nullptr)
    return fail("no body entry (req-body, res-body, null-body or opt-body must come last)");
  return reader.out;
}

std::string formatEncapsulated(const Encapsulated& e) {
  std::string out;
  auto add = [&out](std::string_view name, const std::optional<size_t>& offset) {
    if (!offset)
      return;
    if (!out.empty())
      out += ", ";
    out += name;
    out += '=';
    out += std::to_string(*offset);
  };
  for (const EntryInfo& info : kEntries)
    add(info.name, slot(e, info.entry));
  return out;
}

Encapsulated encapsulatedFor(std::optional<size_t> reqHdrLength, std::optional<size_t> resHdrLength,
                             BodyKind body) {
  Encapsulated e;
  size_t at = 0;
  if (reqHdrLength) {
    e.reqHdr = at;
    at += *reqHdrLength;
  }
  if (resHdrLength) {
    e.resHdr = at;
    at += *resHdrLength;
  }
  switch (body) {
  case BodyKind::ReqBody:
    e.reqBody = at;
    break;
  case BodyKind::ResBody:
    e.resBody = at;
    break;
  case BodyKind::OptBody:
    e.optBody = at;
    break;
  case BodyKind::NullBody:
    e.nullBody = at;
    break;
  }
  return e;
}

} // namespace exaproxy::icap
