// One ICAP answer read as its bytes arrive: its head (a 100 Continue first, when a preview asked
// for the rest), the encapsulated HTTP heads cut out by the Encapsulated offsets, and the chunked
// body decoded. No I/O: the whole-message exchange and the streaming one both feed it what they
// read, so an answer is parsed one way whichever path sent the request.
#pragma once

#include "icap_chunked.h"
#include "icap_common.h"
#include "icap_response.h"

#include <string>
#include <string_view>

namespace exaproxy::icap {

class AnswerReader {
public:
  enum class Stage {
    Head,     // reading an ICAP head
    Continue, // a 100 Continue came: the caller sends the rest, then calls afterContinue()
    Heads,    // reading the encapsulated HTTP heads (bodyOffset bytes)
    Body,     // decoding the chunked body
    Done,     // the answer is complete; bytes after it were not consumed
    Error,    // refused (error() says why); the connection cannot be reused
  };

  // Consumes what it can of `in` (never past the answer's end, nor past a 100 Continue's head),
  // appending the decoded body's bytes to `body`. Call again with the bytes left and more.
  Progress feed(std::string_view in, std::string& body);
  // After Continue: the next head is the final answer. A second 100 is an error.
  void afterContinue();

  Stage stage() const { return stage_; }
  // The final answer's head (status 100 only at Continue).
  const ResponseHead& head() const { return head_; }
  // The encapsulated heads as sent (empty when absent); set from Body on.
  const std::string& reqHdr() const { return reqHdr_; }
  const std::string& resHdr() const { return resHdr_; }
  // A req-body or res-body came (possibly empty), known from Body on.
  bool hasBody() const { return hasBody_; }
  // The heads are known (Body or Done): what the answer is can be decided before its body.
  bool headsKnown() const { return stage_ == Stage::Body || stage_ == Stage::Done; }
  // Bytes consumed so far: a connection that ended before any was closed by the service while
  // it was idle.
  size_t consumed() const { return consumed_; }
  const std::string& error() const { return error_; }

private:
  Progress fail(size_t used, std::string why);

  Stage stage_ = Stage::Head;
  ResponseHeadParser parser_;
  ResponseHead head_;
  std::string heads_; // the encapsulated heads' bytes so far
  std::string reqHdr_, resHdr_;
  bool hasBody_ = false;
  bool continued_ = false;
  ChunkedDecoder chunks_;
  size_t consumed_ = 0;
  std::string error_;
};

} // namespace exaproxy::icap
