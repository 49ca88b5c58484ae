#include "proxy/body_codec.h"

#include "http/header_map.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace exaproxy::proxy {

namespace {

constexpr size_t kOutStep = 16 * 1024;
// Most output of one decode() call: a piece of a compression bomb (64 KiB can hold 64 MiB)
// never becomes one big allocation; the rest comes on the next calls.
constexpr size_t kMaxStep = 256 * 1024;
// Below this many decoded bytes the ratio is not judged: small, very regular pages (a page of
// one repeated line) compress far better than 100:1 and are no threat.
constexpr uint64_t kRatioFloor = 1024 * 1024;

void judgeBounds(uint64_t in, uint64_t out, uint64_t maxDecoded, uint64_t maxRatio,
                 std::string& why) {
  if (out > maxDecoded)
    why = "the decoded content exceeds " + std::to_string(maxDecoded) + " bytes";
  else if (out > kRatioFloor && out / std::max<uint64_t>(in, 1) > maxRatio)
    why = "the content decodes to more than " + std::to_string(maxRatio) + " times its size";
}

// zlib counts in uInt: feed it at most this much per call.
uInt chunkOf(size_t n) { return static_cast<uInt>(std::min<size_t>(n, 1u << 30)); }

} // namespace

std::optional<Coding> codingOf(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t'))
    v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t'))
    v.remove_suffix(1);
  if (http::iequals(v, "gzip") || http::iequals(v, "x-gzip"))
    return Coding::Gzip;
  if (http::iequals(v, "deflate"))
    return Coding::Deflate;
  return std::nullopt;
}

const char* codingName(Coding c) { return c == Coding::Gzip ? "gzip" : "deflate"; }

struct BodyDecoder::State {
  z_stream z{};
  bool open = false;
  bool finished = false; // the (last) stream ended
  Coding coding;
  uint64_t maxDecoded, maxRatio;
  uint64_t in = 0, out = 0;
  std::string head;    // deflate: the first two bytes, to tell zlib-wrapped from raw
  std::string pending; // input not decoded yet (a call stops after kMaxStep bytes of output)
  bool more = false;   // zlib may have more output for the input it has
  std::string overLimit;
  bool lifted = false;

  ~State() {
    if (open)
      inflateEnd(&z);
  }
  void judgeNow() {
    if (!lifted && overLimit.empty())
      judgeBounds(in, out, maxDecoded, maxRatio, overLimit);
  }
  bool openWith(int windowBits) {
    if (inflateInit2(&z, windowBits) != Z_OK)
      return false;
    open = true;
    return true;
  }
};

BodyDecoder::BodyDecoder(Coding coding, uint64_t maxDecoded, uint64_t maxRatio)
    : s_(std::make_unique<State>()) {
  s_->coding = coding;
  s_->maxDecoded = maxDecoded;
  s_->maxRatio = maxRatio;
  if (coding == Coding::Gzip && !s_->openWith(16 + MAX_WBITS))
    throw std::runtime_error("zlib: inflateInit2 failed");
}

BodyDecoder::~BodyDecoder() = default;

