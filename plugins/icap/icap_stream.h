// A body streamed through a service (a response or an upload longer than [icap] hold_max, or of
// unknown length): the ICAP request goes out with the body's first piece (or its preview), each
// later piece follows as the proxy receives it, and what the service sends back is read at the
// same time, so a service that echoes as it reads never stalls against full sockets, and the
// proxy holds a piece at a time, never the whole body. Used by one worker job at a time (the
// transaction's on_body calls follow each other: each waits for the previous one's verdict).
//
// Allow: 204 is sent only with a preview: the proxy still holds the previewed bytes, so "204"
// passes them on unchanged. Once the rest went on (after 100 Continue, or without a preview) the
// proxy keeps no copy, so the service must send the body back: a 204 then is a failure that
// cannot be bypassed (the body is gone), and the response is refused (or cut, when it started).
#pragma once

#include "icap_answer_reader.h"
#include "icap_service.h"

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace exaproxy::icap {

class Stream {
public:
  // What the transaction does with the data given to feed().
  struct Step {
    enum class Kind {
      Hold,   // keep it: a preview is being gathered (the host holds it)
      Pass,   // the service answered 204 to the preview: it and the rest pass unchanged
      Output, // replace it with `out`, what the service sent back so far (may be empty)
      Answer, // the service's whole answer (`reply`) replaces the message: a block page
      Failed, // `why`; `late`: bytes went to the service without a copy (no bypass possible)
    };
    Kind kind = Kind::Hold;
    std::string out;
    Reply reply;
    std::string why;
    bool late = false;
  };
  // Given the answer's heads: true when only its body differs from the message (the origin's
  // status and fields; a modified request), so its body streams out as it arrives; false when
  // it is another message (a block page), gathered whole (max_reply_body) to answer with.
  using Streamable = std::function<bool(const AnswerReader&)>;

  // `reqHdr`, `resHdr`: the encapsulated heads (as RequestSpec's); `extension`: the URL path's
  // (Transfer-* lists).
  Stream(Service& service, std::string reqHdr, std::string resHdr,
         std::vector<HeaderField> extraFields, std::string extension, Streamable streamable);
  ~Stream();
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  // The data not yet given to the service (what the host holds for this plugin, then the new
  // piece) and whether the body ends with it. Blocking, bounded by the service's timeout: a
  // worker thread's call, never a loop's.
  Step feed(std::string_view data, bool end);

  // A preview is being gathered and `size` bytes (not the end) are still too few to send it:
  // the loop can hold the piece without a worker. Read between feeds only.
  bool gathering(size_t size, bool end) const {
    return state_ == State::Gathering && !end && size < preview_;
  }
  // Nothing was asked of the service yet.
  bool fresh() const { return state_ == State::Fresh; }
  // The service answered 204 to the preview: what follows passes without it.
  bool passed() const { return state_ == State::Passed; }
  // The exchange failed (and the plugin bypassed the service): the rest passes without it.
  bool broken() const { return state_ == State::Broken; }
  // Body bytes went to the service and the host keeps no copy: a failure cannot be bypassed.
  bool gone() const { return gone_; }
  // The transaction gives the exchange up (its piece could not be queued): never resumed with a
  // later piece, which would send the service part of a body. The loop's call, between feeds.
  void abandon() {
    finish(false);
    state_ = State::Broken;
  }

private:
  enum class State {
    Fresh,     // nothing asked yet
    Gathering, // OPTIONS known, a preview of preview_ bytes being gathered
    Sending,   // the body goes on piece by piece
    Finished,  // the answer is complete (and handed over): later data is dropped
    Passed,    // 204 to the preview
    Broken,    // failed; the connection is dropped
  };

  Step start(std::string_view data, bool end);
  Step sendRest(std::string_view data, bool end);
  // Feeds what was read to the reader; nullopt or a Step that ends the exchange (a failure, a
  // complete answer to hand over).
  std::optional<Step> digest();
  // What the answer's heads say, when they just became known.
  std::optional<Step> judgeHeads();
  // Reads until the answer is complete (the body's end was sent).
  std::optional<Step> readToEnd(Service::Clock::time_point deadline);
  Step output();
  Step fail(std::string why);
  void finish(bool reusable);

  Service& service_;
  std::string reqHdr_, resHdr_;
  std::vector<HeaderField> extra_;
  std::string extension_;
  Streamable streamable_;

  State state_ = State::Fresh;
  size_t preview_ = 0;     // with State::Gathering
  bool previewed_ = false; // the request went with a preview (Allow: 204)
  bool streaming_ = false; // the answer's body streams out (else it is gathered)
  bool sentLast_ = false;  // the last chunk went: the connection can be reused after the answer
  bool gone_ = false;      // body bytes went to the service and were dropped here (no copy)
  int fd_ = -1;
  bool reused_ = false;
  std::string in_;   // read, not yet given to the reader
  std::string body_; // the answer's body decoded, not yet handed out
  AnswerReader reader_;
};

} // namespace exaproxy::icap
