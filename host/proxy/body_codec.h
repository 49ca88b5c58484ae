// The Content-Encoding of a body that plugins read decoded (ABI 1.7, EXAPROXY_BODY_DECODED):
// gzip and deflate through zlib, piece by piece. Decoding is bounded — a total and a ratio of
// decoded to encoded bytes — so a compression bomb costs no more memory than a plain body of
// that size. Encoding flushes each piece (Z_SYNC_FLUSH), so the client gets data as it comes.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace exaproxy::proxy {

enum class Coding { Gzip, Deflate };

// The coding a Content-Encoding value names, when it is one this host decodes: "gzip",
// "x-gzip" or "deflate", alone (case-insensitive, spaces around). Anything else (br, compress,
// a list of several codings, identity) is nullopt.
std::optional<Coding> codingOf(std::string_view contentEncoding);
const char* codingName(Coding c);

class BodyDecoder {
public:
  BodyDecoder(Coding coding, uint64_t maxDecoded, uint64_t maxRatio);
  ~BodyDecoder();
  BodyDecoder(const BodyDecoder&) = delete;
  BodyDecoder& operator=(const BodyDecoder&) = delete;

  // Appends what `in` (after what is left from the last call) decodes to, at most about 256 KiB
  // per call. `end`: no more input follows (a stream cut short is an error once nothing is
  // pending). Returns an empty string, or what is wrong with the data (corrupt, cut short).
  std::string decode(std::string_view in, bool end, std::string& out);
  // A bound was crossed (the piece is still decoded whole): why, else empty. lift() drops the
  // bounds (the operator's on_error = allow).
  const std::string& overLimit() const;
  void lift();
  // Input or output is left over from the last call (it stopped after a bounded amount):
  // call decode() again (with no new input) before taking more.
  bool hasPending() const;

private:
  struct State;
  std::unique_ptr<State> s_;
};

class BodyEncoder {
public:
  explicit BodyEncoder(Coding coding);
  ~BodyEncoder();
  BodyEncoder(const BodyEncoder&) = delete;
  BodyEncoder& operator=(const BodyEncoder&) = delete;

  // Appends `in` encoded, flushed; `end` finishes the stream (its trailer).
  void encode(std::string_view in, bool end, std::string& out);

private:
  struct State;
  std::unique_ptr<State> s_;
};

} // namespace exaproxy::proxy