std::string BodyDecoder::decode(std::string_view in, bool end, std::string& out) {
  State& s = *s_;
  s.in += in.size();
  s.pending.append(in);
  if (!s.open) {
    // "deflate" is the zlib format (RFC 1950) by the letter, raw deflate (RFC 1951) by many
    // servers: a zlib header is two bytes whose value is a multiple of 31, method 8.
    if (s.pending.size() < 2 && !end)
      return "";
    auto b0 = static_cast<unsigned char>(s.pending.empty() ? 0 : s.pending[0]);
    auto b1 = static_cast<unsigned char>(s.pending.size() > 1 ? s.pending[1] : 0);
    bool zlibHeader = s.pending.size() >= 2 && (b0 & 0x0f) == 8 && (b0 * 256 + b1) % 31 == 0;
    if (!s.openWith(zlibHeader ? MAX_WBITS : -MAX_WBITS))
      return "zlib: inflateInit2 failed";
  }
  size_t used = 0;
  size_t made = 0;
  s.more = false;
  while (used < s.pending.size() || s.more) {
    if (s.finished) {
      if (s.coding == Coding::Deflate) {
        used = s.pending.size(); // bytes after the end of a deflate stream: ignored, as browsers do
        break;
      }
      inflateReset(&s.z); // gzip: another member follows (RFC 1952 2.2)
      s.finished = false;
    }
    if (made >= kMaxStep) {
      s.more = true; // the rest on the next call: one call makes a bounded amount
      break;
    }
    size_t at = out.size();
    out.resize(at + kOutStep);
    s.z.next_in = reinterpret_cast<Bytef*>(s.pending.data() + used);
    s.z.avail_in = chunkOf(s.pending.size() - used);
    s.z.next_out = reinterpret_cast<Bytef*>(out.data() + at);
    s.z.avail_out = static_cast<uInt>(kOutStep);
    size_t before = s.z.avail_in;
    int rc = inflate(&s.z, Z_NO_FLUSH);
    size_t got = kOutStep - s.z.avail_out;
    used += before - s.z.avail_in;
    out.resize(at + got);
    made += got;
    s.out += got;
    if (rc == Z_STREAM_END)
      s.finished = true;
    else if (rc != Z_OK && rc != Z_BUF_ERROR)
      return std::string("the ") + codingName(s.coding) + " content is corrupt" +
             (s.z.msg ? std::string(" (") + s.z.msg + ")" : std::string());
    s.judgeNow();
    // zlib may hold output the buffer had no room for: ask again before taking more input.
    s.more = got == kOutStep && !s.finished;
    if (rc == Z_BUF_ERROR && got == 0)
      break; // no progress without more input
  }
  s.pending.erase(0, used);
  if (end && !hasPending() && !s.finished)
    return std::string("the ") + codingName(s.coding) + " content ends before its stream does";
  return "";
}

bool BodyDecoder::hasPending() const { return s_->more || (!s_->pending.empty() && !s_->finished); }

const std::string& BodyDecoder::overLimit() const { return s_->overLimit; }

void BodyDecoder::lift() {
  s_->lifted = true;
  s_->overLimit.clear();
}

struct BodyEncoder::State {
  z_stream z{};
  bool open = false;
  ~State() {
    if (open)
      deflateEnd(&z);
  }
};

BodyEncoder::BodyEncoder(Coding coding) : s_(std::make_unique<State>()) {
  int bits = coding == Coding::Gzip ? 16 + MAX_WBITS : MAX_WBITS;
  // Level 1: what goes out is read once by a browser; the proxy's CPU is the scarce part.
  if (deflateInit2(&s_->z, 1, Z_DEFLATED, bits, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("zlib: deflateInit2 failed");
  s_->open = true;
}

BodyEncoder::~BodyEncoder() = default;

void BodyEncoder::encode(std::string_view in, bool end, std::string& out) {
  z_stream& z = s_->z;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = chunkOf(in.size());
  int flush = end ? Z_FINISH : Z_SYNC_FLUSH;
  if (in.empty() && !end)
    return; // nothing to flush: a sync flush would only add an empty block
  for (;;) {
    size_t at = out.size();
    size_t room = deflateBound(&z, z.avail_in) + 64;
    out.resize(at + room);
    z.next_out = reinterpret_cast<Bytef*>(out.data() + at);
    z.avail_out = static_cast<uInt>(room);
    int rc = deflate(&z, flush);
    out.resize(at + room - z.avail_out);
    if (rc == Z_STREAM_END || (z.avail_in == 0 && z.avail_out > 0 && !end))
      return;
    if (rc != Z_OK && rc != Z_BUF_ERROR)
      throw std::runtime_error("zlib: deflate failed");
  }
}

} // namespace exaproxy::proxy
