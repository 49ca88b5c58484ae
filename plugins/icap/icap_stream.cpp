#include "icap_stream.h"

#include "icap_chunked.h"
#include "icap_socket.h"

#include <sys/socket.h>
#include <unistd.h>

namespace exaproxy::icap {

namespace {

// What one piece reads of the service's answer once its data went (more waits for the next
// piece, or the end), and the socket's receive buffer: together they bound what a streamed body
// costs here to a few hundred kilobytes, whatever the service's own buffering.
constexpr size_t kReadPerPiece = 256 * 1024;
constexpr size_t kReceiveBuffer = 256 * 1024;

} // namespace

Stream::Stream(Service& service, std::string reqHdr, std::string resHdr,
               std::vector<HeaderField> extraFields, std::string extension, Streamable streamable)
    : service_(service), reqHdr_(std::move(reqHdr)), resHdr_(std::move(resHdr)),
      extra_(std::move(extraFields)), extension_(std::move(extension)),
      streamable_(std::move(streamable)) {}

Stream::~Stream() { finish(false); }

void Stream::finish(bool reusable) {
  if (fd_ < 0)
    return;
  service_.release(fd_, reusable);
  fd_ = -1;
}

Stream::Step Stream::fail(std::string why) {
  service_.failed();
  finish(false);
  state_ = State::Broken;
  Step s;
  s.kind = Step::Kind::Failed;
  s.why = std::move(why);
  s.late = gone_;
  return s;
}

Stream::Step Stream::output() {
  Step s;
  s.kind = Step::Kind::Output;
  if (streaming_)
    s.out.swap(body_);
  if (state_ == State::Sending || state_ == State::Finished)
    gone_ = true; // what was given went to the service; the host keeps no copy
  return s;
}

std::optional<Stream::Step> Stream::judgeHeads() {
  const ResponseHead& head = reader_.head();
  if (head.status == 204) {
    if (!previewed_ || state_ != State::Gathering)
      return fail("204 after the body went on without a copy (no Allow: 204 was sent)");
    service_.succeeded();
    state_ = State::Passed;
    finish(reader_.stage() == AnswerReader::Stage::Done && in_.empty() && keepsConnection(head));
    Step s;
    s.kind = Step::Kind::Pass;
    return s;
  }
  if (head.status != 200)
    return fail("ICAP status " + std::to_string(head.status) + " " + head.reason);
  service_.succeeded();
  streaming_ = streamable_(reader_);
  return std::nullopt;
}

std::optional<Stream::Step> Stream::digest() {
  bool knew = reader_.headsKnown();
  auto p = reader_.feed(in_, body_);
  in_.erase(0, p.consumed);
  if (p.status == ParseStatus::Error)
    return fail(reader_.error());
  if (reader_.stage() == AnswerReader::Stage::Continue)
    return std::nullopt;
  if (!knew && (reader_.headsKnown() || reader_.stage() == AnswerReader::Stage::Done))
    if (auto s = judgeHeads())
      return s;
  if (!streaming_ && body_.size() > service_.maxReplyBody_)
    return fail("the encapsulated body is longer than max_reply_body");
  if (reader_.stage() != AnswerReader::Stage::Done)
    return std::nullopt;
  bool reusable = sentLast_ && in_.empty() && keepsConnection(reader_.head());
  finish(reusable);
  State was = state_;
  state_ = State::Finished;
  if (streaming_)
    return std::nullopt; // the caller hands out the rest of the body
  if (was == State::Gathering)
    gone_ = false; // answered on the preview: the host still holds it
  Step s;
  s.kind = Step::Kind::Answer;
  s.reply.head = reader_.head();
  s.reply.reqHdr = reader_.reqHdr();
  s.reply.resHdr = reader_.resHdr();
  s.reply.hasBody = reader_.hasBody();
  s.reply.body.swap(body_);
  return s;
}

std::optional<Stream::Step> Stream::readToEnd(Service::Clock::time_point deadline) {
  std::string why;
  for (;;) {
    if (auto s = digest())
      return s;
    if (state_ == State::Finished || reader_.stage() == AnswerReader::Stage::Continue)
      return std::nullopt;
    long n = readSome(fd_, in_, deadline, why);
    if (n <= 0)
      return fail(n == 0 ? "the service closed the connection before its answer's end" : why);
  }
}

Stream::Step Stream::start(std::string_view data, bool end) {
  auto deadline = Service::Clock::now() + service_.timeout_;
  if (state_ == State::Fresh) {
    service_.requests_.fetch_add(1, std::memory_order_relaxed);
    if (auto why = service_.ensureOptions(deadline))
      return fail(*why);
    if (auto preview = service_.previewFor(SIZE_MAX, extension_)) {
      preview_ = *preview;
      state_ = State::Gathering;
      if (gathering(data.size(), end))
        return Step{};
    }
  }
  previewed_ = state_ == State::Gathering;
  size_t first = previewed_ ? std::min(preview_, data.size()) : data.size();
  RequestSpec spec;
  spec.method = service_.cfg_.method;
  spec.service = service_.cfg_.uri;
  spec.reqHdr = reqHdr_;
  spec.resHdr = resHdr_;
  spec.body = true;
  spec.extraFields = extra_;
  spec.allow204 = previewed_;
  if (previewed_)
    spec.preview = first;
  auto head = buildRequest(spec);
  if (!head)
    return fail("cannot build the request: " + head.error());
  std::string request = std::move(*head);
  appendChunk(request, data.substr(0, first));
  bool ieof = previewed_ && end && first == data.size();
  if (previewed_ || end)
    request += lastChunk(ieof);
  sentLast_ = ieof || (!previewed_ && end);
  service_.streamed_.fetch_add(1, std::memory_order_relaxed);
  if (previewed_)
    service_.previews_.fetch_add(1, std::memory_order_relaxed);

  std::optional<Step> stop;
  auto enough = [&] {
    stop = digest();
    return stop.has_value() || state_ == State::Finished;
  };
  std::string why;
  for (int attempt = 0;; ++attempt) {
    auto lease = service_.acquire(deadline);
    if (!lease)
      return fail(lease.error());
    fd_ = lease->fd;
    reused_ = lease->reused;
    // A fixed receive buffer: what the service sends ahead of us waits in the kernel, bounded,
    // rather than growing with TCP autotuning into a burst this piece would hand out at once.
    int size = static_cast<int>(kReceiveBuffer);
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    if (sendWhileReading(fd_, request, deadline, in_, enough, why))
      break;
    // A pooled connection the service had closed: once more on a new one.
    if (attempt == 0 && reused_ && reader_.consumed() == 0 && in_.empty()) {
      finish(false);
      continue;
    }
    if (auto s = digest())
      return *s;
    if (state_ == State::Finished)
      break;
    return fail("sending the request: " + why);
  }
  if (stop)
    return *stop;
  if (state_ == State::Finished)
    return output();
  if (!previewed_) {
    state_ = State::Sending;
    if (end) {
      if (auto s = readToEnd(deadline))
        return *s;
    }
    return output();
  }
  // The preview's answer: 100 Continue for the rest, or the final answer on the preview alone.
  if (auto s = readToEnd(deadline))
    return *s;
  if (state_ == State::Finished) // answered on the preview: the rest is not wanted
    return output();
  if (sentLast_) // "0; ieof" said there is no more
    return fail("100 Continue after a preview that held the whole body");
  reader_.afterContinue();
  state_ = State::Sending;
  return sendRest(data.substr(first), end);
}

Stream::Step Stream::sendRest(std::string_view data, bool end) {
  auto deadline = Service::Clock::now() + service_.timeout_;
  std::string piece;
  appendChunk(piece, data);
  if (end)
    piece += lastChunk();
  sentLast_ = end;
  std::optional<Step> stop;
  auto enough = [&] {
    stop = digest();
    return stop.has_value() || state_ == State::Finished;
  };
  std::string why;
  if (!sendWhileReading(fd_, piece, deadline, in_, enough, why)) {
    if (auto s = digest())
      return *s;
    if (state_ != State::Finished)
      return fail("sending the body: " + why);
  }
  if (stop)
    return *stop;
  if (state_ == State::Finished)
    return output();
  if (end) {
    if (auto s = readToEnd(deadline))
      return *s;
    return output();
  }
  bool closed = false;
  if (readNow(fd_, in_, closed, why, kReadPerPiece) < 0)
    return fail(why);
  if (auto s = digest())
    return *s;
  if (closed && state_ != State::Finished)
    return fail("the service closed the connection before its answer's end");
  return output();
}

Stream::Step Stream::feed(std::string_view data, bool end) {
  switch (state_) {
  case State::Fresh:
  case State::Gathering:
    return start(data, end);
  case State::Sending:
    return sendRest(data, end);
  case State::Finished:
    return output(); // the service's answer ended before the body: the rest is dropped
  case State::Passed: {
    Step s;
    s.kind = Step::Kind::Pass;
    return s;
  }
  case State::Broken:
    break;
  }
  Step s;
  s.kind = Step::Kind::Failed;
  s.why = "the exchange failed earlier";
  s.late = gone_;
  return s;
}

} // namespace exaproxy::icap
