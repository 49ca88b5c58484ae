// body17: a test plugin for the ABI 1.7 body hooks, written with the C++ SDK (Txn::wantBody,
// Plugin::onBody, Verdict::replaceBody / hold, Txn::bodyHeld). It asks for the response body (or
// the request's, or both) of every request whose path does not contain "nobody", in onRequest (or
// in onResponse with `ask = response`). Settings (any section):
//   mode = pass         every piece passes (next())
//          replace      `from` -> `to` everywhere, a word cut by a piece's end included (the
//                       unfinished tail is kept with replaceBody's `keep`)
//          block        holds the first 64 bytes (or the whole body when shorter), then denies
//                       when they contain `from`, else passes them on
//          holdall      holds everything; at the end sends it with `to` appended
//          error        answers error() on the first piece
//          throw        throws on the first piece
//          holdforever  holds every piece, the last one included
//          late         passes the first piece, then denies on the second
//          pending      answers pending() and completes from a thread of its own ~20 ms later
//                       with the piece's `from` replaced by `to` (words cut by a piece's end
//                       are not looked for)
//          pendingdrop  answers pending() and completes ~20 ms later dropping the piece (no
//                       output), and at the end with "dropped <bytes seen>"
//          pendingforever  takes the handle, answers pending() and never completes
//          nohandle     answers pending() without taking the handle
//   from = word, to = text
//   ask = request | response   where wantBody is called (default request)
//   body = response | request | both   whose body it asks for (default response)
//   decoded = on | plain       ask for the body decoded (EXAPROXY_WANT_DECODED), and with plain
//                              sent on decoded (EXAPROXY_WANT_PLAIN)
// Each onBody call adds one to the metric "calls" and the piece's size to "bytes".
#include <exaproxy/plugin.hpp>

#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace exaproxy::sdk;

namespace {

class Body17 : public Plugin {
public:
  explicit Body17(Host& host) : Plugin(host) {
    for (const auto& s : host.settings()) {
      if (s.key == "mode")
        mode_ = s.value;
      else if (s.key == "from")
        from_ = s.value;
      else if (s.key == "to")
        to_ = s.value;
      else if (s.key == "body")
        body_ = s.value;
      else if (s.key == "ask")
        askInResponse_ = s.value == "response";
      else if (s.key == "decoded")
        flags_ = EXAPROXY_WANT_DECODED | (s.value == "plain" ? uint32_t{EXAPROXY_WANT_PLAIN} : 0u);
    }
    calls_ = host.counter("calls", "on_body calls");
    bytes_ = host.counter("bytes", "bytes seen by on_body");
  }

  Verdict onRequest(Txn& tx) override {
    if (!askInResponse_)
      ask(tx);
    return Verdict::next();
  }
  Verdict onResponse(Txn& tx) override {
    if (askInResponse_)
      ask(tx);
    return Verdict::next();
  }

  Verdict onBody(Txn& tx, Message, std::string_view data, bool end) override {
    host().add(calls_, 1);
    host().add(bytes_, static_cast<int64_t>(data.size()));
    auto* seen = tx.data<Seen>();
    if (!seen)
      seen = &tx.emplaceData<Seen>();
    ++seen->calls;
    seen->bytes += data.size();
    if (mode_ == "replace")
      return replace(tx, data, end);
    if (mode_ == "block")
      return block(tx, data, end);
    if (mode_ == "holdall") {
      if (!end)
        return Verdict::hold();
      return Verdict::replaceBody(std::string(tx.bodyHeld()) + std::string(data) + to_);
    }
    if (mode_ == "error")
      return Verdict::error("broken on purpose");
    if (mode_ == "throw")
      throw std::runtime_error("thrown on purpose");
    if (mode_ == "holdforever")
      return Verdict::hold();
    if (mode_ == "late" && seen->calls >= 2)
      return Verdict::deny("too late to block");
    if (mode_ == "pending") {
      Pending handle = tx.pending();
      std::lock_guard<std::mutex> lock(mutex_);
      threads_.emplace_back([this, handle, piece = std::string(data)] {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        handle.complete(Verdict::replaceBody(replaceAll(piece)));
      });
      return Verdict::pending();
    }
    if (mode_ == "pendingdrop") {
      Pending handle = tx.pending();
      std::string out = end ? "dropped " + std::to_string(seen->bytes) : std::string();
      std::lock_guard<std::mutex> lock(mutex_);
      threads_.emplace_back([handle, out] {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        handle.complete(Verdict::replaceBody(out));
      });
      return Verdict::pending();
    }
    if (mode_ == "pendingforever") {
      tx.pending();
      return Verdict::pending();
    }
    if (mode_ == "nohandle")
      return Verdict::pending();
    return Verdict::next();
  }

  ~Body17() override {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& t : threads_)
      t.join();
  }

private:
  struct Seen {
    int calls = 0;
    uint64_t bytes = 0;
  };

  void ask(Txn& tx) {
    if (tx.path().find("nobody") != std::string_view::npos)
      return;
    if (body_ != "request" && !tx.wantBody(Message::Response, flags_))
      host().log(Level::Warn, "wantBody refused");
    if (body_ != "response" && !tx.wantBody(Message::Request, flags_))
      host().log(Level::Warn, "wantBody(request) refused");
  }

  Verdict replace(Txn& tx, std::string_view data, bool end) {
    std::string text(tx.bodyHeld());
    text.append(data);
    size_t limit = end                           ? text.size()
                   : text.size() >= from_.size() ? text.size() - from_.size() + 1
                                                 : 0;
    std::string out;
    size_t i = 0;
    while (i < limit) {
      if (text.compare(i, from_.size(), from_) == 0) {
        out += to_;
        i += from_.size();
      } else {
        out += text[i++];
      }
    }
    return Verdict::replaceBody(std::move(out), text.substr(i));
  }

  std::string replaceAll(const std::string& text) const {
    std::string out;
    for (size_t i = 0; i < text.size();) {
      if (text.compare(i, from_.size(), from_) == 0) {
        out += to_;
        i += from_.size();
      } else {
        out += text[i++];
      }
    }
    return out;
  }

  Verdict block(Txn& tx, std::string_view data, bool end) {
    std::string seen(tx.bodyHeld());
    seen.append(data);
    if (seen.size() < 64 && !end)
      return Verdict::hold();
    if (seen.find(from_) != std::string::npos)
      return Verdict::deny("the body contains " + from_);
    return Verdict::next();
  }

  std::string mode_ = "pass", from_ = "origin", to_ = "ORIGIN", body_ = "response";
  bool askInResponse_ = false;
  uint32_t flags_ = 0;
  std::mutex mutex_;
  std::vector<std::thread> threads_;
  int32_t calls_ = -1, bytes_ = -1;
};

} // namespace

EXAPROXY_PLUGIN(Body17, "body17", "1.0.0", "ExaProxy tests", "ABI 1.7 body hooks under test")
