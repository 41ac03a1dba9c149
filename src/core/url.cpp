#include "core/url.hpp"

#include <wechatpay/requests.hpp>

#include <boost/url/parse.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/grammar/ci_string.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <boost/url/url_view.hpp>

#include <algorithm>
#include <charconv>

namespace wechatpay {
namespace detail {

namespace urls = boost::urls;

std::string http_url::host_header() const {
    return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::optional<http_url> parse_http_url(std::string_view text) {
    const auto parsed = urls::parse_absolute_uri(text);
    if (!parsed) return std::nullopt;
    const urls::url_view& u = *parsed;
    http_url out;
    switch (u.scheme_id()) {
        case urls::scheme::https: out.https = true; break;
        case urls::scheme::http: break;
        default: return std::nullopt;
    }
    if (!u.has_authority() || u.has_userinfo() || u.has_fragment()) return std::nullopt;

    switch (u.host_type()) {
        case urls::host_type::name: {
            const std::string_view name = u.encoded_host();
            const bool dns = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
                return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                       c == '.' || c == '_';
            });
            if (!dns) return std::nullopt;
            out.host = name;
            out.loopback = boost::urls::grammar::ci_is_equal(name, "localhost");
            break;
        }
        case urls::host_type::ipv4:
            out.host = u.host_ipv4_address().to_string();
            out.loopback = u.host_ipv4_address().is_loopback();
            break;
        case urls::host_type::ipv6:
            out.host = u.host_ipv6_address().to_string();
            out.ipv6 = true;
            out.loopback = u.host_ipv6_address().is_loopback();
            break;
        default:  // IPvFuture, none
            return std::nullopt;
    }

    if (u.has_port()) {
        const std::string_view digits = u.port();
        unsigned value = 0;
        const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
        if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || value == 0 ||
            value > 65535)
            return std::nullopt;
        out.port = static_cast<std::uint16_t>(value);
    } else {
        out.port = out.https ? 443 : 80;
    }

    out.target = u.encoded_path().empty() ? "/" : std::string(u.encoded_path());
    if (u.has_query()) {
        out.has_query = true;
        out.target += '?';
        out.target += u.encoded_query();
    }
    // Not only a formality: Boost.URL 1.81 reads "http://127.0.0.1.example/x" as the IPv4 host
    // 127.0.0.1 followed by the path ".example/x" (boostorg/url#755), which this refuses.
    if (!is_origin_form(out.target)) return std::nullopt;
    return out;
}

bool valid_notify_url(std::string_view url) {
    const auto u = parse_http_url(url);
    return u && !u->has_query && (u->https || u->loopback);
}

}  // namespace detail

// RFC 3986 unreserved characters stay; every other byte (UTF-8 included) becomes %XX.
std::string encode_path_segment(std::string_view s) { return boost::urls::encode(s, boost::urls::unreserved_chars); }

bool is_origin_form(std::string_view target) { return boost::urls::parse_origin_form(target).has_value(); }

}  // namespace wechatpay
