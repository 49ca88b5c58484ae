// icap_core: the chunked body codec (ieof, extensions, limits, strictness).
#include "icap_wire_support.h"

namespace exaproxy::icap::test {
namespace {

// ---- chunked body ----

TEST(IcapChunkedDecoderTest, DecodesThePostExample) {
  std::string body = "1e\r\nI am posting this information.\r\n0\r\n\r\n";
  ChunkOutcome o = decode(body + "ICAP/1.0");
  ASSERT_EQ(o.status, ParseStatus::Done) << o.error;
  EXPECT_EQ(o.data, kPostBody);
  EXPECT_EQ(o.consumed, body.size());
  EXPECT_FALSE(o.ieof);
}

TEST(IcapChunkedDecoderTest, RejectsTheRfcMiscountedChunk) {
  // The chunk as RFC 3507 §4.9.3 prints it: one byte too long for its data.
  EXPECT_TRUE(contains(chunkError("5d\r\n" + kAdaptedBody + "\r\n0\r\n\r\n"),
                       "chunk data not followed by CR LF"));
}

TEST(IcapChunkedDecoderTest, ReportsIeofOnTheLastChunk) {
  ChunkOutcome o = decode("4\r\nabcd\r\n0; ieof\r\n\r\n");
  ASSERT_EQ(o.status, ParseStatus::Done) << o.error;
  EXPECT_EQ(o.data, "abcd");
  EXPECT_TRUE(o.ieof);
  EXPECT_TRUE(decode("0;IEOF\r\n\r\n").ieof);
  EXPECT_TRUE(decode("0 ; a=1; ieof ;b=\"x;y\"\r\n\r\n").ieof);
}

TEST(IcapChunkedDecoderTest, ReportsIeofOnlyOnceTheBodyIsOver) {
  ChunkedDecoder d;
  std::string out;
  EXPECT_EQ(d.feed("0; ieof\r\n", out).status, ParseStatus::NeedMore);
  EXPECT_FALSE(d.ieof());
  EXPECT_EQ(d.feed("\r\n", out).status, ParseStatus::Done);
  EXPECT_TRUE(d.ieof());
  ChunkedDecoder broken;
  EXPECT_EQ(broken.feed("0; ieof\r\nX", out).status, ParseStatus::Error);
  EXPECT_FALSE(broken.ieof());
}

TEST(IcapChunkedDecoderTest, SkipsOtherExtensions) {
  ChunkOutcome o = decode("A;name=value;q=\"quoted \\\" str\";flag\r\n0123456789\r\n0;x=1\r\n\r\n");
  ASSERT_EQ(o.status, ParseStatus::Done) << o.error;
  EXPECT_EQ(o.data, "0123456789");
  EXPECT_FALSE(o.ieof);
}

TEST(IcapChunkedDecoderTest, AcceptsUpperAndLowerHexAndLeadingZeros) {
  std::string data(0xAB, 'x');
  ChunkOutcome o = decode("00aB\r\n" + data + "\r\n0000\r\n\r\n");
  ASSERT_EQ(o.status, ParseStatus::Done) << o.error;
  EXPECT_EQ(o.data, data);
}

TEST(IcapChunkedDecoderTest, NeedsMoreOnEveryPrefix) {
  std::string body = "3\r\nabc\r\n2;x=y\r\nde\r\n0; ieof\r\n\r\n";
  for (size_t n = 0; n < body.size(); ++n)
    EXPECT_EQ(decode(body.substr(0, n)).status, ParseStatus::NeedMore) << n;
  ChunkOutcome o = decode(body);
  EXPECT_EQ(o.status, ParseStatus::Done);
  EXPECT_EQ(o.data, "abcde");
}

TEST(IcapChunkedDecoderTest, RejectsAMissingSize) {
  EXPECT_TRUE(contains(chunkError("\r\n"), "hexadecimal size"));
  EXPECT_TRUE(contains(chunkError(";ieof\r\n\r\n"), "hexadecimal size"));
  EXPECT_TRUE(contains(chunkError("-1\r\n"), "hexadecimal size"));
  EXPECT_TRUE(contains(chunkError("0x10\r\n"), "after the chunk size"));
  EXPECT_TRUE(contains(chunkError("1 0\r\n"), "after the chunk size"));
}

TEST(IcapChunkedDecoderTest, RejectsAnOversizedChunk) {
  EXPECT_TRUE(contains(chunkError("40000001\r\n"), "chunk size larger than"));
  EXPECT_TRUE(contains(chunkError("ffffffffffffffffffff\r\n"), "chunk size larger than"));
  ChunkedLimits small;
  small.maxChunkSize = 16;
  EXPECT_EQ(decode("10\r\n0123456789abcdef\r\n0\r\n\r\n", small).status, ParseStatus::Done);
  EXPECT_TRUE(contains(chunkError("11\r\n", small), "chunk size larger than 16"));
}

TEST(IcapChunkedDecoderTest, RejectsAnOverlongSizeLine) {
  std::string line = "1;x=" + std::string(2000, 'a') + "\r\n";
  EXPECT_TRUE(contains(chunkError(line), "size line longer than 1024"));
  ChunkedLimits limits;
  limits.maxSizeLine = 5;
  EXPECT_EQ(decode("1;abc\r\nx\r\n0\r\n\r\n", limits).status, ParseStatus::Done);
  EXPECT_TRUE(contains(chunkError("1;abcd\r\nx\r\n0\r\n\r\n", limits), "longer than 5"));
}

TEST(IcapChunkedDecoderTest, RejectsBadExtensions) {
  EXPECT_TRUE(contains(chunkError("1;\r\n"), "without a name"));
  EXPECT_TRUE(contains(chunkError("1;=x\r\n"), "without a name"));
  EXPECT_TRUE(contains(chunkError("1;a=\r\n"), "without a value"));
  EXPECT_TRUE(contains(chunkError("1;a=\"open\r\n"), "unterminated"));
  EXPECT_TRUE(contains(chunkError("1;a=b c\r\n"), "after the chunk size"));
}

TEST(IcapChunkedDecoderTest, RejectsIeofOnADataChunk) {
  EXPECT_TRUE(contains(chunkError("1; ieof\r\nx\r\n0\r\n\r\n"), "ieof on a chunk"));
}

TEST(IcapChunkedDecoderTest, RequiresCrLfAfterTheData) {
  EXPECT_TRUE(contains(chunkError("3\r\nabcd\r\n"), "not followed by CR LF"));
  EXPECT_TRUE(contains(chunkError("3\r\nabc\n0\r\n\r\n"), "not followed by CR LF"));
  EXPECT_TRUE(contains(chunkError("3\r\nabc\rx"), "CR not followed by LF"));
}

TEST(IcapChunkedDecoderTest, RejectsBareLfAndLoneCrInSizeLines) {
  EXPECT_TRUE(contains(chunkError("3\nabc\r\n"), "bare LF"));
  EXPECT_TRUE(contains(chunkError("0\n\r\n"), "bare LF"));
  EXPECT_TRUE(contains(chunkError("3\rx\r\n"), "CR inside"));
  EXPECT_TRUE(contains(chunkError("0\r\n\n"), "trailer fields or garbage"));
  EXPECT_TRUE(contains(chunkError("0\r\n\rx"), "CR not followed by LF"));
}

TEST(IcapChunkedDecoderTest, RejectsTrailers) {
  EXPECT_TRUE(contains(chunkError("0\r\nX-Trailer: 1\r\n\r\n"), "trailer fields"));
}

TEST(IcapChunkedDecoderTest, StaysDoneOrFailed) {
  ChunkedDecoder d;
  std::string out;
  EXPECT_EQ(d.feed("0\r\n\r\n", out).status, ParseStatus::Done);
  Progress again = d.feed("1\r\nx\r\n", out);
  EXPECT_EQ(again.status, ParseStatus::Done);
  EXPECT_EQ(again.consumed, 0u);
  EXPECT_TRUE(out.empty());
  ChunkedDecoder bad;
  EXPECT_EQ(bad.feed("z", out).status, ParseStatus::NeedMore);
  EXPECT_EQ(bad.feed("\r\n", out).status, ParseStatus::Error);
  EXPECT_EQ(bad.feed("0\r\n\r\n", out).consumed, 0u);
}

TEST(IcapChunkEncoderTest, EncodesChunksAndLastChunks) {
  EXPECT_EQ(encodeChunk(kPostBody), "1e\r\nI am posting this information.\r\n");
  EXPECT_EQ(encodeChunk(""), "");
  EXPECT_EQ(encodeChunk(std::string(4096, 'z')).substr(0, 6), "1000\r\n");
  EXPECT_EQ(lastChunk(), "0\r\n\r\n");
  EXPECT_EQ(lastChunk(true), "0; ieof\r\n\r\n");
  std::string out = "x";
  appendChunk(out, "ab");
  EXPECT_EQ(out, "x2\r\nab\r\n");
}

TEST(IcapChunkEncoderTest, EncodeThenDecodeGivesTheData) {
  for (bool ieof : {false, true}) {
    std::string wire;
    std::string expected;
    for (size_t n : {1u, 15u, 16u, 255u, 256u, 4097u}) {
      std::string piece(n, static_cast<char>('a' + n % 26));
      appendChunk(wire, piece);
      expected += piece;
    }
    wire += lastChunk(ieof);
    ChunkOutcome o = decode(wire);
    ASSERT_EQ(o.status, ParseStatus::Done) << o.error;
    EXPECT_EQ(o.data, expected);
    EXPECT_EQ(o.ieof, ieof);
    EXPECT_EQ(o.consumed, wire.size());
  }
}

} // namespace
} // namespace exaproxy::icap::test
