// One ICAP client connection of the ICAP server (icap_server.h): reads ICAP requests one after
// the other (OPTIONS, REQMOD), runs each REQMOD's encapsulated HTTP request through the plugin
// chain, and answers as icap_answer.h maps the verdict. Everything on loop 0.
//
// RESPMOD (the service whose URI ends in "respmod", icap_respmod.cpp) goes the same way with the
// encapsulated response: the request hooks, then the response hooks on its head, then, for the
// plugins that asked for it, the body hooks on its body (read whole after 100 Continue).
//
// A REQMOD's states: Head (the ICAP head) -> Heads (the encapsulated HTTP head, parsed by the
// proxy's own strict request parser) -> Body (a preview, or the whole body when the client sent
// no Preview; at most [icap_server] max_body) -> Filtering (the chain, maybe PENDING) -> the
// answer; a rewrite of a request whose body was only previewed first asks for the rest (100
// Continue, Rest). Reading stops while a request is being judged (no pipelining into the chain).
#pragma once

#include "http/request_parser.h"
#include "http/response_parser.h"
#include "icap_chunked.h"
#include "icap_response.h"
#include "net/event_loop.h"
#include "net/socket.h"
#include "plugin/plugin_transaction.h"

#include <memory>
#include <optional>
#include <string>

namespace exaproxy::proxy {

class IcapServer;

class IcapSession {
public:
  IcapSession(IcapServer& server, net::Fd fd, const Endpoint& peer);
  ~IcapSession();
  IcapSession(const IcapSession&) = delete;
  IcapSession& operator=(const IcapSession&) = delete;

  void start();

private:
  enum class State { Head, Heads, Body, Filtering, Rest, Closing };

  void onIo(uint32_t events);
  void readSome();
  // Parses and acts on what was read until it needs more bytes or waits for the chain.
  void advance();
  bool readHead();
  bool readHeads();
  bool readBody(State next);
  void runChain();
  void onVerdict(plugin::Outcome&& o);
  void answerResponse(const plugin::Outcome& o, std::optional<std::string> fileBody);
  // RESPMOD (icap_respmod.cpp): the response head parsed; the response hooks; the body (whole)
  // through the body hooks; the answer.
  bool readResponseHead(std::string_view raw);
  void respmodVerdict();
  void respmodBody();
  void respmodAnswer(plugin::PluginTransaction::BodyStep&& step, std::string&& body);
  // The exchange is answered: queue `bytes`, end the transaction, read the next request.
  void finish(std::string bytes, int httpStatus);
  // An ICAP-level error: answer it and close the connection.
  void fail(int status, std::string_view why);
  // Reads (and parses what was read ahead) again, from the loop.
  void resumeReading();
  // A previewed body is needed whole: 100 Continue, then the rest is read (Rest).
  void askForTheRest();
  void flush();
  void close();
  void armIdle();
  std::string istag() const;

  IcapServer& server_;
  net::Fd fd_;
  Endpoint peer_;
  net::IoWatch watch_;
  net::Timer idle_;
  State state_ = State::Head;
  std::string in_;
  std::string out_;
  bool peerEof_ = false;

  // The request being served.
  std::optional<icap::RequestHeadParser> headParser_;
  icap::RequestHead icap_;
  http::RequestHead req_;
  std::string reqText_; // req_ as requestHeadText() wrote it before the chain
  std::string rawHead_; // the encapsulated HTTP head as received
  bool hasBody_ = false;
  bool preview_ = false; // the body so far is a preview (the client sent Preview:)
  bool ieof_ = false;    // ... and it is the whole body
  bool allow204_ = false;
  bool respmod_ = false;    // this exchange is a RESPMOD
  bool wantsBody_ = false;  // RESPMOD: a plugin reads the response body
  http::ResponseHead resp_; // RESPMOD: the encapsulated response head, edited by the hooks
  std::string rawResHead_;  // ... as received
  std::string resText_;     // ... as responseHeadText() wrote it before the hooks
  std::optional<icap::ChunkedDecoder> decoder_;
  std::string body_;
  std::string pending_; // an answer waiting for the rest of the body (Rest)
  std::unique_ptr<plugin::PluginTransaction> tx_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true); // for a file read's completion
};

} // namespace exaproxy::proxy
