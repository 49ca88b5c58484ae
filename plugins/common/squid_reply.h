// The answer grammar every Squid helper shares (url_rewrite, store_id, basic/digest auth,
// external ACL; Squid >= 3.4): a result word (OK, ERR, BH) and key=value notes, values quoted
// ("…", \ escapes) or bare (%-decoded). Anything else is the legacy format of the helper's kind
// (Unknown here). Also the %-encoding of the fields of a request line.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace exaproxy::common {

// A parsed answer line (channel ID already removed).
struct SquidReply {
  enum class Result { Ok, Err, BrokenHelper, Unknown };
  Result result = Result::Unknown;
  std::multimap<std::string, std::string> notes; // key=value pairs, until the first non-pair
  std::string legacy;                            // Unknown: the first word of the line
  std::string problem; // a note the helper broke (an unterminated quote); empty when none
  // OK/ERR/BH: the free text after the notes (older helpers write "BH <why>"), cut at 200 bytes.
  std::string text;

  // The first value of note `key`, or nullptr.
  const std::string* note(const std::string& key) const;
};

// The result word of an answer line alone (cheap: the notes are not read).
SquidReply::Result squidResult(std::string_view line);

// Parses an answer line. Never fails: a line that is not OK/ERR/BH is Unknown, as in Squid's
// Helper::Reply.
SquidReply parseSquidReply(std::string_view line);

// "helper said BH[: <message note, else the free text>]": why a BH answer came (for logs and
// on_error reasons).
std::string brokenReason(const SquidReply& reply);

// rfc1738-style %-decoding of an unquoted value; invalid escapes are kept as they are.
std::string percentDecode(std::string_view s);
// %-encodes bytes that would break a request line (space, controls, %, non-ASCII).
std::string percentEncodeField(std::string_view s);

} // namespace exaproxy::common
