// The original ExaProxy's "url" dialect (EXAPROXY.md §2a): the line "host/path client - METHOD -"
// (CONNECT keeps its port, "host:port", which the original dropped), and one reply line:
//   ""                      allow
//   file://name             answer 200 with the file `name` of the `files` directory
//   redirect://URL          answer 302 Location: URL (Cache-Control: no-store)
//   intercept://host[:port] connect there instead (the port defaults to the request's)
//   http://... / https://…  rewrite the request to that URL (this crashed the original);
//                           to a CONNECT: 403 naming the URL
//   anything else           a helper error (on_error)
#pragma once

#include "helper_protocol.h"

#include <filesystem>

namespace exaproxy::redirector {

class ExaproxyUrlProtocol final : public HelperProtocol {
public:
  // `files`: the directory file:// names are served from (empty: file:// is refused).
  explicit ExaproxyUrlProtocol(std::filesystem::path files) : files_(std::move(files)) {}

  std::string encode(const RequestInfo& req, std::optional<uint64_t> channel) const override;
  FrameStatus frame(std::string& buffer, std::string& answer) const override;
  Decision decide(const RawReply& reply, const RequestInfo& req) const override;

private:
  std::filesystem::path files_;
};

// The Respond decision for file `name` inside `dir` (relative, or absolute but inside dir);
// an Error when it escapes the directory, does not exist, or dir is empty.
Decision serveFile(const std::filesystem::path& dir, const std::string& name);
// A Content-Type for a file name by its extension (text/html, text/plain, ...).
std::string contentTypeFor(const std::string& name);

} // namespace exaproxy::redirector
