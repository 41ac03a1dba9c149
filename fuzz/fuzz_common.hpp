// Helpers shared by the fuzz targets: splitting the input, keys generated in-process (so a
// target can sign and encrypt around the fuzzer's bytes), and the reference vectors on disk.
#pragma once

#include <wechatpay/crypto.hpp>
#include <wechatpay/keys.hpp>
#include <wechatpay/verifier.hpp>

#include "sim/pki.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>

namespace fuzz {

// A fixed clock, so that a crashing input replays the same way: 2025-11-27T16:00:00+08:00.
inline constexpr std::int64_t now = 1764230400;

inline std::string_view as_view(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

// Splits at the first `sep`: (before, after); no separator: (all, "").
inline std::pair<std::string_view, std::string_view> split(std::string_view s, std::string_view sep) {
    const auto at = s.find(sep);
    if (at == std::string_view::npos) return {s, {}};
    return {s.substr(0, at), s.substr(at + sep.size())};
}

// An HTTP-like message: a header block, a blank line ("\n\n" or "\r\n\r\n"), the body.
inline std::pair<std::string_view, std::string_view> split_message(std::string_view s) {
    const auto lf = s.find("\n\n"), crlf = s.find("\r\n\r\n");
    if (crlf != std::string_view::npos && (lf == std::string_view::npos || crlf < lf))
        return {s.substr(0, crlf), s.substr(crlf + 4)};
    if (lf != std::string_view::npos) return {s.substr(0, lf), s.substr(lf + 2)};
    return {s, {}};
}

// Setup failures are bugs of the harness: stop loudly.
template <class T>
T must(wechatpay::result<T> r, const char* what) {
    if (!r) {
        std::fprintf(stderr, "fuzz setup: %s: %s\n", what, r.error().to_string().c_str());
        std::abort();
    }
    return std::move(*r);
}

inline void must(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
        std::abort();
    }
}

// A fresh RSA-2048 key and a self-signed certificate for it (the simulator's PKI code).
struct identity {
    wechatpay::private_key key;
    wechatpay::certificate cert;

    static identity generate(const std::string& name) {
        const std::string pem = wechatpay::sim::generate_rsa_key(2048);
        return {must(wechatpay::private_key::from_pem(pem), "private key"),
                must(wechatpay::certificate::from_pem(wechatpay::sim::make_ca(pem, name)), "certificate")};
    }
};

inline std::string read_vector(const std::string& relative) {
    std::ifstream in(std::string(WECHATPAY_VECTORS_DIR) + "/" + relative, std::ios::binary);
    if (!in) {
        std::fprintf(stderr, "fuzz setup: cannot read %s\n", relative.c_str());
        std::abort();
    }
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace fuzz
