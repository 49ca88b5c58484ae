#include "dns/resolver.h"

#include <ares.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <mutex>
#include <stdexcept>

namespace exaproxy::dns {

namespace detail {

// One caller waiting for one Query; owned by the Query's list, pointed at by its ResolveHandle.
struct Waiter {
  Query* query = nullptr;
  ResolveHandle* handle = nullptr;
  Resolver::Callback cb;
  Waiter* prev = nullptr;
  Waiter* next = nullptr;

  // Breaks the link with the handle (it becomes inactive without touching us again).
  void detachHandle() {
    if (handle) {
      handle->waiter_ = nullptr;
      handle = nullptr;
    }
  }
};

// One name being resolved (or an already known answer waiting to be delivered: channel == null).
struct Query {
  std::string name; // normalised
  Channel* channel = nullptr;
  Waiter* head = nullptr;
  Waiter* tail = nullptr;
  Answer answer;

  Query() = default;
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;
  // Only reached with waiters left when the Resolver is destroyed: their handles go inactive.
  ~Query() {
    while (Waiter* w = head) {
      unlink(w);
      w->detachHandle();
      delete w;
    }
  }

  void link(Waiter* w) {
    w->query = this;
    w->prev = tail;
    w->next = nullptr;
    (tail ? tail->next : head) = w;
    tail = w;
  }
  void unlink(Waiter* w) {
    (w->prev ? w->prev->next : head) = w->next;
    (w->next ? w->next->prev : tail) = w->prev;
    w->prev = w->next = nullptr;
    w->query = nullptr;
  }
};

// One c-ares channel and its registrations on the loop. c-ares tells us which sockets it wants
// watched through the socket-state callback; we call ares_process_fd when they are ready and when
// the Timer armed from ares_timeout() expires. All on the loop thread.
struct Channel {
  Resolver& owner;
  net::EventLoop& loop;
  ares_channel ch = nullptr;
  std::unordered_map<int, net::IoWatch> watches; // c-ares socket → interest
  net::Timer timer;
  size_t pending = 0; // ares_getaddrinfo calls whose callback has not run yet
  int tries = 1;
  bool useHostsFile = true;
  // c-ares 1.18 retries the next server on SERVFAIL/NOTIMP/REFUSED and, once all are exhausted,
  // reports ARES_ECONNREFUSED whatever the RCODE was. To tell them apart we peek at the RCODE of
  // every UDP answer on its way into c-ares (socket functions below) and remember the last
  // failing one per question name until that name's lookup ends. Bounded: see noteAnswer().
  std::unordered_map<std::string, int> failedRcode;

  Channel(Resolver& r, net::EventLoop& l) : owner(r), loop(l), timer(l, [this] { onTimer(); }) {}
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;
  ~Channel() {
    // Runs callbacks with ARES_EDESTRUCTION (ignored while the Resolver is being destroyed; a
    // retired channel is only destroyed when idle) and closes its sockets through sockState().
    if (ch)
      ares_destroy(ch);
  }

  static void sockState(void* data, ares_socket_t fd, int readable, int writable) {
    auto* self = static_cast<Channel*>(data);
    if (!readable && !writable) {
      // Called before c-ares closes the socket, so the fd is still ours to remove from epoll.
      self->watches.erase(fd);
      return;
    }
    uint32_t events = (readable ? EPOLLIN : 0u) | (writable ? EPOLLOUT : 0u);
    if (auto it = self->watches.find(fd); it != self->watches.end()) {
      it->second.setEvents(events);
      return;
    }
    try {
      self->watches.try_emplace(fd, self->loop, fd, events,
                                [self, fd](uint32_t ev) { self->onIo(fd, ev); });
    } catch (...) {
      // Never unwind through c-ares. Without a watch the query still ends by its timeout.
    }
  }

