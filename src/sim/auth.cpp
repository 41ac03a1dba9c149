#include "sim/auth.hpp"

namespace wechatpay::sim {

std::optional<authorization> parse_authorization(std::string_view h) {
    constexpr std::string_view scheme = "WECHATPAY2-SHA256-RSA2048";
    if (!h.starts_with(scheme) || h.size() == scheme.size() || h[scheme.size()] != ' ') return std::nullopt;
    h.remove_prefix(scheme.size());
    authorization a;
    std::string* slots[] = {&a.mchid, &a.nonce_str, &a.timestamp, &a.serial_no, &a.signature};
    constexpr std::string_view names[] = {"mchid", "nonce_str", "timestamp", "serial_no", "signature"};
    bool seen[5] = {};
    for (;;) {
        while (!h.empty() && (h.front() == ' ' || h.front() == ',')) h.remove_prefix(1);
        if (h.empty()) break;
        const auto eq = h.find('=');
        if (eq == std::string_view::npos || eq + 1 >= h.size() || h[eq + 1] != '"') return std::nullopt;
        const std::string_view name = h.substr(0, eq);
        const auto close = h.find('"', eq + 2);
        if (close == std::string_view::npos) return std::nullopt;
        const std::string_view value = h.substr(eq + 2, close - eq - 2);
        h.remove_prefix(close + 1);
        if (!h.empty() && h.front() != ',' && h.front() != ' ') return std::nullopt;
        for (std::size_t i = 0; i < 5; ++i) {
            if (name != names[i]) continue;
            if (seen[i]) return std::nullopt;
            seen[i] = true;
            *slots[i] = value;
        }
    }
    for (bool s : seen)
        if (!s) return std::nullopt;
    return a;
}

}  // namespace wechatpay::sim
