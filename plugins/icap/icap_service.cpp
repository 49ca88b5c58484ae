#include "icap_service.h"

#include "icap_answer_reader.h"
#include "icap_chunked.h"
#include "icap_socket.h"

#include <exaproxy/text.hpp>

#include <unistd.h>

namespace exaproxy::icap {

bool keepsConnection(const ResponseHead& head) {
  const std::string* c = head.field("connection");
  if (!c)
    return true;
  for (auto token : sdk::splitList(*c))
    if (sdk::equalsIgnoreCase(token, "close"))
      return false;
  return true;
}

Service::Service(ServiceConfig cfg, std::chrono::milliseconds timeout, size_t maxReplyBody)
    : cfg_(std::move(cfg)), timeout_(timeout), maxReplyBody_(maxReplyBody) {}

Service::~Service() {
  for (int fd : idle_)
    ::close(fd);
}

Result<Service::Lease> Service::acquire(Clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  for (;;) {
    while (!idle_.empty()) {
      int fd = idle_.back();
      idle_.pop_back();
      if (stillOpen(fd))
        return Lease{fd, true};
      ::close(fd); // the service closed it while it was idle
      --open_;
    }
    size_t limit = options_ && options_->maxConnections ? *options_->maxConnections : SIZE_MAX;
    if (open_ < limit)
      break;
    // Max-Connections: wait for one to come back (or the deadline).
    if (slotFree_.wait_until(lock, deadline) == std::cv_status::timeout)
      return Result<Lease>::failure("all " + std::to_string(limit) +
                                    " connections (Max-Connections) busy until the timeout");
  }
  ++open_;
  lock.unlock();
  auto fd = dial(cfg_.uri, deadline);
  if (!fd) {
    release(-1, false);
    return Result<Lease>::failure(fd.error());
  }
  return Lease{*fd, false};
}

void Service::release(int fd, bool reusable) {
  {
    std::lock_guard lock(mutex_);
    if (fd >= 0 && reusable) {
      idle_.push_back(fd);
    } else {
      if (fd >= 0)
        ::close(fd);
      --open_;
    }
  }
  slotFree_.notify_one();
}

// Sends the request and reads the whole answer. `stale`: a reused connection ended before any
// byte of the answer (the service had closed it), so the request may go again on a new one.
// `clean`: the answer ended exactly where the bytes read did (else the connection is dropped).
Result<Reply> Service::exchange(const Lease& lease, const std::string& request,
                                const std::string* rest, Clock::time_point deadline, bool& stale,
                                bool& clean) {
  stale = false;
  clean = false;
  std::string why;
  if (!sendAll(lease.fd, request, deadline, why)) {
    stale = lease.reused;
    return Result<Reply>::failure(why);
  }
  std::string in;
  Reply r;
  AnswerReader reader;
  for (;;) {
    auto p = reader.feed(in, r.body);
    in.erase(0, p.consumed);
    if (p.status == ParseStatus::Error)
      return Result<Reply>::failure(reader.error());
    if (reader.stage() == AnswerReader::Stage::Continue) {
      // 100 Continue: the service wants the rest of a previewed body (once).
      if (!rest)
        return Result<Reply>::failure("100 Continue without a preview to continue");
      if (!sendAll(lease.fd, *rest, deadline, why))
        return Result<Reply>::failure("sending the body after 100 Continue: " + why);
      rest = nullptr;
      reader.afterContinue();
      continue;
    }
    if (reader.stage() == AnswerReader::Stage::Done)
      break;
    if (r.body.size() > maxReplyBody_)
      return Result<Reply>::failure("the encapsulated body is longer than max_reply_body");
    long n = readSome(lease.fd, in, deadline, why);
    if (n <= 0) {
      stale = lease.reused && n == 0 && reader.consumed() == 0 && in.empty();
      return Result<Reply>::failure(n == 0 ? "the service closed the connection" : why);
    }
  }
  r.head = reader.head();
  r.reqHdr = reader.reqHdr();
  r.resHdr = reader.resHdr();
  r.hasBody = reader.hasBody();
  clean = in.empty(); // bytes after the answer: the connection is not reused
  return r;
}

Result<Reply> Service::callOnce(const std::string& request, Clock::time_point deadline,
                                const std::string* rest) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto lease = acquire(deadline);
    if (!lease)
      return Result<Reply>::failure(lease.error());
    bool stale = false, clean = false;
    auto reply = exchange(*lease, request, rest, deadline, stale, clean);
    release(lease->fd, reply && clean && keepsConnection(reply->head));
    if (reply || !stale)
      return reply;
  }
  return Result<Reply>::failure("the service closed two connections in a row");
}

