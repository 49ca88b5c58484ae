#include "xff_outbound.h"

#include "xff_hops.h"

#include <exaproxy/text.hpp>

namespace exaproxy::xff {

namespace {

using sdk::equalsIgnoreCase;

// The received lines as one list, empty lines and empty elements at the ends dropped, so that
// appending never produces ", , x".
std::string joinList(const std::vector<std::string_view>& lines) {
  std::string out;
  for (auto line : lines) {
    line = sdk::trim(line);
    while (!line.empty() && line.back() == ',')
      line = sdk::trim(line.substr(0, line.size() - 1));
    while (!line.empty() && line.front() == ',')
      line = sdk::trim(line.substr(1));
    if (line.empty())
      continue;
    out.append(out.empty() ? "" : ", ").append(line);
  }
  return out;
}

std::string appended(const std::vector<std::string_view>& lines, const std::string& item) {
  std::string list = joinList(lines);
  return list.empty() ? item : list + ", " + item;
}

// Connection without the tokens naming the fields we write; Keep when none is listed.
HeaderEdit scrubConnection(const std::vector<std::string_view>& lines, bool xff, bool fwd) {
  HeaderEdit edit;
  std::string kept;
  bool dropped = false;
  for (auto line : lines) {
    size_t start = 0;
    while (start <= line.size()) {
      size_t comma = line.find(',', start);
      auto token = sdk::trim(
          line.substr(start, comma == std::string_view::npos ? line.npos : comma - start));
      start = comma == std::string_view::npos ? line.size() + 1 : comma + 1;
      if (token.empty())
        continue;
      if ((xff && equalsIgnoreCase(token, "x-forwarded-for")) ||
          (fwd && equalsIgnoreCase(token, "forwarded"))) {
        dropped = true;
        continue;
      }
      kept.append(kept.empty() ? "" : ", ").append(token);
    }
  }
  if (!dropped)
    return edit;
  edit.op = kept.empty() ? HeaderEdit::Op::Remove : HeaderEdit::Op::Set;
  edit.value = std::move(kept);
  return edit;
}

} // namespace

OutboundPlan planOutbound(const Settings& s, const ReceivedHeaders& in, const Address& peer,
                          const Address& identity) {
  OutboundPlan plan;
  switch (s.forwardedFor) {
  case ForwardedForPolicy::Append:
    plan.xForwardedFor = {HeaderEdit::Op::Set, appended(in.xForwardedFor, peer.toString())};
    break;
  case ForwardedForPolicy::Truncate:
    plan.xForwardedFor = {HeaderEdit::Op::Set, identity.toString()};
    break;
  case ForwardedForPolicy::Delete:
    if (!in.xForwardedFor.empty())
      plan.xForwardedFor = {HeaderEdit::Op::Remove, ""};
    break;
  case ForwardedForPolicy::Transparent:
    break;
  }
  if (s.forwarded == ForwardedPolicy::Append)
    plan.forwarded = {HeaderEdit::Op::Set, appended(in.forwarded, "for=" + forwardedNode(peer))};
  plan.connection = scrubConnection(in.connection, plan.xForwardedFor.op == HeaderEdit::Op::Set,
                                    plan.forwarded.op == HeaderEdit::Op::Set);
  return plan;
}

} // namespace exaproxy::xff
