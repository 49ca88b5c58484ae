#include "http/body_cursor.h"

#include <algorithm>

namespace exaproxy::http {

void BodyCursor::start(Framing framing, uint64_t contentLength, uint64_t limit) {
  framing_ = framing;
  eof_ = false;
  left_ = framing == Framing::ContentLength ? contentLength : 0;
  if (framing == Framing::Chunked) {
    chunks_.reset();
    chunks_.setLimit(limit);
  }
  done_ = framing == Framing::None || (framing == Framing::ContentLength && left_ == 0);
}

Result<size_t> BodyCursor::take(std::string_view fresh) {
  if (done_ || fresh.empty())
    return size_t{0};
  switch (framing_) {
  case Framing::ContentLength: {
    auto n = static_cast<size_t>(std::min<uint64_t>(left_, fresh.size()));
    left_ -= n;
    done_ = left_ == 0;
    return n;
  }
  case Framing::Chunked: {
    auto r = chunks_.feed(fresh);
    if (r)
      done_ = chunks_.done();
    return r;
  }
  case Framing::UntilClose:
    return fresh.size();
  case Framing::None:
    break;
  }
  return size_t{0};
}

void BodyCursor::endOfInput() {
  eof_ = true;
  if (framing_ == Framing::UntilClose)
    done_ = true;
}

} // namespace exaproxy::http
