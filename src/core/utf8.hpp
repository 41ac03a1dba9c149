// UTF-8 as WeChat Pay takes it: well-formed, its length in code points. No I/O.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace wechatpay::detail {

// Bytes of the well-formed sequence starting at s[i]; 0 when there is none (stray continuation
// byte, overlong form, surrogate, beyond U+10FFFF, cut short).
inline std::size_t utf8_sequence(std::string_view s, std::size_t i) {
    const auto lead = static_cast<unsigned char>(s[i]);
    std::size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // range of the second byte
    if (lead < 0x80) return 1;
    if (lead >= 0xC2 && lead <= 0xDF) len = 2;
    else if (lead >= 0xE0 && lead <= 0xEF) {
        len = 3;
        if (lead == 0xE0) lo = 0xA0;       // overlong
        else if (lead == 0xED) hi = 0x9F;  // UTF-16 surrogates
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        len = 4;
        if (lead == 0xF0) lo = 0x90;       // overlong
        else if (lead == 0xF4) hi = 0x8F;  // beyond U+10FFFF
    } else
        return 0;
    if (s.size() - i < len) return 0;
    for (std::size_t k = 1; k < len; ++k) {
        const auto c = static_cast<unsigned char>(s[i + k]);
        if (c < (k == 1 ? lo : 0x80) || c > (k == 1 ? hi : 0xBF)) return 0;
    }
    return len;
}

// Code points of well-formed UTF-8 (WeChat's limits count characters, not bytes); nullopt for
// malformed input.
inline std::optional<std::size_t> utf8_length(std::string_view s) {
    std::size_t count = 0;
    for (std::size_t i = 0; i < s.size(); ++count) {
        const std::size_t len = utf8_sequence(s, i);
        if (len == 0) return std::nullopt;
        i += len;
    }
    return count;
}

// The text with each byte that starts no well-formed sequence replaced by U+FFFD: what may be
// echoed into JSON, which must be UTF-8 (RFC 8259 §8.1), from a percent-decoded path or query.
inline std::string utf8_repaired(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        const std::size_t len = utf8_sequence(s, i);
        if (len == 0) {
            out += "\xEF\xBF\xBD";
            ++i;
        } else {
            out.append(s.substr(i, len));
            i += len;
        }
    }
    return out;
}

}  // namespace wechatpay::detail
