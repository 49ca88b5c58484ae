// Differential libFuzzer target: the same request head parsed by our RequestParser and by llhttp
// (Node.js's parser, C sources from Debian's node-llhttp package), built only when those sources
// are installed. Run: llhttp_diff_fuzz -dict=tests/fuzz/dict/request_parser.dict
//        tests/fuzz/corpus/request_parser
//
// Failures:
//   - both accept the head but see a different method, target, version, head length or body
//     framing (chunked, or a Content-Length and its value);
//   - we accept a head llhttp rejects, or llhttp completes a head we are still waiting for;
//   - we reject a head llhttp accepts for a reason that is not on kDeliberatelyStricter below.
// Outside the comparison: methods llhttp does not know (its method list is closed; RFC 9110 §9.1
// methods are extensible and ours accepts any token), and the request line's limits (we refuse a
// too-long target or head: 414/431, llhttp has no limit).
// EXAPROXY_DIFF_SURVEY=1 prints each kind of disagreement once instead of aborting.
#include <llhttp.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "fuzz_util.h"
#include "http/request_parser.h"

using namespace exaproxy::http;

namespace {

// Our deliberate strictness (the request-smuggling rules and the proxy's own requirements): a
// rejection for one of these reasons is expected where llhttp accepts. Matched against the start
// of our parser's error reason.
struct Deliberate {
  std::string_view reason;
  std::string_view why;
  // Only when the request line has this too (empty: always).
  std::string_view requestLineHas = {};
};
constexpr Deliberate kDeliberatelyStricter[] = {
    {"HTTP/1.1 request without Host", "Host is mandatory (RFC 9112 §3.2); llhttp does not check"},
    {"more than one Host header field", "RFC 9112 §3.2: a server must reject it"},
    {"invalid Host header field", "the Host value must be a valid authority"},
    {"more than one Content-Length field", "smuggling: even with equal values"},
    {"more than one Transfer-Encoding field", "smuggling: one field only"},
    {"both Transfer-Encoding and Content-Length", "smuggling: RFC 9112 §6.1 allows rejecting it"},
    {"Transfer-Encoding in an HTTP/1.0 request", "smuggling: RFC 9112 §6.1"},
    {"bare LF", "smuggling: CRLF only (RFC 9112 §2.2 allows rejecting bare LF)"},
    {"bare CR", "smuggling: RFC 9112 §2.2"},
    {"whitespace before the first header field", "RFC 9112 §2.2: reject"},
    {"obsolete line folding", "smuggling: obs-fold refused (RFC 9112 §5.2)"},
    {"empty request target or repeated space", "one SP between the parts (RFC 9112 §3)"},
    {"empty header field name", "field-name is a token: one character at least"},
    {"request line without HTTP version", "HTTP/0.9 is not supported; llhttp accepts it"},
    {"malformed HTTP version", "one SP before the version; llhttp skips several", "  "},
    {"fragment in the request target", "a fragment is never sent (RFC 9112 §3.2)"},
    {"userinfo in the", "credentials in a URL are refused (RFC 9110 §4.2.4)"},
    {"asterisk-form target is only allowed with OPTIONS", "RFC 9112 §3.2.4"},
    {"CONNECT requires an authority-form target", "RFC 9112 §3.2.3"},
    {"invalid CONNECT target", "CONNECT needs host:port"},
    {"CONNECT request with", "a CONNECT request has no content"},
    {"unsupported URI scheme", "a forward proxy for http:// only"},
    {"invalid host in the request URI", "the host must be a name or an IP literal"},
    {"ambiguous IPv4 address", "octal/hex/short IPv4 forms refused"},
    {"invalid request target",
     "the target must be origin-, absolute-, authority- or asterisk-form"},
    {"invalid character in the request target", "stricter target characters than llhttp"},
    {"unsupported expectation", "only 100-continue (RFC 9110 §10.1.1: 417)"},
    {"unsupported HTTP version", "HTTP/1.0 and 1.1 only"},
    {"invalid Content-Length", "a list of values, even equal ones, is refused"},
    {"unknown transfer-coding", "only known codings are relayed"},
    {"unsupported transfer-coding", "only known codings are relayed"},
    {"empty or invalid transfer-coding", "smuggling"},
    {"chunked transfer-coding with parameters", "smuggling"},
    {"malformed chunked transfer-coding", "smuggling probes such as 'chunkedX' or 'xchunked'"},
    {"chunked transfer-coding applied more than once", "smuggling: RFC 9112 §6.1"},
    {"final transfer-coding is not chunked", "smuggling: a request body must be chunked last"},
    {"invalid character in a header field value", "stricter field-value characters than llhttp"},
    {"invalid character in a header field name", "stricter field-name characters than llhttp"},
};

bool survey() {
  static const bool on = std::getenv("EXAPROXY_DIFF_SURVEY") != nullptr;
  return on;
}

void disagree(const std::string& kind, const std::string& detail) {
  if (survey()) {
    static std::set<std::string> seen;
    if (seen.insert(kind).second) {
      std::fprintf(stderr, "DIFF %s: %s\n", kind.c_str(), detail.c_str());
    }
    return;
  }
  std::fprintf(stderr, "disagreement with llhttp: %s: %s\n", kind.c_str(), detail.c_str());
  std::abort();
}

bool llhttpKnowsMethod(std::string_view method) {
  static const std::set<std::string_view> known = {
#define EXAPROXY_METHOD(num, name, string) #string,
      HTTP_METHOD_MAP(EXAPROXY_METHOD)
#undef EXAPROXY_METHOD
  };
  return known.count(method) != 0;
}

struct LlhttpHead {
  enum { NeedMore, Complete, Error } state = NeedMore;
  std::string url;
  std::string reason;
  size_t consumed = 0;
  int major = 0, minor = 0;
  std::string method;
  bool chunked = false;
  bool hasLength = false;
  uint64_t length = 0;
};

int onUrl(llhttp_t* p, const char* at, size_t n) {
  static_cast<LlhttpHead*>(p->data)->url.append(at, n);
  return 0;
}

int onHeadersComplete(llhttp_t* p) {
  auto* h = static_cast<LlhttpHead*>(p->data);
  h->major = p->http_major;
  h->minor = p->http_minor;
  h->method = llhttp_method_name(static_cast<llhttp_method_t>(p->method));
  h->chunked = (p->flags & F_CHUNKED) != 0;
  h->hasLength = (p->flags & F_CONTENT_LENGTH) != 0;
  h->length = p->content_length;
  return HPE_PAUSED; // the head is all we compare
}

LlhttpHead parseWithLlhttp(std::string_view in) {
  llhttp_settings_t settings;
  llhttp_settings_init(&settings);
  settings.on_url = onUrl;
  settings.on_headers_complete = onHeadersComplete;
  llhttp_t parser;
  llhttp_init(&parser, HTTP_REQUEST, &settings);
  LlhttpHead head;
  parser.data = &head;
  llhttp_errno_t err = llhttp_execute(&parser, in.data(), in.size());
  if (err == HPE_PAUSED) {
    head.state = LlhttpHead::Complete;
    head.consumed = static_cast<size_t>(llhttp_get_error_pos(&parser) - in.data());
  } else if (err != HPE_OK) {
    head.state = LlhttpHead::Error;
    head.reason = llhttp_errno_name(err);
    head.reason += ' ';
    head.reason += llhttp_get_error_reason(&parser);
  }
  return head;
}

// The input for a message: control and non-ASCII bytes as \xNN, at most 300 bytes.
std::string printable(std::string_view in) {
  std::string out;
  for (char c : in.substr(0, 300)) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f || c == '\\') {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

const Deliberate* deliberate(std::string_view ourReason, std::string_view in) {
  std::string_view requestLine = in.substr(0, in.find('\n', in.find_first_not_of("\r\n")));
  for (const Deliberate& d : kDeliberatelyStricter) {
    if (ourReason.substr(0, d.reason.size()) == d.reason &&
        (d.requestLineHas.empty() ||
         requestLine.find(d.requestLineHas) != std::string_view::npos)) {
      return &d;
    }
  }
  return nullptr;
}

// Our body framing as llhttp reports it: chunked, or a length (none = 0).
std::string framingText(bool chunked, uint64_t length) {
  return chunked ? std::string("chunked") : "length " + std::to_string(length);
}

// Whether the request line (after leading empty lines) ends in " HTTP/1.N" with N >= 2.
bool laterHttp1Minor(std::string_view in) {
  size_t begin = in.find_first_not_of("\r\n");
  if (begin == std::string_view::npos) {
    return false;
  }
  std::string_view line = in.substr(begin, in.find_first_of("\r\n", begin) - begin);
  return line.size() >= 9 && line.substr(line.size() - 9, 8) == " HTTP/1." && line.back() >= '2' &&
         line.back() <= '9';
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  Limits limits;
  limits.maxHead = 1 << 20;
  limits.maxUri = 1 << 20;
  RequestParser ours(limits);
  RequestHead head;
  ParseState st = ours.parse(in, head);
  LlhttpHead theirs = parseWithLlhttp(in);

  // The method as both would read it: the first word of the request line.
  std::string_view firstWord = in.substr(in.find_first_not_of("\r\n") == std::string_view::npos
                                             ? in.size()
                                             : in.find_first_not_of("\r\n"));
  firstWord = firstWord.substr(0, firstWord.find(' '));
  if (!llhttpKnowsMethod(firstWord)) {
    return 0; // extension methods: ours accepts any token, llhttp a fixed list
  }
  const std::string input = printable(in);
  // Deliberately more lenient: a later HTTP/1 minor (HTTP/1.2 ... 1.9) is served as HTTP/1.1
  // (RFC 9110 §2.5); llhttp refuses it. Compared no further.
  if (st == ParseState::Complete && head.versionMinor == 1 && laterHttp1Minor(in)) {
    return 0;
  }

  if (st == ParseState::Complete && theirs.state == LlhttpHead::Complete) {
    if (head.method != theirs.method) {
      disagree("method", std::string(head.method) + " vs " + theirs.method + " in " + input);
    }
    if (head.target != theirs.url) {
      disagree("target", std::string(head.target) + " vs " + theirs.url + " in " + input);
    }
    if (head.versionMajor != theirs.major || head.versionMinor != theirs.minor) {
      disagree("version", input);
    }
    if (ours.consumed() != theirs.consumed) {
      disagree("head length", std::to_string(ours.consumed()) + " vs " +
                                  std::to_string(theirs.consumed) + " in " + input);
    }
    bool ourChunked = head.framing == Framing::Chunked;
    uint64_t ourLength = head.framing == Framing::ContentLength ? head.contentLength : 0;
    uint64_t theirLength = theirs.hasLength ? theirs.length : 0;
    if (ourChunked != theirs.chunked || (!ourChunked && ourLength != theirLength)) {
      disagree("body framing", framingText(ourChunked, ourLength) + " vs " +
                                   framingText(theirs.chunked, theirLength) + " in " + input);
    }
  } else if (st == ParseState::Complete && theirs.state == LlhttpHead::Error) {
    disagree("we accept, llhttp rejects (" + theirs.reason + ")", input);
  } else if (st == ParseState::NeedMore && theirs.state == LlhttpHead::Complete) {
    disagree("llhttp completes a head we wait for", input);
  } else if (st == ParseState::Error && theirs.state == LlhttpHead::Complete) {
    const std::string& reason = ours.error().reason;
    int status = ours.error().status;
    if (status != 414 && status != 431 && !deliberate(reason, in)) {
      disagree("we reject, llhttp accepts (" + reason + ")", input);
    }
  }
  return 0;
}
