// Content-Type by file name, for files the local plugin serves.
#pragma once

#include <string>
#include <string_view>

namespace exaproxy::local {

// By extension (case-insensitive); text types carry "; charset=utf-8". wpad.dat and *.pac are
// application/x-ns-proxy-autoconfig; unknown extensions application/octet-stream.
std::string contentTypeFor(std::string_view fileName);

inline constexpr std::string_view kPacType = "application/x-ns-proxy-autoconfig";

} // namespace exaproxy::local
