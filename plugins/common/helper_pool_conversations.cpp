// HelperPool, conversations: the children of stateful helpers (NTLM, Negotiate) reserved for one
// client connection while its handshake runs. A reserved child takes only its conversation's
// requests; the reservation ends with release(), after `conversationIdle` without a request, or
// with the child. Manager thread, except release().
#include "helper_pool.h"

#include <algorithm>
#include <unistd.h>

namespace exaproxy::common {

void HelperPool::release(uint64_t conversation) {
  if (conversation == 0)
    return;
  const bool here = loop_ && loop_->onLoop();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopped_)
      return;
    releases_.push_back(conversation);
  }
  if (here) {
    if (!servicing_)
      service();
  } else if (loop_) {
    loop_->wake(); // a stopped loop runs nothing for the pool any more: nothing to free
  } else {
    uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_, &one, sizeof one);
  }
}

// A child a request of no conversation (or the first step of a new one) may have.
bool HelperPool::takesUnbound(const HelperChild& c) const {
  return c.conversation == 0 && hasFreeSlot(c);
}

HelperChild* HelperPool::conversationChild(uint64_t conversation) {
  for (auto& c : children_)
    if (!c->dead && c->conversation == conversation)
      return c.get();
  return nullptr;
}

bool HelperPool::anyReserved() const {
  return std::any_of(children_.begin(), children_.end(),
                     [](const HelperChildPtr& c) { return !c->dead && c->conversation != 0; });
}

void HelperPool::applyReleases() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    releasing_.swap(releases_);
  }
  for (uint64_t conversation : releasing_)
    if (HelperChild* c = conversationChild(conversation))
      c->conversation = 0; // a request still in flight keeps it busy until answered
  releasing_.clear();
}

void HelperPool::expireConversations(Clock::time_point now) {
  for (auto& c : children_) {
    if (c->dead || c->conversation == 0 || !c->inFlight.empty() ||
        now - c->conversationUsed < settings_.conversationIdle)
      continue;
    logChild(LogLevel::Debug, *c,
             "conversation " + std::to_string(c->conversation) + " idle, child freed");
    c->conversation = 0;
  }
}

} // namespace exaproxy::common
