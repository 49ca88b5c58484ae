#include "xff_status.h"

#include <cstdio>

namespace exaproxy::xff {

const std::array<CounterInfo, static_cast<size_t>(Counter::Count)>& counterTable() {
  static const std::array<CounterInfo, static_cast<size_t>(Counter::Count)> kTable = {{
#define EXAPROXY_XFF_INFO(name, help) {#name, help},
      EXAPROXY_XFF_COUNTERS(EXAPROXY_XFF_INFO)
#undef EXAPROXY_XFF_INFO
  }};
  return kTable;
}

Counter outcomeCounter(Outcome o) {
  switch (o) {
  case Outcome::PeerUntrusted:
    return Counter::peer_untrusted;
  case Outcome::NoHeader:
    return Counter::no_header;
  case Outcome::Found:
    return Counter::found;
  case Outcome::AllTrusted:
    return Counter::all_trusted;
  case Outcome::StoppedUnknown:
    return Counter::stopped_unknown;
  case Outcome::StoppedInvalid:
    break;
  }
  return Counter::stopped_invalid;
}

void Stats::setLastStop(std::string_view sanitised) {
  std::lock_guard lock(mutex_);
  lastStop_.assign(sanitised);
}

std::string Stats::lastStop() const {
  std::lock_guard lock(mutex_);
  return lastStop_;
}

std::string sanitize(std::string_view text, size_t maxLen) {
  std::string out;
  size_t n = text.size() < maxLen ? text.size() : maxLen;
  out.reserve(n + 8);
  for (size_t i = 0; i < n; ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  if (text.size() > maxLen)
    out += "...";
  return out;
}

std::string statusJson(const Settings& s, const Stats& stats) {
  std::string out = "{\"trusted\":[";
  std::string list = s.trusted.toString();
  size_t start = 0;
  bool first = true;
  while (start < list.size()) {
    size_t sp = list.find(' ', start);
    if (sp == std::string::npos)
      sp = list.size();
    out.append(first ? "\"" : ",\"").append(list, start, sp - start).append("\"");
    first = false;
    start = sp + 1;
  }
  out.append("],\"follow\":\"").append(followName(s.follow));
  out.append("\",\"forwarded_for\":\"").append(forwardedForName(s.forwardedFor));
  out.append("\",\"forwarded\":\"").append(forwardedName(s.forwarded));
  out.append("\",\"counters\":{");
  for (size_t i = 0; i < counterTable().size(); ++i)
    out.append(i ? ",\"" : "\"")
        .append(counterTable()[i].name)
        .append("\":")
        .append(std::to_string(stats.get(static_cast<Counter>(i))));
  out.append("},\"last_stop\":\"").append(stats.lastStop()).append("\"}");
  return out;
}

} // namespace exaproxy::xff
