// The ICAP server's RESPMOD (icap_session.h): the encapsulated response through the response
// and body hooks of the chain whose request hooks already let its request pass.
#include "proxy/icap_answer.h"
#include "proxy/icap_server.h"
#include "proxy/icap_session.h"
#include "proxy/loop_context.h"

namespace exaproxy::proxy {

bool IcapSession::readResponseHead(std::string_view raw) {
  rawResHead_.assign(raw);
  http::ResponseParser parser(server_.context().config()->maxRequestHead);
  resp_ = http::ResponseHead();
  if (parser.parse(rawResHead_, req_.method, resp_) != http::ParseState::Complete ||
      parser.consumed() != rawResHead_.size() || resp_.isInterim()) {
    fail(400, "encapsulated HTTP response head refused: " + parser.error().reason);
    return false;
  }
  resText_ = icapd::responseHeadText(resp_);
  return true;
}

void IcapSession::respmodVerdict() {
  plugin::Outcome r = tx_ ? tx_->runResponse(resp_) : plugin::Outcome{};
  if (r.kind != plugin::Outcome::Kind::Continue) {
    respmod_ = false; // the page replaces the response: answered like a REQMOD's
    return onVerdict(std::move(r));
  }
  wantsBody_ = tx_ && tx_->wantsBody(EXAPROXY_RESPONSE);
  auto encoding = resp_.headers.get("Content-Encoding");
  if (wantsBody_ && (tx_->bodyFlags(EXAPROXY_RESPONSE) & EXAPROXY_WANT_DECODED) && encoding &&
      !http::iequals(*encoding, "identity")) {
    // Bodies go to the plugins as the ICAP client sent them: a plugin that needs them decoded
    // gets its on_error policy (deny: the page; allow: it is skipped).
    if (auto answer = tx_->decodeRefusal(
            EXAPROXY_RESPONSE, "the ICAP server passes bodies as they came (no decoding)", true)) {
      respmod_ = false;
      return onVerdict(std::move(*answer));
    }
    wantsBody_ = tx_->wantsBody(EXAPROXY_RESPONSE);
  }
  bool headChanged = icapd::responseHeadText(resp_) != resText_;
  if (!wantsBody_ && !headChanged) {
    if (allow204_ || preview_)
      return finish(icapd::noContentAnswer(istag()), resp_.status);
    return finish(hasBody_ ? icapd::adaptedResponseAnswer(istag(), rawResHead_, body_)
                           : icapd::responseAnswer(istag(), rawResHead_),
                  resp_.status);
  }
  if (hasBody_ && !ieof_) {
    // The plugins (or the edited head, which goes back with the body) need the rest.
    return askForTheRest();
  }
  respmodBody();
}

void IcapSession::respmodBody() {
  if (!wantsBody_)
    return respmodAnswer({}, std::move(body_));
  state_ = State::Filtering;
  tx_->onBodyResume([this] {
    std::string more;
    plugin::PluginTransaction::BodyStep step = tx_->takeBody(more);
    respmodAnswer(std::move(step), std::move(more));
  });
  std::string out;
  plugin::PluginTransaction::BodyStep step = tx_->runBody(EXAPROXY_RESPONSE, body_, true, out);
  if (step.waiting)
    return; // a PENDING on_body verdict: the resume callback answers
  respmodAnswer(std::move(step), std::move(out));
}

void IcapSession::respmodAnswer(plugin::PluginTransaction::BodyStep&& step, std::string&& body) {
  if (step.answered) {
    respmod_ = false; // a body plugin answers in place of the response: its page
    return onVerdict(std::move(step.answer));
  }
  if (wantsBody_ && allow204_ && body == body_ && icapd::responseHeadText(resp_) == resText_)
    return finish(icapd::noContentAnswer(istag()), resp_.status); // read, left as it was
  bump(server_.context().counters().icap_modified);
  bool framed = hasBody_ || !body.empty();
  std::string head =
      icapd::responseHeadText(resp_, framed ? std::optional<uint64_t>(body.size()) : std::nullopt);
  finish(framed ? icapd::adaptedResponseAnswer(istag(), head, body)
                : icapd::responseAnswer(istag(), head),
         resp_.status);
}

} // namespace exaproxy::proxy
