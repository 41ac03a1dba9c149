// How the simulator checks a request's Authorization header, as WeChat Pay does (sans-io).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace wechatpay::sim {

struct authorization {
    std::string mchid, nonce_str, timestamp, serial_no, signature;
};

// `WECHATPAY2-SHA256-RSA2048 k="v",k="v",…` in any order; nullopt when the scheme is wrong, a
// parameter is malformed or repeated, or one of the five is missing.
std::optional<authorization> parse_authorization(std::string_view header);

}  // namespace wechatpay::sim
