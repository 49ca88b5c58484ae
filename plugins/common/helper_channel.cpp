#include "helper_channel.h"

#include <cctype>
#include <charconv>

namespace exaproxy::common {

namespace {

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

} // namespace

std::string channelPrefix(uint64_t id) { return std::to_string(id) + ' '; }

std::optional<uint64_t> takeChannel(std::string& answer) {
  size_t i = 0;
  while (i < answer.size() && std::isdigit(static_cast<unsigned char>(answer[i])))
    ++i;
  uint64_t id = 0;
  auto ec = std::from_chars(answer.data(), answer.data() + i, id).ec;
  if (i == 0 || ec != std::errc() || (i < answer.size() && !isSpace(answer[i])))
    return std::nullopt;
  while (i < answer.size() && isSpace(answer[i]))
    ++i;
  answer.erase(0, i);
  return id;
}

} // namespace exaproxy::common
