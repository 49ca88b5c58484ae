#include "icap_answer_reader.h"

namespace exaproxy::icap {

Progress AnswerReader::fail(size_t used, std::string why) {
  stage_ = Stage::Error;
  error_ = std::move(why);
  consumed_ += used;
  return {ParseStatus::Error, used};
}

void AnswerReader::afterContinue() {
  if (stage_ != Stage::Continue)
    return;
  continued_ = true;
  parser_ = ResponseHeadParser();
  head_ = ResponseHead();
  stage_ = Stage::Head;
}

Progress AnswerReader::feed(std::string_view in, std::string& body) {
  size_t used = 0;
  for (;;) {
    std::string_view rest = in.substr(used);
    switch (stage_) {
    case Stage::Head: {
      auto p = parser_.feed(rest);
      used += p.consumed;
      if (p.status == ParseStatus::Error)
        return fail(used, "invalid ICAP answer: " + parser_.error());
      if (p.status == ParseStatus::NeedMore) {
        consumed_ += used;
        return {ParseStatus::NeedMore, used};
      }
      head_ = parser_.head();
      if (head_.status == 100) {
        if (continued_)
          return fail(used, "invalid ICAP answer: a second 100 Continue");
        stage_ = Stage::Continue;
        consumed_ += used;
        return {ParseStatus::Done, used};
      }
      stage_ = head_.encapsulated ? Stage::Heads : Stage::Done;
      break;
    }
    case Stage::Heads: {
      const Encapsulated& e = *head_.encapsulated;
      size_t want = e.bodyOffset() - heads_.size();
      size_t take = std::min(want, rest.size());
      heads_.append(rest.substr(0, take));
      used += take;
      if (heads_.size() < e.bodyOffset()) {
        consumed_ += used;
        return {ParseStatus::NeedMore, used};
      }
      auto cut = cutHeads(e, heads_);
      if (!cut)
        return fail(used, "invalid encapsulated heads: " + cut.error());
      reqHdr_.assign(cut->reqHdr);
      resHdr_.assign(cut->resHdr);
      heads_.clear();
      hasBody_ = e.hasChunkedBody();
      stage_ = hasBody_ ? Stage::Body : Stage::Done;
      break;
    }
    case Stage::Body: {
      auto p = chunks_.feed(rest, body);
      used += p.consumed;
      if (p.status == ParseStatus::Error)
        return fail(used, "invalid chunked body: " + chunks_.error());
      if (p.status == ParseStatus::NeedMore) {
        consumed_ += used;
        return {ParseStatus::NeedMore, used};
      }
      stage_ = Stage::Done;
      break;
    }
    case Stage::Continue:
      return {ParseStatus::Done, 0};
    case Stage::Done:
      consumed_ += used;
      return {ParseStatus::Done, used};
    case Stage::Error:
      return {ParseStatus::Error, 0};
    }
  }
}

} // namespace exaproxy::icap
