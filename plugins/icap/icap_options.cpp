#include "icap_options.h"

#include <exaproxy/text.hpp>

#include <algorithm>
#include <array>
#include <limits>

namespace exaproxy::icap {
namespace {

Result<ServiceOptions> fail(std::string_view why) {
  return Result<ServiceOptions>::failure(sdk::concat("OPTIONS: ", why));
}

// The content of a quoted-string (RFC 9110 §5.6.4), quoted-pairs undone; nullopt when `v` is not
// exactly one quoted-string.
std::optional<std::string> unquote(std::string_view v) {
  if (v.size() < 2 || v.front() != '"' || v.back() != '"')
    return std::nullopt;
  std::string out;
  for (size_t i = 1; i + 1 < v.size(); ++i) {
    char c = v[i];
    if (c == '"')
      return std::nullopt;
    if (c == '\\') {
      if (i + 2 >= v.size()) // the escape would take the closing quote
        return std::nullopt;
      c = v[++i];
    }
    out += c;
  }
  return out;
}

std::optional<std::vector<std::string>> extensionList(std::string_view v) {
  std::vector<std::string> out;
  for (std::string_view item : sdk::splitList(v)) {
    if (item != "*" && !isToken(item))
      return std::nullopt;
    out.push_back(sdk::lower(item));
  }
  return out;
}

bool contains(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

// Fields read here: each may appear at most once.
constexpr std::array<std::string_view, 10> kKnownFields{"Methods",           "ISTag",
                                                        "Service",           "Preview",
                                                        "Transfer-Preview",  "Transfer-Ignore",
                                                        "Transfer-Complete", "Max-Connections",
                                                        "Options-TTL",       "Allow"};

// Transfer-* checks: an extension (or "*") in two lists is a contradiction.
std::string transferConflict(const ServiceOptions& o) {
  const std::vector<std::string>* lists[] = {&o.transferPreview, &o.transferIgnore,
                                             &o.transferComplete};
  for (size_t a = 0; a < 3; ++a)
    for (const std::string& ext : *lists[a])
      for (size_t b = a + 1; b < 3; ++b)
        if (contains(*lists[b], ext))
          return sdk::concat("'", shown(ext), "' is in two Transfer-* lists");
  return {};
}

// Methods, ISTag: the two required fields.
std::string readRequired(const ResponseHead& head, ServiceOptions& o) {
  const std::string* methods = head.field("Methods");
  if (methods == nullptr)
    return "no Methods field";
  for (std::string_view m : sdk::splitList(*methods)) {
    o.reqmod = o.reqmod || m == "REQMOD";
    o.respmod = o.respmod || m == "RESPMOD";
  }
  if (!o.reqmod && !o.respmod)
    return sdk::concat("Methods '", shown(*methods), "' names neither REQMOD nor RESPMOD");
  const std::string* istag = head.field("ISTag");
  if (istag == nullptr)
    return "no ISTag field";
  std::optional<std::string> tag = unquote(*istag);
  if (!tag)
    return "ISTag is not a quoted string";
  if (tag->empty() || tag->size() > kMaxIsTagLength)
    return sdk::concat("ISTag must hold 1 to ", std::to_string(kMaxIsTagLength), " bytes");
  o.istag = std::move(*tag);
  return {};
}

// The optional fields; empty on success.
std::string readOptional(const ResponseHead& head, ServiceOptions& o) {
  if (const std::string* v = head.field("Service"))
    o.service = *v;
  if (const std::string* v = head.field("Preview")) {
    auto n = parseDecimal(*v, kMaxPreviewBytes);
    if (!n)
      return sdk::concat("Preview '", shown(*v), "' is not a number up to ",
                         std::to_string(kMaxPreviewBytes));
    o.preview = static_cast<size_t>(*n);
  }
  constexpr uint64_t kMax32 = std::numeric_limits<uint32_t>::max();
  if (const std::string* v = head.field("Max-Connections")) {
    auto n = parseDecimal(*v, kMax32);
    if (!n || *n == 0)
      return sdk::concat("Max-Connections '", shown(*v), "' is not a positive 32-bit number");
    o.maxConnections = static_cast<uint32_t>(*n);
  }
  if (const std::string* v = head.field("Options-TTL")) {
    auto n = parseDecimal(*v, kMax32);
    if (!n)
      return sdk::concat("Options-TTL '", shown(*v), "' is not a 32-bit number of seconds");
    o.optionsTtl = static_cast<uint32_t>(*n);
  }
  if (const std::string* v = head.field("Allow"))
    for (std::string_view item : sdk::splitList(*v))
      o.allow204 = o.allow204 || item == "204";
  std::pair<std::string_view, std::vector<std::string>*> lists[] = {
      {"Transfer-Preview", &o.transferPreview},
      {"Transfer-Ignore", &o.transferIgnore},
      {"Transfer-Complete", &o.transferComplete}};
  for (auto& [name, list] : lists) {
    if (const std::string* v = head.field(name)) {
      auto items = extensionList(*v);
      if (!items)
        return sdk::concat(name, " '", shown(*v), "' is not a list of file extensions or *");
      *list = std::move(*items);
    }
  }
  return transferConflict(o);
}

} // namespace

Transfer ServiceOptions::transferFor(std::string_view extension) const {
  std::string ext = sdk::lower(extension);
  for (std::string_view key : {std::string_view(ext), std::string_view("*")}) {
    if (contains(transferPreview, key))
      return Transfer::Preview;
    if (contains(transferIgnore, key))
      return Transfer::Ignore;
    if (contains(transferComplete, key))
      return Transfer::Complete;
  }
  return Transfer::Complete;
}

Result<ServiceOptions> interpretOptions(const ResponseHead& head) {
  if (head.status != 200)
    return fail(sdk::concat("answered with status ", std::to_string(head.status)));
  for (std::string_view name : kKnownFields)
    if (head.count(name) > 1)
      return fail(sdk::concat(name, " given more than once"));
  ServiceOptions o;
  if (std::string why = readRequired(head, o); !why.empty())
    return fail(why);
  if (std::string why = readOptional(head, o); !why.empty())
    return fail(why);
  return o;
}

} // namespace exaproxy::icap
