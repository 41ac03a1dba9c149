// Absolute http(s) URLs as the SDK and the simulator meet them: a bill's download_url (sent only
// to WeChat Pay's own host), a notify_url (where the simulator POSTs). Parsed by Boost.URL.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace wechatpay::detail {

struct http_url {
    bool https = false;
    std::string host;         // a DNS name, or an IP address (IPv6 without its brackets)
    bool ipv6 = false;
    std::uint16_t port = 0;   // the scheme's default when the URL names none
    std::string target;       // origin-form "/path?query" to send; "/" when the URL has no path
    bool has_query = false;
    bool loopback = false;    // localhost, 127.0.0.0/8 or ::1

    // "host:port" for a Host header (an IPv6 address in brackets).
    std::string host_header() const;
};

// http:// or https:// (any case), a host and an optional port, path and query. Anything else is
// nullopt: another scheme, userinfo ("user@" hides the real host from a reader), a fragment,
// a host name holding other than letters, digits, '-', '.' or '_' (no %-escapes), IPvFuture, an
// empty or out-of-range port, port 0.
std::optional<http_url> parse_http_url(std::string_view url);

// Where WeChat Pay (or the simulator) may POST notifications: https without a query (WeChat
// appends nothing and refuses one); plain http only to a loopback receiver, for tests.
bool valid_notify_url(std::string_view url);

}  // namespace wechatpay::detail
