// ABI glue of the ICAP client. REQMOD: a request that a service's rules take is sent to it from
// the host's worker pool (blocking I/O there, never on a loop) while the transaction waits
// (PENDING). 204 passes the request, a modified request head rewrites it (a modified body
// replaces the body), an HTTP response is the client's answer (a block page). RESPMOD: the
// response goes with both heads; 204 passes it, the same head with a body replaces the body,
// another response replaces the response. A body (an upload, a response) whose Content-Length is
// at most [icap] hold_max is held by the host to its end and sent whole; a longer one, or one of
// unknown length, streams through the service piece by piece (icap_stream: one PENDING per piece,
// the service's answer read as it comes). A failure bypasses the service or refuses with 503, as
// its `bypass` says (a streamed body that went on without a copy cannot be bypassed). The wire
// format is icap_core's; the connections and OPTIONS are icap_service's.
#include "config_problem.h"
#include "icap_chunked.h"
#include "icap_config.h"
#include "icap_http.h"
#include "icap_service.h"
#include "icap_stream.h"

#include <exaproxy/plugin.hpp>
#include <exaproxy/text.hpp>

#include <map>
#include <memory>

namespace sdk = exaproxy::sdk;

namespace exaproxy::icap {
namespace {

std::shared_ptr<const ClientConfig> readConfig(const sdk::Host& host) {
  try {
    return parseClientConfig(host.settings());
  } catch (const common::ConfigFailure& f) {
    throw sdk::ConfigError(f.index(), f.message()); // the host prefixes file:line itself
  }
}

// Fields the host owns (a verdict may not edit them): a service's changes to them are dropped.
bool hostOwned(std::string_view name) {
  for (std::string_view owned : {"host", "content-length", "transfer-encoding"})
    if (sdk::equalsIgnoreCase(name, owned))
      return true;
  return false;
}

// The fields by lower-case name: the name as first written, and every value in order.
struct Named {
  std::string name;
  std::vector<std::string> values;
};
std::map<std::string, Named> byName(const std::vector<HeaderField>& fields) {
  std::map<std::string, Named> out;
  for (const auto& f : fields) {
    Named& n = out[sdk::lower(f.name)];
    if (n.name.empty())
      n.name = f.name;
    n.values.push_back(f.value);
  }
  return out;
}

// What a request carries for a body: a Content-Length above 0 or a Transfer-Encoding.
bool hasBody(const std::vector<HeaderField>& fields) {
  for (const auto& f : fields) {
    if (sdk::equalsIgnoreCase(f.name, "transfer-encoding"))
      return true;
    if (sdk::equalsIgnoreCase(f.name, "content-length") && f.value != "0")
      return true;
  }
  return false;
}

// The Content-Length of a message, when it has one (and no Transfer-Encoding).
std::optional<uint64_t> contentLength(const std::vector<HeaderField>& fields) {
  std::optional<uint64_t> length;
  for (const auto& f : fields) {
    if (sdk::equalsIgnoreCase(f.name, "transfer-encoding"))
      return std::nullopt;
    if (sdk::equalsIgnoreCase(f.name, "content-length"))
      length = parseDecimal(f.value, UINT64_MAX);
  }
  return length;
}

// The per-transaction state: the upload held for a REQMOD service, the response for a RESPMOD
// one (each with the HTTP heads and caller fields sent with the body at its end), or the
// exchange a streamed body goes through.
struct Held {
  std::shared_ptr<Stream> upload;   // REQMOD, a streamed request body
  std::shared_ptr<Stream> download; // RESPMOD, a streamed response body
  Service* service = nullptr;       // REQMOD, the request's body
  std::string httpHead;
  std::vector<HeaderField> extra;
  Service* respService = nullptr; // RESPMOD, the response's body
  std::string requestHead;        // sent as req-hdr with it
  std::string responseHead;       // res-hdr
  std::vector<HeaderField> respExtra;
  int status = 0;
  std::map<std::string, Named> responseFields;
};

std::vector<HeaderField> fieldsOf(sdk::Headers headers) {
  std::vector<HeaderField> fields;
  for (size_t i = 0; i < headers.size(); ++i) {
    auto [name, value] = headers.at(i);
    fields.push_back({std::string(name), std::string(value)});
  }
  return fields;
}

class IcapPlugin : public sdk::Plugin {
public:
  explicit IcapPlugin(sdk::Host& host) : Plugin(host), config_(readConfig(host)) {
    for (const auto& s : config_->services)
      services_.push_back(std::make_unique<Service>(s, config_->timeout, config_->maxReplyBody));
    // A REQMOD service may send the request back modified (its URL, its fields).
    host.declareTraits(services_.empty() ? 0u : uint32_t{EXAPROXY_TRAIT_EDITS_REQUEST});
    requests_ = host.counter("requests", "requests sent to an ICAP service");
    unmodified_ = host.counter("unmodified", "answered 204: the request passes as it was");
    rewritten_ = host.counter("rewritten", "requests a service modified");
    answered_ = host.counter("answered", "requests a service answered itself (a block page)");
    failures_ = host.counter("failures", "exchanges that failed (unreachable, timeout, errors)");
    bypassed_ = host.counter("bypassed", "failed or suspended exchanges passed (bypass = on)");
    refused_ = host.counter("refused", "failed or suspended exchanges refused (bypass = off)");
  }

