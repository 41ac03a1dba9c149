// UTF-8 as WeChat Pay takes it: well-formed, its length in code points. No I/O.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace wechatpay::detail {

// Code points of well-formed UTF-8 (WeChat's limits count characters, not bytes); nullopt for
// malformed input (stray continuation bytes, overlong forms, surrogates, beyond U+10FFFF).
inline std::optional<std::size_t> utf8_length(std::string_view s) {
    std::size_t count = 0;
    for (std::size_t i = 0; i < s.size(); ++count) {
        const auto lead = static_cast<unsigned char>(s[i]);
        std::size_t len = 0;
        unsigned char lo = 0x80, hi = 0xBF;  // range of the second byte
        if (lead < 0x80) len = 1;
        else if (lead >= 0xC2 && lead <= 0xDF) len = 2;
        else if (lead >= 0xE0 && lead <= 0xEF) {
            len = 3;
            if (lead == 0xE0) lo = 0xA0;       // overlong
            else if (lead == 0xED) hi = 0x9F;  // UTF-16 surrogates
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            len = 4;
            if (lead == 0xF0) lo = 0x90;       // overlong
            else if (lead == 0xF4) hi = 0x8F;  // beyond U+10FFFF
        } else
            return std::nullopt;
        if (s.size() - i < len) return std::nullopt;
        for (std::size_t k = 1; k < len; ++k) {
            const auto c = static_cast<unsigned char>(s[i + k]);
            if (c < (k == 1 ? lo : 0x80) || c > (k == 1 ? hi : 0xBF)) return std::nullopt;
        }
        i += len;
    }
    return count;
}

}  // namespace wechatpay::detail
