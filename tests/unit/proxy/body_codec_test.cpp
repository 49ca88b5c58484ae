// proxy/body_codec: gzip and deflate (zlib-wrapped and raw) decoded piece by piece, several gzip
// members, corrupt and cut-short streams, the bounds (total and ratio) that stop a compression
// bomb, the bounded output of one call, and the encoder's output being a valid stream that
// decodes back to its input.
#include "proxy/body_codec.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

namespace exaproxy::proxy {
namespace {

// Compresses with zlib: windowBits 16+15 gzip, 15 zlib-wrapped deflate, -15 raw deflate.
std::string compress(const std::string& text, int windowBits) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 6, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&z, text.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(out.size() - z.avail_out);
  deflateEnd(&z);
  return out;
}

// Decodes `data` fed in pieces of `step` bytes, draining what each call leaves.
std::string decodeAll(BodyDecoder& d, const std::string& data, size_t step, std::string* error) {
  std::string out;
  for (size_t at = 0; at < data.size() || d.hasPending();) {
    std::string_view piece = std::string_view(data).substr(at, step);
    at += piece.size();
    bool end = at >= data.size();
    std::string bad = d.decode(piece, end, out);
    if (!bad.empty()) {
      *error = bad;
      return out;
    }
  }
  return out;
}

std::string text(size_t n) {
  std::string t;
  while (t.size() < n)
    t += "the quick brown fox " + std::to_string(t.size()) + "\n";
  t.resize(n);
  return t;
}

TEST(BodyCodec, NamesTheCodingsItDecodes) {
  EXPECT_EQ(codingOf("gzip"), Coding::Gzip);
  EXPECT_EQ(codingOf(" X-GZIP "), Coding::Gzip);
  EXPECT_EQ(codingOf("Deflate"), Coding::Deflate);
  for (const char* no : {"br", "gzip, gzip", "identity", "", "compress", "zstd", "gzip;q=1"})
    EXPECT_FALSE(codingOf(no)) << no;
}

TEST(BodyCodec, DecodesEveryFormInAnyPieces) {
  std::string t = text(300000);
  for (int bits : {16 + 15, 15, -15}) {
    for (size_t step : {size_t{1}, size_t{7}, size_t{4096}, size_t{1} << 20}) {
      if (step == 1 && bits != 15)
        continue; // byte by byte once is enough (slow under the sanitizers)
      BodyDecoder d(bits > 15 ? Coding::Gzip : Coding::Deflate, 64 << 20, 100);
      std::string error;
      EXPECT_EQ(decodeAll(d, compress(t, bits), step, &error), t) << bits << " " << step;
      EXPECT_EQ(error, "");
    }
  }
}

TEST(BodyCodec, GzipMembersFollowEachOther) {
  BodyDecoder d(Coding::Gzip, 1 << 20, 100);
  std::string error;
  EXPECT_EQ(decodeAll(d, compress("one ", 31) + compress("two", 31), 5, &error), "one two");
  EXPECT_EQ(error, "");
}

TEST(BodyCodec, CorruptAndCutShortStreamsAreErrors) {
  std::string gz = compress(text(10000), 31);
  std::string corrupt = gz;
  corrupt[20] = static_cast<char>(corrupt[20] ^ 0x55);
  corrupt[21] = static_cast<char>(corrupt[21] ^ 0x55);
  std::string error;
  BodyDecoder a(Coding::Gzip, 1 << 20, 100);
  decodeAll(a, corrupt, 100, &error);
  EXPECT_NE(error.find("corrupt"), std::string::npos) << error;
  error.clear();
  BodyDecoder b(Coding::Gzip, 1 << 20, 100);
  decodeAll(b, gz.substr(0, gz.size() / 2), 100, &error);
  EXPECT_NE(error.find("ends before its stream"), std::string::npos) << error;
}

TEST(BodyCodec, ABombCrossesItsBoundsWithBoundedOutputPerCall) {
  std::string zeros(50 << 20, '\0');
  std::string bomb = compress(zeros, 31); // about 50 KiB
  ASSERT_LT(bomb.size(), 100000u);
  BodyDecoder d(Coding::Gzip, 8 << 20, 100000);
  std::string out;
  EXPECT_EQ(d.decode(bomb, true, out), "");
  EXPECT_LE(out.size(), 512u * 1024) << "one call makes a bounded amount";
  EXPECT_TRUE(d.hasPending());
  while (d.hasPending() && d.overLimit().empty()) {
    out.clear();
    EXPECT_EQ(d.decode("", true, out), "");
  }
  EXPECT_NE(d.overLimit().find("exceeds 8388608 bytes"), std::string::npos) << d.overLimit();

  BodyDecoder r(Coding::Gzip, 1ull << 40, 100);
  std::string chunk;
  EXPECT_EQ(r.decode(bomb, true, chunk), "");
  while (r.overLimit().empty() && r.hasPending()) {
    chunk.clear();
    EXPECT_EQ(r.decode("", true, chunk), "");
  }
  EXPECT_NE(r.overLimit().find("100 times"), std::string::npos) << r.overLimit();
  r.lift();
  EXPECT_EQ(r.overLimit(), "") << "lifted: on_error = allow lets it go on";
}

TEST(BodyCodec, TheEncoderMakesAStreamThatDecodesBack) {
  for (Coding c : {Coding::Gzip, Coding::Deflate}) {
    BodyEncoder e(c);
    std::string wire, t = text(200000);
    for (size_t at = 0; at < t.size(); at += 30000)
      e.encode(std::string_view(t).substr(at, 30000), false, wire);
    size_t flushed = wire.size();
    EXPECT_GT(flushed, 0u) << "each piece is flushed, not kept";
    e.encode("", true, wire);
    BodyDecoder d(c, 64 << 20, 100);
    std::string error;
    EXPECT_EQ(decodeAll(d, wire, 999, &error), t) << codingName(c);
    EXPECT_EQ(error, "");
  }
}

} // namespace
} // namespace exaproxy::proxy
