#include "http_date.h"

#include <cctype>
#include <cstdio>
#include <vector>

namespace exaproxy::local {
namespace {

constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

int monthIndex(std::string_view m) {
  for (int i = 0; i < 12; ++i)
    if (m == kMonths[i])
      return i;
  return -1;
}

bool number(std::string_view s, int& out) {
  if (s.empty() || s.size() > 4)
    return false;
  out = 0;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c)))
      return false;
    out = out * 10 + (c - '0');
  }
  return true;
}

// "HH:MM:SS"
bool clock(std::string_view s, std::tm& tm) {
  return s.size() == 8 && s[2] == ':' && s[5] == ':' && number(s.substr(0, 2), tm.tm_hour) &&
         number(s.substr(3, 2), tm.tm_min) && number(s.substr(6, 2), tm.tm_sec) &&
         tm.tm_hour < 24 && tm.tm_min < 60 && tm.tm_sec <= 60;
}

std::optional<std::time_t> finish(std::tm& tm, int day, int month, int year) {
  if (month < 0 || day < 1 || day > 31 || year < 1970)
    return std::nullopt;
  tm.tm_mday = day;
  tm.tm_mon = month;
  tm.tm_year = year - 1900;
  std::time_t t = timegm(&tm);
  if (t == static_cast<std::time_t>(-1))
    return std::nullopt;
  return t;
}

std::vector<std::string_view> split(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ')
      ++i;
    size_t b = i;
    while (i < s.size() && s[i] != ' ')
      ++i;
    if (i > b)
      out.push_back(s.substr(b, i - b));
  }
  return out;
}

} // namespace

std::string formatHttpDate(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday % 7],
                tm.tm_mday, kMonths[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

std::optional<std::time_t> parseHttpDate(std::string_view text) {
  auto w = split(text);
  std::tm tm{};
  int day = 0, year = 0;
  if (w.size() == 6 && w[0].size() == 4 && w[0].back() == ',' && w[5] == "GMT") {
    // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
    if (w[1].size() != 2 || !number(w[1], day) || w[3].size() != 4 || !number(w[3], year) ||
        !clock(w[4], tm))
      return std::nullopt;
    return finish(tm, day, monthIndex(w[2]), year);
  }
  if (w.size() == 4 && w[0].size() > 4 && w[0].back() == ',' && w[3] == "GMT") {
    // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT (two-digit years: 70-99 -> 19xx)
    std::string_view d = w[1];
    if (d.size() != 9 || d[2] != '-' || d[6] != '-' || !number(d.substr(0, 2), day) ||
        !number(d.substr(7, 2), year) || !clock(w[2], tm))
      return std::nullopt;
    year += year < 70 ? 2000 : 1900;
    return finish(tm, day, monthIndex(d.substr(3, 3)), year);
  }
  if (w.size() == 5 && w[0].size() == 3) {
    // asctime: Sun Nov  6 08:49:37 1994
    if (!number(w[2], day) || !clock(w[3], tm) || w[4].size() != 4 || !number(w[4], year))
      return std::nullopt;
    return finish(tm, day, monthIndex(w[1]), year);
  }
  return std::nullopt;
}

} // namespace exaproxy::local