  // Socket functions: plain syscalls plus the RCODE peek on UDP reads (c-ares passes `from` only
  // for UDP). c-ares configures nothing on sockets it gets this way: non-blocking, close-on-exec
  // and TCP_NODELAY are ours to set.
  static ares_socket_t sfSocket(int af, int type, int protocol, void*) {
    int fd = ::socket(af, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
    if (fd >= 0 && type == SOCK_STREAM) {
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    return fd < 0 ? ARES_SOCKET_BAD : fd;
  }
  static int sfClose(ares_socket_t fd, void*) { return ::close(fd); }
  static int sfConnect(ares_socket_t fd, const sockaddr* sa, ares_socklen_t len, void*) {
    return ::connect(fd, sa, len);
  }
  static ares_ssize_t sfRecvfrom(ares_socket_t fd, void* buf, size_t len, int flags, sockaddr* from,
                                 ares_socklen_t* fromLen, void* self) {
    ares_ssize_t n =
        from ? ::recvfrom(fd, buf, len, flags, from, fromLen) : ::recv(fd, buf, len, flags);
    if (from && n >= 12)
      static_cast<Channel*>(self)->noteAnswer(static_cast<const unsigned char*>(buf),
                                              static_cast<size_t>(n));
    return n;
  }
  static ares_ssize_t sfSendv(ares_socket_t fd, const iovec* iov, int count, void*) {
    msghdr msg{};
    msg.msg_iov = const_cast<iovec*>(iov);
    msg.msg_iovlen = static_cast<size_t>(count);
    return ::sendmsg(fd, &msg, MSG_NOSIGNAL); // no SIGPIPE from a TCP server that went away
  }
  static constexpr ares_socket_functions kSocketFunctions = {&sfSocket, &sfClose, &sfConnect,
                                                             &sfRecvfrom, &sfSendv};

  void noteAnswer(const unsigned char* p, size_t n) {
    int rcode = p[3] & 0x0f;
    bool isResponse = (p[2] & 0x80) != 0;
    if (!isResponse || (rcode != 2 && rcode != 4 && rcode != 5)) // SERVFAIL, NOTIMP, REFUSED
      return;
    std::string name;
    size_t pos = 12;
    while (pos < n && p[pos] != 0) {
      size_t label = p[pos];
      if (label > 63 || pos + 1 + label > n)
        return; // compressed or malformed: ignore
      if (!name.empty())
        name += '.';
      for (size_t i = 0; i < label; ++i) {
        char c = static_cast<char>(p[pos + 1 + i]);
        name += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
      }
      pos += 1 + label;
    }
    // Entries are erased when their lookup ends; stray packets for other names cannot pile up.
    if (failedRcode.size() >= 1024)
      failedRcode.clear();
    failedRcode[name] = rcode;
  }

  // The ares_getaddrinfo callback (arg: the Query). Runs inside c-ares.
  static void onAddrinfo(void* arg, int status, int timeouts, ares_addrinfo* res);

  void onIo(int fd, uint32_t events) {
    ares_socket_t rfd = (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) ? fd : ARES_SOCKET_BAD;
    ares_socket_t wfd = (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) ? fd : ARES_SOCKET_BAD;
    ares_process_fd(ch, rfd, wfd);
    rearm();
  }

  void onTimer() {
    ares_process_fd(ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD); // handles the expired tries
    rearm();
  }

  void rearm() {
    timeval tv{};
    if (ares_timeout(ch, nullptr, &tv) == nullptr) {
      timer.cancel();
      return;
    }
    auto delay = std::chrono::ceil<net::Millis>(std::chrono::seconds(tv.tv_sec) +
                                                std::chrono::microseconds(tv.tv_usec));
    // At least 1 ms so that a deadline c-ares rounds down to 0 cannot spin inside runTimers().
    timer.armAt(net::Clock::now() + std::max(delay, net::Millis(1)));
  }
};

} // namespace detail

using detail::Channel;
using detail::Query;
using detail::Waiter;

namespace {

void initLibraryOnce() {
  // ares_library_init is not thread-safe and loops start in parallel: once per process, never
  // cleaned up.
  static std::once_flag once;
  static int rc = ARES_SUCCESS;
  std::call_once(once, [] { rc = ares_library_init(ARES_LIB_INIT_ALL); });
  if (rc != ARES_SUCCESS)
    throw std::runtime_error(std::string("c-ares library init failed: ") + ares_strerror(rc));
}

Answer makeAnswer(DnsStatus status, std::string message) {
  Answer a;
  a.status = status;
  a.message = std::move(message);
  return a;
}

bool isFailure(DnsStatus s) {
  return s == DnsStatus::ServFail || s == DnsStatus::Refused || s == DnsStatus::Timeout ||
         s == DnsStatus::Error;
}

// c-ares 1.18 getaddrinfo statuses (A and AAAA are asked together; the query ends with the status
// of the last of them to finish unless one had addresses, which makes it ARES_SUCCESS):
//   ARES_ENOTFOUND    NXDOMAIN
//   ARES_ENODATA      the name exists but has neither A nor AAAA
//   ARES_ESERVFAIL    SERVFAIL from every server/try
//   ARES_ECONNREFUSED REFUSED from every server/try, or ICMP port unreachable
//   ARES_EREFUSED     (REFUSED as newer c-ares reports it)
//   ARES_ETIMEOUT     no answer after tries × servers
//   (rcode: the last SERVFAIL(2)/NOTIMP(4)/REFUSED(5) seen for the name, 0 if none; it refines
//    ARES_ECONNREFUSED, which c-ares 1.18 reports for all three and for ICMP port unreachable)
Answer toAnswer(int status, int rcode, const ares_addrinfo* res, bool preferIpv6, int tries) {
  switch (status) {
  case ARES_SUCCESS:
    break;
  case ARES_ENOTFOUND:
    return makeAnswer(DnsStatus::NxDomain, "no such domain (NXDOMAIN)");
  case ARES_ENODATA:
    return makeAnswer(DnsStatus::NoData, "no address for this name (NODATA)");
  case ARES_ESERVFAIL:
  case ARES_ECONNREFUSED:
  case ARES_EREFUSED:
    if (status == ARES_ESERVFAIL || rcode == 2)
      return makeAnswer(DnsStatus::ServFail, "DNS server failure (SERVFAIL)");
    if (rcode == 4)
      return makeAnswer(DnsStatus::ServFail, "DNS server cannot answer this query (NOTIMP)");
    if (status == ARES_EREFUSED || rcode == 5)
      return makeAnswer(DnsStatus::Refused, "DNS server refused the query (REFUSED)");
    return makeAnswer(DnsStatus::Refused, "DNS server unreachable (connection refused)");
  case ARES_ETIMEOUT:
    return makeAnswer(DnsStatus::Timeout, "DNS timeout after " + std::to_string(tries) +
                                              (tries == 1 ? " try" : " tries"));
  default:
    return makeAnswer(DnsStatus::Error, std::string("DNS error: ") + ares_strerror(status));
  }

  Answer a;
  int minTtl = INT_MAX;
  for (const ares_addrinfo_node* n = res ? res->nodes : nullptr; n; n = n->ai_next) {
    if (n->ai_family == AF_INET && n->ai_addr)
      a.addresses.push_back(
          IpAddress::v4(reinterpret_cast<const sockaddr_in*>(n->ai_addr)->sin_addr));
    else if (n->ai_family == AF_INET6 && n->ai_addr)
      a.addresses.push_back(
          IpAddress::v6(reinterpret_cast<const sockaddr_in6*>(n->ai_addr)->sin6_addr));
    else
      continue;
    minTtl = std::min(minTtl, std::max(n->ai_ttl, 0));
  }
  if (a.addresses.empty())
    return makeAnswer(DnsStatus::NoData, "no address for this name (NODATA)");
  a.status = DnsStatus::Ok;
  a.ttl = std::chrono::seconds(minTtl);
  // Preferred family first; stable so each family keeps the server's order.
  std::stable_partition(a.addresses.begin(), a.addresses.end(), [preferIpv6](const IpAddress& ip) {
    return preferIpv6 ? ip.isV6() : ip.isV4();
  });
  return a;
}

} // namespace

void Channel::onAddrinfo(void* arg, int status, int /*timeouts*/, ares_addrinfo* res) {
  auto* q = static_cast<Query*>(arg);
  Channel* channel = q->channel;
  --channel->pending;
  Resolver& owner = channel->owner;
  Answer answer;
  int rcode = 0;
  if (!channel->failedRcode.empty()) {
    if (auto it = channel->failedRcode.find(q->name); it != channel->failedRcode.end()) {
      rcode = it->second;
      channel->failedRcode.erase(it);
    }
  }
  if (status == ARES_EDESTRUCTION)
    answer = makeAnswer(DnsStatus::Error, "DNS resolver shut down");
  else if (status == ARES_ECONNREFUSED && rcode == 0 && q->name == "localhost" &&
           !channel->useHostsFile)
    // c-ares never sends "localhost" to a server (RFC 6761) and ends with its initial status.
    answer =
        makeAnswer(DnsStatus::Error, "localhost is only resolved from the hosts file (disabled)");
  else
    answer = toAnswer(status, rcode, res, owner.config().preferIpv6, channel->tries);
  if (res)
    ares_freeaddrinfo(res);
  owner.queryDone(q, std::move(answer));
}

// ---- ResolveHandle ----

ResolveHandle::ResolveHandle(Waiter* w) : waiter_(w) { w->handle = this; }

ResolveHandle::~ResolveHandle() { reset(); }

ResolveHandle::ResolveHandle(ResolveHandle&& o) noexcept : waiter_(o.waiter_) {
  o.waiter_ = nullptr;
  if (waiter_)
    waiter_->handle = this;
}

ResolveHandle& ResolveHandle::operator=(ResolveHandle&& o) noexcept {
  if (this != &o) {
    reset();
    waiter_ = o.waiter_;
    o.waiter_ = nullptr;
    if (waiter_)
      waiter_->handle = this;
  }
  return *this;
}

void ResolveHandle::reset() {
  if (Waiter* w = waiter_) {
    waiter_ = nullptr;
    if (w->query)
      w->query->unlink(w);
    delete w;
  }
}

// ---- Resolver ----

Resolver::Resolver(net::EventLoop& loop, ResolverConfig config)
    : loop_(loop), config_(std::move(config)), cache_(config_.maxEntries),
      deliverTimer_(loop, [this] { deliver(); }) {
  initLibraryOnce();
  channel_ = makeChannel(config_);
}

Resolver::~Resolver() {
  destroying_ = true;
  deliverTimer_.cancel();
  // ares_destroy() completes every query with ARES_EDESTRUCTION: queryDone() ignores them now.
  channel_.reset();
  retired_.clear();
  // Remaining queries detach their handles (they become inactive, callbacks never run).
  inflight_.clear();
  completed_.clear();
}

std::unique_ptr<Channel> Resolver::makeChannel(const ResolverConfig& config) {
  auto channel = std::make_unique<Channel>(*this, loop_);
  channel->tries = std::max(config.tries, 1);
  channel->useHostsFile = config.useHostsFile;

  std::string lookups = config.useHostsFile ? "fb" : "b";
  ares_options options{};
  int mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_LOOKUPS |
             ARES_OPT_SOCK_STATE_CB | ARES_OPT_DOMAINS;
  // No search domains: a proxy resolves the names it is given, as Squid does (dns_defnames off).
  options.flags = ARES_FLAG_NOSEARCH;
  options.domains = nullptr;
  options.ndomains = 0;
  options.timeout = static_cast<int>(std::max<int64_t>(config.timeout.count(), 1));
  options.tries = channel->tries;
  options.lookups = lookups.data();
  options.sock_state_cb = &Channel::sockState;
  options.sock_state_cb_data = channel.get();
  int rc = ares_init_options(&channel->ch, &options, mask);
  if (rc != ARES_SUCCESS) {
    channel->ch = nullptr;
    throw std::runtime_error(std::string("c-ares init failed: ") + ares_strerror(rc));
  }
  ares_set_socket_functions(channel->ch, &Channel::kSocketFunctions, channel.get());
  if (!config.servers.empty()) {
    std::string csv;
    for (const auto& server : config.servers) {
      if (!csv.empty())
        csv += ',';
      csv += server.toString(); // "1.2.3.4:53" or "[::1]:53", the syntax c-ares expects
    }
    rc = ares_set_servers_ports_csv(channel->ch, csv.c_str());
    if (rc != ARES_SUCCESS)
      throw std::runtime_error("c-ares rejected DNS servers '" + csv + "': " + ares_strerror(rc));
  }
  return channel;
}

const Answer* Resolver::cached(std::string_view name) {
  if (auto ip = parseLiteral(name)) {
    Answer& a = lastCached_;
    a.status = DnsStatus::Ok;
    a.addresses.assign(1, *ip);
    a.message = "IP literal";
    a.fromCache = false;
    a.ttl = std::chrono::seconds(0);
    return &a;
  }
  if (auto hit = cache_.lookup(name, net::Clock::now())) {
    ++stats_.cacheHits;
    lastCached_ = std::move(*hit);
    return &lastCached_;
  }
  return nullptr;
}

ResolveHandle Resolver::attach(Query* q, Callback cb) {
  auto* w = new Waiter;
  w->cb = std::move(cb);
  q->link(w);
  return ResolveHandle(w);
}

ResolveHandle Resolver::resolve(std::string_view name, Callback cb) {
  std::optional<Answer> known;
  std::string key;
  if (auto ip = parseLiteral(name)) {
    if (const Answer* a = cached(name))
      known = *a;
  } else {
    key = normalizeName(name);
    if (key.empty() || key.size() > 253 || key.find('\0') != std::string::npos)
      known = makeAnswer(DnsStatus::Error, "invalid host name");
    else if (const Answer* a = cached(key))
      known = *a;
  }
  if (known) {
    // Answered without a query, still delivered later: callers never see re-entrant callbacks.
    auto q = std::make_unique<Query>();
    q->answer = std::move(*known);
    ResolveHandle h = attach(q.get(), std::move(cb));
    queueDelivery(std::move(q));
    return h;
  }

  ++stats_.cacheMisses;
  if (auto it = inflight_.find(key); it != inflight_.end())
    return attach(it->second.get(), std::move(cb)); // dedup: join the query in flight

  auto owned = std::make_unique<Query>();
  Query* q = owned.get();
  q->name = std::move(key);
  inflight_.emplace(q->name, std::move(owned));
  ResolveHandle h = attach(q, std::move(cb));
  startQuery(q); // may complete at once (hosts file): then queued in completed_, not delivered
  return h;
}

void Resolver::startQuery(Query* q) {
  Channel* channel = channel_.get();
  q->channel = channel;
  ++channel->pending;
  ++stats_.queries;
  ares_addrinfo_hints hints{};
  hints.ai_family = AF_UNSPEC;     // A and AAAA
  hints.ai_flags = ARES_AI_NOSORT; // keep the server's order (and no connect() probes per address)
  ares_getaddrinfo(channel->ch, q->name.c_str(), nullptr, &hints, &Channel::onAddrinfo, q);
  channel->rearm();
}

// From the c-ares callback (inside ares_process_fd or ares_getaddrinfo): only bookkeeping here,
// no user callback.
void Resolver::queryDone(Query* q, Answer answer) {
  if (destroying_)
    return;
  auto it = inflight_.find(q->name);
  if (it == inflight_.end() || it->second.get() != q)
    return; // cannot happen; never deliver twice
  if (isFailure(answer.status))
    ++stats_.failures;
  // A query of a retired channel may have asked the old servers: deliver it, but do not cache it.
  if (q->channel == channel_.get())
    if (auto ttl = cacheTtlFor(answer, config_))
      cache_.insert(q->name, answer, *ttl, net::Clock::now());
  q->answer = std::move(answer);
  auto owned = std::move(it->second);
  inflight_.erase(it);
  queueDelivery(std::move(owned));
}

void Resolver::queueDelivery(std::unique_ptr<Query> q) {
  completed_.push_back(std::move(q));
  // Zero delay: due at the loop's current time, so it runs in this iteration's timer pass.
  deliverTimer_.arm(net::Millis(0));
}

void Resolver::deliver() {
  reapChannels();
  // Deliveries queued by the callbacks below land in completed_ and re-arm the timer.
  auto batch = std::move(completed_);
  completed_.clear();
  for (auto& q : batch) {
    // Waiters are taken one at a time: a callback may reset the handle of a later waiter.
    while (Waiter* w = q->head) {
      q->unlink(w);
      w->detachHandle();
      Callback cb = std::move(w->cb);
      delete w;
      if (cb)
        cb(q->answer);
    }
  }
}

void Resolver::reapChannels() {
  // Outside any c-ares call (from deliver()): safe to ares_destroy an idle retired channel.
  std::erase_if(retired_, [](const std::unique_ptr<Channel>& c) { return c->pending == 0; });
}

void Resolver::reconfigure(ResolverConfig config) {
  auto fresh = makeChannel(config); // throws: nothing changed
  bool clearCache =
      config.servers != config_.servers || config.useHostsFile != config_.useHostsFile;
  // Never called from inside c-ares (user code does not run there): an idle channel can go now.
  if (channel_->pending == 0)
    channel_.reset();
  else
    retired_.push_back(std::move(channel_));
  channel_ = std::move(fresh);
  config_ = std::move(config);
  if (clearCache)
    cache_.clear();
  cache_.setMaxEntries(config_.maxEntries);
}

Resolver::Stats Resolver::stats() const {
  Stats s = stats_;
  s.inflight = inflight_.size();
  s.cacheSize = cache_.size();
  return s;
}

} // namespace exaproxy::dns
