// The head of an ICAP message (RFC 3507 §4.3): a response's "ICAP/1.0 <code> <reason>" or a
// request's "<method> <icap-uri> ICAP/1.0" (the host's ICAP server reads those), header fields,
// an empty line; then, cut out by the Encapsulated offsets, the raw encapsulated HTTP heads. The
// HTTP heads themselves are not parsed here: the caller hands them to an HTTP parser.
#pragma once

#include "encapsulated.h"
#include "icap_common.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace exaproxy::icap {

// The value of the first field named `name` (any case) in `fields`, or nullptr; how many there are.
const std::string* findField(const std::vector<HeaderField>& fields, std::string_view name);
size_t countFields(const std::vector<HeaderField>& fields, std::string_view name);

struct ResponseHead {
  int status = 0;                           // 100..599
  std::string reason;                       // may be empty
  std::vector<HeaderField> fields;          // in arrival order, names as sent
  std::optional<Encapsulated> encapsulated; // nullopt: no Encapsulated field, hence no body
                                            // (100 Continue, 204 and errors usually send none)

  // The value of the first field named `name` (any case), or nullptr.
  const std::string* field(std::string_view name) const { return findField(fields, name); }
  // How many fields are named `name` (any case).
  size_t count(std::string_view name) const { return countFields(fields, name); }
};

// The head of an ICAP request: REQMOD, RESPMOD or OPTIONS (any token is read; the server decides).
struct RequestHead {
  std::string method; // a token, as sent
  std::string uri;    // the ICAP URI as sent (no spaces or controls)
  std::vector<HeaderField> fields;
  std::optional<Encapsulated> encapsulated;

  const std::string* field(std::string_view name) const { return findField(fields, name); }
  size_t count(std::string_view name) const { return countFields(fields, name); }
};

struct HeadLimits {
  size_t maxHeadBytes = 64 * 1024; // status line, fields and the empty line, CR LF included
  size_t maxFields = 100;
};

// Reads one ICAP head: Head is ResponseHead (the client's parser) or RequestHead (the server's).
// Owned by one message, used from its thread only; a new parser for each message.
// How the caller uses it:
//   Progress p = parser.feed(bytes);  bytes.remove_prefix(p.consumed);
//   NeedMore: feed the next read; Done: head() is complete and `bytes` starts with the
//   encapsulated part (cut the HTTP heads with cutHeads once bodyOffset() bytes are there);
//   Error: error() says why; the connection cannot be reused.
// Strict: CR LF line ends (a bare LF or a lone CR is refused), no folded lines, header names are
// tokens with the colon right after them, no control characters in values, the head bounded by
// HeadLimits, at most one Encapsulated field and a valid one (see parseEncapsulated).
template <typename Head> class HeadParser {
public:
  explicit HeadParser(HeadLimits limits = {}) : limits_(limits) {}

  // Consumes bytes up to and including the empty line that ends the head, never beyond it; on
  // Error, up to and including the byte where the head was found wrong. After Done or Error,
  // consumes nothing and returns the same status.
  Progress feed(std::string_view in);

  ParseStatus status() const { return status_; }
  const Head& head() const { return head_; }
  const std::string& error() const { return error_; }

private:
  void fail(std::string why);
  // One complete line, its CR LF removed.
  void line(std::string_view text);
  void fieldLine(std::string_view text);
  void finish();

  HeadLimits limits_;
  ParseStatus status_ = ParseStatus::NeedMore;
  Head head_;
  std::string line_;     // the current line so far (no LF)
  size_t headBytes_ = 0; // bytes of the head in completed lines, LF included
  bool sawStartLine_ = false;
  std::string error_;
};

using ResponseHeadParser = HeadParser<ResponseHead>;
using RequestHeadParser = HeadParser<RequestHead>;
extern template class HeadParser<ResponseHead>;
extern template class HeadParser<RequestHead>;

// The encapsulated HTTP heads, as raw byte ranges into the bytes given to cutHeads.
struct EncapsulatedHeads {
  std::string_view reqHdr; // empty when there is no req-hdr entry
  std::string_view resHdr; // empty when there is no res-hdr entry
};

// Cuts the heads out of `after`, the bytes that follow the ICAP head; `after` must hold at least
// e.bodyOffset() bytes (the chunked body, if any, starts there). Each head runs from its offset
// to the next entry's and must end with its empty line (CR LF CR LF) and hold no earlier one: a
// check that the offsets fit the bytes, not an HTTP parse.
Result<EncapsulatedHeads> cutHeads(const Encapsulated& e, std::string_view after);

} // namespace exaproxy::icap
