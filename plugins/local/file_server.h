// Serving files from disk safely: the URL path is decoded once and checked segment by segment (no
// "..", however encoded), the result is canonicalised and must stay inside the root (a symlink
// that leads out of it is refused), and conditional requests get 304.
//
// THREAD: any. These functions touch the disk (realpath, stat): the glue runs them on the host's
// worker pool, never in a hook.
#pragma once

#include "local_answer.h"

#include <ctime>
#include <string>
#include <string_view>

namespace exaproxy::local {

enum class PathCheck {
  Ok,
  Traversal, // "..", a backslash or an absolute path hidden in the path
  Invalid,   // a bad %-escape or a NUL
};

// The relative path ("a/b.html", "" for the root itself) named by `urlPath` (the part of the path
// below the rule's prefix; query and fragment are cut off). `trailingSlash` tells whether the
// decoded path ended with '/'.
PathCheck safeRelativePath(std::string_view urlPath, std::string& relative, bool& trailingSlash);

// What a file looks like to HTTP.
struct FileInfo {
  std::string path; // canonical
  uint64_t size = 0;
  std::time_t mtime = 0;
  long mtimeNsec = 0;
};

// "\"<size hex>-<mtime ns hex>\"": changes whenever the file's size or mtime does.
std::string entityTag(const FileInfo& f);

// Whether the request's validators match the file (RFC 9110 13.2.2: If-None-Match wins; weak
// comparison; If-Modified-Since only without If-None-Match).
bool notModified(const FileInfo& f, const LocalRequest& req);

// GET/HEAD of one file: 200 with the file (Content-Type, ETag, Last-Modified), 304, or a Deny
// (404 missing, 403 unreadable, 405 other methods). `contentType` empty: by extension.
LocalAnswer serveFile(const std::string& path, const LocalRequest& req,
                      const std::string& contentType);

// GET/HEAD below a directory tree. `root` is canonical; `remainder` the URL path under the
// rule's prefix. A directory answers its `index` file, or a redirect to add the missing '/'.
// `traversal` is set when the answer is a refusal of a path escaping the root.
LocalAnswer serveTree(const std::string& root, std::string_view remainder, const LocalRequest& req,
                      const std::string& index, const std::string& contentType, bool& traversal);

} // namespace exaproxy::local