  sdk::Verdict onRequest(sdk::Txn& tx) override {
    if (tx.isConnect())
      return sdk::Verdict::next(); // a tunnel's bytes are encrypted: nothing to adapt
    auto fields = fieldsOf(tx.requestHeaders());
    Service* service = choose(tx, Method::Reqmod, fields);
    if (!service)
      return sdk::Verdict::next();
    if (service->suspended())
      return failure(*service, "suspended after failure_limit failures in a row");
    std::string httpHead = encapsulatedRequestHead(tx.method(), tx.url(), fields);
    auto extra = callerFields(tx);
    if (hasBody(fields)) {
      // The body comes through onBody: held to its end and sent with the head, or streamed.
      if (!tx.wantBody(sdk::Message::Request))
        return failure(*service, "the host cannot give the request body");
      Held& h = state(tx);
      h.service = service;
      if (streams(fields)) {
        // The service's modified request streams back as the body; its head is not applied.
        h.upload = std::make_shared<Stream>(
            *service, std::move(httpHead), std::string(), std::move(extra), extensionOf(tx.url()),
            [](const AnswerReader& r) {
              return !r.reqHdr().empty() && r.resHdr().empty() && r.hasBody();
            });
        return sdk::Verdict::next();
      }
      h.httpHead = std::move(httpHead);
      h.extra = std::move(extra);
      return sdk::Verdict::next();
    }
    Job job{service,
            std::move(httpHead),
            {},
            std::move(extra),
            extensionOf(tx.url()),
            std::string(tx.url()),
            byName(fields),
            {},
            {}};
    return ask(tx, std::move(job));
  }

  sdk::Verdict onResponse(sdk::Txn& tx) override {
    // A RESPMOD service is chosen on the response (its content type and length are known now);
    // its body comes through onBody, and goes with both heads.
    auto fields = fieldsOf(tx.responseHeaders());
    Service* resp = tx.isConnect() ? nullptr : choose(tx, Method::Respmod, fields);
    if (!resp)
      return sdk::Verdict::next();
    if (!tx.wantBody(sdk::Message::Response))
      return failure(*resp, "the host cannot give the response body");
    Held* h = &state(tx);
    h->respService = resp;
    h->requestHead = encapsulatedRequestHead(tx.method(), tx.url(), fieldsOf(tx.requestHeaders()));
    h->respExtra = callerFields(tx);
    h->status = tx.status();
    h->responseHead = encapsulatedResponseHead(h->status, fields);
    h->responseFields = byName(fields);
    if (streams(fields)) {
      if (h->respService->suspended())
        return failure(*h->respService, "suspended after failure_limit failures in a row");
      // The service's answer streams back when it keeps the origin's status and fields.
      Job::Response origin{h->status, h->responseFields};
      h->download = std::make_shared<Stream>(
          *h->respService, h->requestHead, h->responseHead, h->respExtra, extensionOf(tx.url()),
          [origin = std::move(origin)](const AnswerReader& r) {
            if (r.resHdr().empty() || !r.reqHdr().empty() || !r.hasBody())
              return false;
            auto head = parseHttpHead(r.resHdr(), true);
            return head && sameResponse(origin, *head);
          });
    }
    return sdk::Verdict::next();
  }

