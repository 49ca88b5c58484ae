// What the ABI 1.7 itests share: the body17 plugin's configuration file, generated bodies, gzip
// both ways (zlib), and a fixture with an origin and the proxy.
#pragma once

#include "itest.h"

#include <zlib.h>

#ifndef BODY17_PLUGIN
#error "BODY17_PLUGIN must name body17.so"
#endif

namespace itest::body17 {

// gzip (windowBits 31) of `text`, or zlib's inflate of such data ("" when it is not valid).
inline std::string gzip(const std::string& text) {
  z_stream z{};
  deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, text.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(out.size() - z.avail_out);
  deflateEnd(&z);
  return out;
}
inline std::string gunzip(const std::string& data) {
  z_stream z{};
  inflateInit2(&z, 31);
  std::string out;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  int rc = Z_OK;
  while (rc == Z_OK) {
    char buf[65536];
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buf, sizeof buf - z.avail_out);
  }
  inflateEnd(&z);
  return rc == Z_STREAM_END ? out : std::string();
}

inline std::string origins(size_t n) {
  std::string body;
  while (body.size() < n)
    body += "origin ";
  body.resize(n);
  return body;
}

inline std::string bodyConf(const std::vector<std::string>& settings,
                            const std::vector<std::string>& policy = {}) {
  std::string text = std::string("[plugin]\npath = ") + BODY17_PLUGIN + "\n";
  for (const auto& p : policy)
    text += p + "\n";
  text += "\n[body17]\n";
  for (const auto& s : settings)
    text += s + "\n";
  return text;
}

// An origin and the proxy with body17 configured by the test.
class Body17Test : public ::testing::Test {
protected:
  void start(const std::string& conf) {
    ProxyOptions o;
    o.extraFiles = {{"20-body17.conf", conf}};
    proxy_ = std::make_unique<ProxyProcess>(o);
    ASSERT_TRUE(proxy_->start());
  }
  std::string log() const { return proxy_->stderrText() + proxy_->stdoutText(); }

  OriginServer origin_;
  std::unique_ptr<ProxyProcess> proxy_;
};

} // namespace itest::body17
