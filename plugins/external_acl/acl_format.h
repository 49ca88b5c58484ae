// The request line of an external-ACL helper: Squid's external_acl_type format, a list of codes
// expanded per request, each value %-encoded (Squid's default quote=url) and "-" when absent,
// separated by single spaces, then the `data` words (the arguments Squid's `acl ... external`
// line adds).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace exaproxy::external_acl {

// What a format code reads from the request (filled by the plugin from the transaction).
struct RequestFields {
  std::string_view client; // %SRC: the client's identity address
  uint16_t clientPort = 0; // %SRCPORT: its TCP port (0: unknown, written "-")
  std::string_view login;  // %LOGIN: the user (empty: none)
  std::string_view host;   // %DST
  uint16_t port = 0;       // %PORT
  std::string_view path;   // %PATH
  std::string_view method; // %METHOD
  std::string_view url;    // %URI
  std::string_view myAddr; // %MYADDR: the listener's address
  std::string_view myPort; // %MYPORT
  // %>{Name}: the request header's value, nullopt when absent.
  std::function<std::optional<std::string_view>(std::string_view name)> header;
};

class AclFormat {
public:
  // Parses "%SRC %LOGIN %>{User-Agent} ..."; nullopt with `why` on an unknown or unavailable code.
  static std::optional<AclFormat> parse(std::string_view text, std::string& why);
  // The helper's request line, without its newline.
  std::string expand(const RequestFields& r, const std::vector<std::string>& data) const;
  // Whether a code needs the user (%LOGIN): the request then waits for an authentication plugin.
  bool usesLogin() const { return usesLogin_; }

private:
  enum class Code { Src, SrcPort, Login, Dst, Port, Path, Method, Uri, MyAddr, MyPort, Header };
  struct Item {
    Code code;
    std::string header; // Code::Header
  };
  std::vector<Item> items_;
  bool usesLogin_ = false;
};

} // namespace exaproxy::external_acl