  sdk::Verdict onBody(sdk::Txn& tx, sdk::Message which, std::string_view data, bool end) override {
    Held* held = tx.data<Held>();
    bool request = which == sdk::Message::Request;
    Service* service = !held ? nullptr : request ? held->service : held->respService;
    if (!service)
      return sdk::Verdict::next();
    if (const auto& stream = request ? held->upload : held->download)
      return streamPiece(tx, stream, *service, data, end);
    if (!end)
      return sdk::Verdict::hold();
    if (service->suspended())
      return failure(*service, "suspended after failure_limit failures in a row");
    std::string body(tx.bodyHeld());
    body.append(data);
    Job job = request ? Job{service, held->httpHead,  {}, held->extra, extensionOf(tx.url()), {},
                            {},      std::move(body), {}}
                      : Job{service,
                            held->requestHead,
                            held->responseHead,
                            held->respExtra,
                            extensionOf(tx.url()),
                            {},
                            {},
                            std::move(body),
                            {}};
    if (!request)
      job.response = Job::Response{held->status, held->responseFields};
    return ask(tx, std::move(job));
  }

  std::string status() const override {
    std::string out = "{\"services\":[";
    for (size_t i = 0; i < services_.size(); ++i)
      out += (i ? "," : "") + services_[i]->statusJson();
    return out + "]}";
  }

private:
  using Original = std::map<std::string, Named>;

  // A body longer than hold_max, or of unknown length, streams through the service.
  bool streams(const std::vector<HeaderField>& fields) const {
    auto length = contentLength(fields);
    return !length || *length > config_->holdMax;
  }

  // One piece of a streamed body: held while a preview gathers, else sent from a worker.
  sdk::Verdict streamPiece(sdk::Txn& tx, const std::shared_ptr<Stream>& stream, Service& service,
                           std::string_view data, bool end) {
    if (stream->passed() || stream->broken()) // 204 to the preview; or bypassed after a failure
      return sdk::Verdict::next();
    std::string_view held = tx.bodyHeld();
    if (stream->gathering(held.size() + data.size(), end))
      return sdk::Verdict::hold();
    if (stream->fresh())
      host().add(requests_);
    std::string piece;
    piece.reserve(held.size() + data.size());
    piece.append(held).append(data);
    sdk::Pending pending = tx.pending();
    bool queued =
        host().submit(nullptr, [this, pending, stream, &service, piece = std::move(piece), end] {
          pending.complete(verdictForStep(service, stream->feed(piece, end), end));
        });
    if (!queued) {
      bool late = stream->gone();
      stream->abandon();
      return failure(service, "no worker to send the body", late);
    }
    return sdk::Verdict::pending();
  }

  sdk::Verdict verdictForStep(const Service& service, Stream::Step step, bool end) {
    using Kind = Stream::Step::Kind;
    switch (step.kind) {
    case Kind::Hold:
      return sdk::Verdict::hold();
    case Kind::Pass:
      host().add(unmodified_);
      return sdk::Verdict::next();
    case Kind::Output: {
      auto v = sdk::Verdict::replaceBody(std::move(step.out));
      if (end) {
        host().add(rewritten_);
        v.note("icap", service.config().name + ":rewritten", true);
      }
      return v;
    }
    case Kind::Answer: {
      auto head = parseHttpHead(step.reply.resHdr, true);
      if (step.reply.resHdr.empty() || !head)
        return failure(service,
                       "an answer a streamed body cannot take" +
                           (head ? std::string() : ": " + head.error()),
                       true);
      return answerWith(service, *head, step.reply.body);
    }
    case Kind::Failed:
      break;
    }
    return failure(service, step.why, step.late);
  }

  static Held& state(sdk::Txn& tx) {
    Held* h = tx.data<Held>();
    return h ? *h : tx.emplaceData<Held>();
  }