// The service's OPTIONS, asked when none are known or they expired. A reason when they cannot
// be had or do not allow this service's method.
std::optional<std::string> Service::ensureOptions(Clock::time_point deadline) {
  std::lock_guard one(optionsMutex_);
  {
    std::lock_guard lock(mutex_);
    if (options_ && Clock::now() < optionsExpire_)
      return std::nullopt;
  }
  RequestSpec spec;
  spec.method = Method::Options;
  spec.service = cfg_.uri;
  spec.allow204 = false;
  auto request = buildRequest(spec);
  if (!request)
    return "cannot build OPTIONS: " + request.error();
  auto reply = callOnce(*request, deadline);
  if (!reply)
    return "OPTIONS: " + reply.error();
  auto options = interpretOptions(reply->head);
  if (!options)
    return "OPTIONS: " + options.error();
  if (cfg_.method == Method::Reqmod && !options->reqmod)
    return "the service does not offer REQMOD (OPTIONS Methods)";
  if (cfg_.method == Method::Respmod && !options->respmod)
    return "the service does not offer RESPMOD (OPTIONS Methods)";
  std::lock_guard lock(mutex_);
  optionsExpire_ = options->optionsTtl ? Clock::now() + std::chrono::seconds(*options->optionsTtl)
                                       : Clock::time_point::max();
  options_ = std::move(*options);
  return std::nullopt;
}

std::optional<size_t> Service::previewFor(size_t size, std::string_view extension) {
  if (!cfg_.preview)
    return std::nullopt;
  std::lock_guard lock(mutex_);
  if (!options_ || !options_->preview || options_->transferFor(extension) != Transfer::Preview)
    return std::nullopt;
  return std::min(size, *options_->preview);
}

Result<Reply> Service::call(RequestSpec spec, const std::string* body, std::string_view extension) {
  requests_.fetch_add(1, std::memory_order_relaxed);
  auto deadline = Clock::now() + timeout_;
  if (auto why = ensureOptions(deadline)) {
    failed();
    return Result<Reply>::failure(*why);
  }
  spec.method = cfg_.method;
  spec.service = cfg_.uri;
  spec.body = body != nullptr;
  std::optional<size_t> preview = body ? previewFor(body->size(), extension) : std::nullopt;
  spec.preview = preview;
  auto head = buildRequest(spec);
  if (!head) {
    failed();
    return Result<Reply>::failure("cannot build the request: " + head.error());
  }
  std::string request = std::move(*head);
  std::string rest;
  if (body) {
    size_t first = preview ? *preview : body->size();
    appendChunk(request, std::string_view(*body).substr(0, first));
    // A preview that holds the whole body says so (ieof): the service must not wait for more.
    request += lastChunk(preview && first == body->size());
    if (preview && first < body->size()) {
      appendChunk(rest, std::string_view(*body).substr(first));
      rest += lastChunk();
    }
  }
  if (preview)
    previews_.fetch_add(1, std::memory_order_relaxed);
  auto reply = callOnce(request, deadline, rest.empty() ? nullptr : &rest);
  if (!reply) {
    failed();
    return reply;
  }
  int status = reply->head.status;
  if (status != 200 && status != 204) {
    failed();
    return Result<Reply>::failure("ICAP status " + std::to_string(status) + " " +
                                  reply->head.reason);
  }
  succeeded();
  return reply;
}

void Service::failed() {
  failures_.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard lock(mutex_);
  if (cfg_.failureLimit && ++failuresInARow_ >= cfg_.failureLimit) {
    suspendedUntil_ = Clock::now() + cfg_.revivalDelay;
    failuresInARow_ = 0;
    options_.reset(); // asked again when it comes back
  }
}

void Service::succeeded() {
  std::lock_guard lock(mutex_);
  failuresInARow_ = 0;
}

bool Service::suspended() const {
  std::lock_guard lock(mutex_);
  return Clock::now() < suspendedUntil_;
}

std::string Service::statusJson() const {
  std::string istag;
  bool down = suspended();
  {
    std::lock_guard lock(mutex_);
    if (options_)
      istag = options_->istag;
  }
  return sdk::concat("{\"name\":", sdk::jsonString(cfg_.name), ",\"uri\":",
                     sdk::jsonString("icap://" + cfg_.uri.host + ":" +
                                     std::to_string(cfg_.uri.port) + cfg_.uri.path),
                     ",\"istag\":", sdk::jsonString(istag),
                     ",\"requests\":", std::to_string(requests_.load()),
                     ",\"failures\":", std::to_string(failures_.load()),
                     ",\"previews\":", std::to_string(previews_.load()),
                     ",\"streamed\":", std::to_string(streamed_.load()),
                     ",\"suspended\":", down ? "true" : "false", "}");
}

} // namespace exaproxy::icap
