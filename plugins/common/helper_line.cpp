#include "helper_line.h"

namespace exaproxy::common {

bool takeLine(std::string& buffer, std::string& line) {
  size_t lf = buffer.find('\n');
  if (lf == std::string::npos)
    return false;
  size_t end = lf;
  if (end > 0 && buffer[end - 1] == '\r')
    --end;
  line.assign(buffer, 0, end);
  buffer.erase(0, lf + 1);
  return true;
}

FrameStatus frameLine(std::string& buffer, std::string& line, size_t maxLine) {
  if (takeLine(buffer, line))
    return FrameStatus::Complete;
  return buffer.size() > maxLine ? FrameStatus::Malformed : FrameStatus::NeedMore;
}

} // namespace exaproxy::common