  // The service whose rules take this transaction's message with these fields (REQMOD: the
  // request's; RESPMOD: the response's).
  Service* choose(sdk::Txn& tx, Method method, const std::vector<HeaderField>& fields) const {
    BodyFacts body;
    body.length = contentLength(fields);
    if (const std::string* type = findField(fields, "content-type")) {
      std::string_view media = *type;
      media = media.substr(0, media.find(';'));
      while (!media.empty() && (media.back() == ' ' || media.back() == '\t'))
        media.remove_suffix(1);
      body.contentType = sdk::lower(media);
    }
    const ServiceConfig* cfg = chooseService(*config_, method, tx.method(), tx.host(), body);
    for (const auto& s : services_)
      if (cfg && s->config().name == cfg->name)
        return s.get();
    return nullptr;
  }

  std::vector<HeaderField> callerFields(sdk::Txn& tx) const {
    std::vector<HeaderField> extra;
    if (config_->sendClientIp && !tx.clientAddress().empty())
      extra.push_back({"X-Client-IP", std::string(tx.clientAddress())});
    if (config_->sendUser && !tx.user().empty())
      extra.push_back({"X-Client-Username", std::string(tx.user())});
    return extra;
  }

  // The file extension of a URL's path ("exe" for /a/setup.EXE?x), lower case; "" when none:
  // what OPTIONS' Transfer-Preview / -Ignore / -Complete lists are about.
  static std::string extensionOf(std::string_view url) {
    std::string_view path = url.substr(0, url.find_first_of("?#"));
    if (auto scheme = path.find("://"); scheme != std::string_view::npos)
      path.remove_prefix(std::min(path.size(), path.find('/', scheme + 3)));
    std::string_view last = path.substr(path.rfind('/') + 1);
    auto dot = last.rfind('.');
    return dot == std::string_view::npos ? std::string() : sdk::lower(last.substr(dot + 1));
  }

  // One exchange to send: the encapsulated heads, the caller's fields, the held body, and what
  // its answer is compared with.
  struct Job {
    Service* service = nullptr;
    std::string reqHdr; // the encapsulated HTTP request head (REQMOD; RESPMOD: for the service)
    std::string resHdr; // RESPMOD: the origin's response head
    std::vector<HeaderField> extra;
    std::string extension; // of the URL's path (Transfer-* lists)
    std::string url;       // REQMOD without body: the request's URL and fields
    Original original;
    std::optional<std::string> body; // the held body (REQMOD with body, RESPMOD)
    struct Response {
      int status = 0;
      Original fields;
    };
    std::optional<Response> response; // RESPMOD: the origin's status and fields
  };

  // Sends it from a worker; the verdict completes the transaction's PENDING.
  sdk::Verdict ask(sdk::Txn& tx, Job job) {
    sdk::Pending pending = tx.pending();
    host().add(requests_);
    Service& service = *job.service;
    bool queued = host().submit(nullptr, [this, pending, job = std::move(job)] {
      RequestSpec spec;
      spec.reqHdr = job.reqHdr;
      spec.resHdr = job.resHdr;
      spec.extraFields = job.extra;
      auto reply = job.service->call(spec, job.body ? &*job.body : nullptr, job.extension);
      pending.complete(reply ? verdictFor(job, *reply) : failure(*job.service, reply.error()));
    });
    if (!queued)
      return failure(service, "no worker to send the request");
    return sdk::Verdict::pending();
  }

