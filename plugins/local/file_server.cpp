#include "file_server.h"

#include "http_date.h"
#include "mime_types.h"

#include <exaproxy/text.hpp>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <sys/stat.h>
#include <unistd.h>

namespace exaproxy::local {
namespace {

LocalAnswer deny(int status, std::string reason) {
  LocalAnswer a;
  a.kind = LocalAnswer::Kind::Deny;
  a.status = status;
  a.reason = std::move(reason);
  return a;
}

// realpath(3) into a std::string; empty on failure (errno set).
std::string canonical(const std::string& path) {
  std::unique_ptr<char, decltype(&std::free)> p(::realpath(path.c_str(), nullptr), &std::free);
  return p ? std::string(p.get()) : std::string();
}

bool inside(const std::string& path, const std::string& root) {
  if (path == root)
    return true;
  std::string prefix = root == "/" ? root : root + "/";
  return path.compare(0, prefix.size(), prefix) == 0;
}

bool isGetOrHead(const LocalRequest& req) { return req.method == "GET" || req.method == "HEAD"; }

// The ETags of an If-None-Match list, or "*".
bool etagListMatches(std::string_view list, std::string_view tag) {
  auto opaque = [](std::string_view t) {
    if (t.substr(0, 2) == "W/")
      t.remove_prefix(2);
    return t;
  };
  size_t pos = 0;
  while (pos < list.size()) {
    size_t comma = list.find(',', pos);
    if (comma == std::string_view::npos)
      comma = list.size();
    std::string_view t = list.substr(pos, comma - pos);
    while (!t.empty() && (t.front() == ' ' || t.front() == '\t'))
      t.remove_prefix(1);
    while (!t.empty() && (t.back() == ' ' || t.back() == '\t'))
      t.remove_suffix(1);
    if (t == "*" || (!t.empty() && opaque(t) == opaque(tag)))
      return true;
    pos = comma + 1;
  }
  return false;
}

} // namespace

PathCheck safeRelativePath(std::string_view urlPath, std::string& relative, bool& trailingSlash) {
  urlPath = urlPath.substr(0, urlPath.find_first_of("?#"));
  std::string decoded;
  decoded.reserve(urlPath.size());
  for (size_t i = 0; i < urlPath.size(); ++i) {
    char c = urlPath[i];
    if (c == '%') {
      if (i + 2 >= urlPath.size())
        return PathCheck::Invalid;
      int hi = sdk::hexDigit(urlPath[i + 1]), lo = sdk::hexDigit(urlPath[i + 2]);
      if (hi < 0 || lo < 0)
        return PathCheck::Invalid;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    }
    if (c == '\0')
      return PathCheck::Invalid;
    if (c == '\\')
      return PathCheck::Traversal; // a Windows separator has no business in a URL path
    decoded += c;
  }
  trailingSlash = !decoded.empty() && decoded.back() == '/';
  relative.clear();
  size_t pos = 0;
  while (pos <= decoded.size()) {
    size_t slash = decoded.find('/', pos);
    if (slash == std::string::npos)
      slash = decoded.size();
    std::string_view seg = std::string_view(decoded).substr(pos, slash - pos);
    if (seg == "..")
      return PathCheck::Traversal;
    if (!seg.empty() && seg != ".") {
      if (!relative.empty())
        relative += '/';
      relative.append(seg);
    }
    pos = slash + 1;
  }
  return PathCheck::Ok;
}

std::string entityTag(const FileInfo& f) {
  char buf[64];
  unsigned long long ns = static_cast<unsigned long long>(f.mtime) * 1000000000ULL +
                          static_cast<unsigned long long>(f.mtimeNsec);
  std::snprintf(buf, sizeof buf, "\"%llx-%llx\"", static_cast<unsigned long long>(f.size), ns);
  return buf;
}

bool notModified(const FileInfo& f, const LocalRequest& req) {
  if (req.ifNoneMatch)
    return etagListMatches(*req.ifNoneMatch, entityTag(f));
  if (req.ifModifiedSince) {
    auto since = parseHttpDate(*req.ifModifiedSince);
    return since && f.mtime <= *since;
  }
  return false;
}

LocalAnswer serveFile(const std::string& path, const LocalRequest& req,
                      const std::string& contentType) {
  if (!isGetOrHead(req)) {
    LocalAnswer a = deny(405, "Only GET and HEAD are answered for local files.");
    a.headers.emplace_back("Allow", "GET, HEAD"); // RFC 9110 15.5.6: a 405 lists what is allowed
    return a;
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) == -1 || !S_ISREG(st.st_mode))
    return deny(404, "There is no such file here.");
  if (::access(path.c_str(), R_OK) == -1)
    return deny(403, "The file cannot be read.");
  FileInfo info{path, static_cast<uint64_t>(st.st_size), st.st_mtim.tv_sec, st.st_mtim.tv_nsec};
  LocalAnswer a;
  a.kind = LocalAnswer::Kind::Respond;
  a.headers.emplace_back("ETag", entityTag(info));
  a.headers.emplace_back("Last-Modified", formatHttpDate(info.mtime));
  if (notModified(info, req)) {
    a.status = 304;
    return a;
  }
  a.status = 200;
  a.file = path;
  a.contentType = contentType.empty() ? contentTypeFor(path) : contentType;
  return a;
}

LocalAnswer serveTree(const std::string& root, std::string_view remainder, const LocalRequest& req,
                      const std::string& index, const std::string& contentType, bool& traversal) {
  traversal = false;
  std::string relative;
  bool trailingSlash = false;
  switch (safeRelativePath(remainder, relative, trailingSlash)) {
  case PathCheck::Traversal:
    traversal = true;
    return deny(403, "The path leaves the served directory.");
  case PathCheck::Invalid:
    return deny(400, "The path is not a valid URL path.");
  case PathCheck::Ok:
    break;
  }
  std::string full = relative.empty() ? root : root + "/" + relative;
  std::string real = canonical(full);
  if (real.empty())
    return deny(404, "There is no such file here.");
  if (!inside(real, root)) {
    traversal = true; // a symbolic link that leads out of the tree
    return deny(403, "The path leaves the served directory.");
  }
  struct stat st {};
  if (::stat(real.c_str(), &st) == -1)
    return deny(404, "There is no such file here.");
  if (S_ISDIR(st.st_mode)) {
    if (!trailingSlash && !relative.empty()) {
      LocalAnswer a;
      a.kind = LocalAnswer::Kind::Redirect;
      a.status = 301;
      a.location = req.url.substr(0, req.url.find_first_of("?#")) + "/";
      return a;
    }
    std::string idx = canonical(real + "/" + index);
    if (idx.empty())
      return deny(404, "There is no index page in this directory.");
    if (!inside(idx, root)) {
      traversal = true;
      return deny(403, "The path leaves the served directory.");
    }
    real = idx;
  }
  return serveFile(real, req, contentType);
}

} // namespace exaproxy::local
