#include "xff_settings.h"

#include <array>
#include <string_view>
#include <utility>

#include <exaproxy/text.hpp>

namespace exaproxy::xff {

namespace {

constexpr std::array<std::pair<std::string_view, Follow>, 3> kFollow = {{
    {"x-forwarded-for", Follow::XForwardedFor},
    {"forwarded", Follow::Forwarded},
    {"both", Follow::Both},
}};
constexpr std::array<std::pair<std::string_view, ForwardedForPolicy>, 4> kForwardedFor = {{
    {"append", ForwardedForPolicy::Append},
    {"truncate", ForwardedForPolicy::Truncate},
    {"delete", ForwardedForPolicy::Delete},
    {"transparent", ForwardedForPolicy::Transparent},
}};
constexpr std::array<std::pair<std::string_view, ForwardedPolicy>, 2> kForwarded = {{
    {"off", ForwardedPolicy::Off},
    {"append", ForwardedPolicy::Append},
}};

template <typename T, size_t N>
bool choose(const std::array<std::pair<std::string_view, T>, N>& table, std::string_view value,
            T& out) {
  for (const auto& [name, v] : table)
    if (name == value) {
      out = v;
      return true;
    }
  return false;
}

template <typename T, size_t N>
const char* nameOf(const std::array<std::pair<std::string_view, T>, N>& table, T v) {
  for (const auto& [name, x] : table)
    if (x == v)
      return name.data(); // the literals are NUL-terminated
  return "?";
}

template <typename T, size_t N>
std::string expected(const std::array<std::pair<std::string_view, T>, N>& table) {
  std::string out = "expected ";
  for (size_t i = 0; i < N; ++i)
    out.append(i == 0 ? "" : i + 1 == N ? " or " : ", ").append(table[i].first);
  return out;
}

std::string apply(const sdk::Setting& e, Settings& s) {
  if (e.key == "trusted") {
    std::vector<Cidr> cidrs;
    for (auto item : sdk::splitList(e.value)) {
      auto c = Cidr::parse(item);
      if (!c)
        return "'" + std::string(item) +
               "' is not an address or prefix like 10.0.0.0/8, 127.0.0.1 or 2001:db8::/32";
      cidrs.push_back(*c);
    }
    s.trusted = CidrList(std::move(cidrs));
    return "";
  }
  if (e.key == "follow")
    return choose(kFollow, e.value, s.follow) ? "" : expected(kFollow);
  if (e.key == "forwarded_for")
    return choose(kForwardedFor, e.value, s.forwardedFor) ? "" : expected(kForwardedFor);
  if (e.key == "forwarded")
    return choose(kForwarded, e.value, s.forwarded) ? "" : expected(kForwarded);
  return "unknown key (known: trusted, follow, forwarded_for, forwarded)";
}

} // namespace

SettingsLoad parseSettings(const std::vector<sdk::Setting>& settings) {
  SettingsLoad load;
  Settings s;
  for (const auto& e : settings) {
    std::string problem = e.section == "xff"
                              ? apply(e, s)
                              : "unknown section [" + e.section + "] (this plugin reads [xff])";
    if (!problem.empty())
      load.errors.emplace_back(e.index, std::move(problem));
  }
  if (load.errors.empty())
    load.settings = std::move(s);
  return load;
}

const char* followName(Follow f) { return nameOf(kFollow, f); }
const char* forwardedForName(ForwardedForPolicy p) { return nameOf(kForwardedFor, p); }
const char* forwardedName(ForwardedPolicy p) { return nameOf(kForwarded, p); }

bool editsRequests(const Settings& s) {
  return s.forwardedFor != ForwardedForPolicy::Transparent || s.forwarded != ForwardedPolicy::Off;
}

} // namespace exaproxy::xff