  sdk::Verdict verdictFor(const Job& job, const Reply& reply) {
    const Service& service = *job.service;
    const auto& body = job.body;
    if (reply.head.status == 204) {
      host().add(unmodified_);
      return sdk::Verdict::next();
    }
    if (job.response && !reply.reqHdr.empty())
      return failure(service, "a request head in answer to RESPMOD");
    if (!reply.resHdr.empty()) { // the service answers the client itself
      auto head = parseHttpHead(reply.resHdr, true);
      if (!head)
        return failure(service, "the encapsulated response: " + head.error());
      if (job.response && sameResponse(*job.response, *head)) { // only the body may differ
        host().add(rewritten_);
        return sdk::Verdict::replaceBody(reply.hasBody ? reply.body : *body)
            .note("icap", service.config().name + ":rewritten", true);
      }
      return answerWith(service, *head, reply.body);
    }
    if (reply.reqHdr.empty())
      return failure(service, "a 200 answer without an encapsulated head");
    auto head = parseHttpHead(reply.reqHdr, false);
    if (!head)
      return failure(service, "the encapsulated request: " + head.error());
    host().add(rewritten_);
    if (body) // the head went with the body: the body is what can still change
      return sdk::Verdict::replaceBody(reply.hasBody ? reply.body : *body)
          .note("icap", service.config().name + ":rewritten", true);
    if (reply.hasBody && !reply.body.empty())
      return failure(service, "a body added to a request that had none");
    auto v = sdk::Verdict::rewrite();
    if (head->target != job.url)
      v.url(head->target);
    auto now = byName(head->fields);
    for (const auto& [key, field] : now) {
      if (hostOwned(key))
        continue;
      auto was = job.original.find(key);
      if (was != job.original.end() && was->second.values == field.values)
        continue;
      v.removeRequestHeader(field.name);
      for (const auto& value : field.values)
        v.addRequestHeader(field.name, value);
    }
    for (const auto& [key, field] : job.original)
      if (!hostOwned(key) && !now.count(key))
        v.removeRequestHeader(field.name);
    return v.note("icap", service.config().name + ":rewritten", true);
  }

  // The service's own response (a block page) answers the client.
  sdk::Verdict answerWith(const Service& service, const HttpHead& head, const std::string& body) {
    host().add(answered_);
    const std::string* type = head.field("content-type");
    auto v = sdk::Verdict::respond(head.status, body, type ? *type : "text/html");
    for (const auto& f : head.fields)
      if (!hostOwned(f.name) && !sdk::equalsIgnoreCase(f.name, "content-type") &&
          !sdk::equalsIgnoreCase(f.name, "connection"))
        v.header(f.name, f.value);
    return v.note("icap", service.config().name + ":answered", true);
  }

  // The adapted response has the origin's status and fields (framing aside): only its body may
  // have changed, and it can replace the body alone.
  static bool sameResponse(const Job::Response& origin, const HttpHead& adapted) {
    if (origin.status != adapted.status)
      return false;
    auto now = byName(adapted.fields);
    // Framing, and the Via a service adds for itself (c-icap does; the proxy writes its own).
    auto framing = [](const std::string& key) {
      return hostOwned(key) || key == "connection" || key == "keep-alive" || key == "via";
    };
    for (const auto& [key, field] : now)
      if (!framing(key) &&
          (!origin.fields.count(key) || origin.fields.at(key).values != field.values))
        return false;
    for (const auto& [key, field] : origin.fields)
      if (!framing(key) && !now.count(key))
        return false;
    return true;
  }

  // `late`: part of a streamed body went to the service without a copy; passing the rest would
  // deliver a truncated body, so even a bypass = on service refuses (or the connection is cut).
  sdk::Verdict failure(const Service& service, const std::string& why, bool late = false) const {
    host().add(failures_);
    host().log(sdk::Level::Warn, "icap service " + service.config().name + ": " + why +
                                     (late && service.config().bypass
                                          ? " (not bypassed: part of the body had gone to it)"
                                          : ""));
    if (service.config().bypass && !late) {
      host().add(bypassed_);
      return sdk::Verdict::next().note("icap", service.config().name + ":bypassed", true);
    }
    host().add(refused_);
    return sdk::Verdict::deny("The content filter (ICAP service " + service.config().name +
                                  ") is unavailable: " + why,
                              503);
  }

  std::shared_ptr<const ClientConfig> config_;
  std::vector<std::unique_ptr<Service>> services_;
  int32_t requests_ = -1, unmodified_ = -1, rewritten_ = -1, answered_ = -1, failures_ = -1,
          bypassed_ = -1, refused_ = -1;
};

} // namespace
} // namespace exaproxy::icap

EXAPROXY_PLUGIN(exaproxy::icap::IcapPlugin, "icap", "0.1.0", "ExaProxy",
                "ICAP/1.0 client (REQMOD, RESPMOD): c-icap or any RFC 3507 service")
