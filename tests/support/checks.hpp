// Assertion helpers for result<T>: unwrap a value (failing the test with the error's text) and
// name the errc of an outcome so that `CHECK(errc_of(r) == errc::not_pem)` prints
// "invalid_certificate == not_pem" when it fails. Use them on the test thread only (Catch2 v2
// assertions are not thread-safe).
#pragma once

#include "secrets_watch.hpp"

#include <wechatpay/error.hpp>

#include <catch2/catch.hpp>

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wechatpay_test {

// errc_of() of a success.
inline constexpr auto ok = static_cast<wechatpay::errc>(0);
// errc_of() of an error from another category.
inline constexpr auto foreign_error = static_cast<wechatpay::errc>(-1);

// Every error a test looks at is also a diagnostic a user could log: the secrets watch reads it.
inline void watch_error(const wechatpay::error& e) {
    if (e.code) secrets::inspect("error", e.to_string() + " " + e.api_message + " " + e.api_detail);
}

inline wechatpay::errc errc_of(const wechatpay::error& e) {
    watch_error(e);
    if (!e.code) return ok;
    if (e.code.category() != wechatpay::wechatpay_category()) return foreign_error;
    return static_cast<wechatpay::errc>(e.code.value());
}

template <class T>
wechatpay::errc errc_of(const wechatpay::result<T>& r) {
    return r ? ok : errc_of(r.error());
}

inline bool is_one_of(wechatpay::errc e, std::initializer_list<wechatpay::errc> allowed) {
    for (auto a : allowed)
        if (a == e) return true;
    return false;
}

// "ok", or the error's one-line description: CHECK(outcome(r) == "ok") shows why it failed.
template <class T>
std::string outcome(const wechatpay::result<T>& r) {
    if (!r) watch_error(r.error());
    return r ? std::string("ok") : r.error().to_string();
}

// Whether `r` was refused before any I/O (invalid_argument) with `field` named in its detail.
template <class T>
bool names_field(const wechatpay::result<T>& r, std::string_view field) {
    INFO(outcome(r));
    return errc_of(r) == wechatpay::errc::invalid_argument && r.error().detail.find(field) != std::string::npos;
}

inline std::string errc_name(wechatpay::errc e) {
    using wechatpay::errc;
    switch (e) {
        case errc::invalid_argument: return "invalid_argument";
        case errc::not_pem: return "not_pem";
        case errc::encrypted_key: return "encrypted_key";
        case errc::not_rsa: return "not_rsa";
        case errc::key_too_small: return "key_too_small";
        case errc::key_mismatch: return "key_mismatch";
        case errc::invalid_certificate: return "invalid_certificate";
        case errc::invalid_apiv3_key: return "invalid_apiv3_key";
        case errc::file_unreadable: return "file_unreadable";
        case errc::missing_header: return "missing_header";
        case errc::probe_signature: return "probe_signature";
        case errc::malformed_signature: return "malformed_signature";
        case errc::unsupported_signature_type: return "unsupported_signature_type";
        case errc::malformed_timestamp: return "malformed_timestamp";
        case errc::stale_timestamp: return "stale_timestamp";
        case errc::unknown_serial: return "unknown_serial";
        case errc::certificate_expired: return "certificate_expired";
        case errc::bad_signature: return "bad_signature";
        case errc::decrypt_failed: return "decrypt_failed";
        case errc::hash_mismatch: return "hash_mismatch";
        case errc::malformed_base64: return "malformed_base64";
        case errc::malformed_json: return "malformed_json";
        case errc::body_too_large: return "body_too_large";
        case errc::unsupported_algorithm: return "unsupported_algorithm";
        case errc::malformed_gzip: return "malformed_gzip";
        case errc::api_error: return "api_error";
        case errc::crypto_failure: return "crypto_failure";
        case errc::ambiguous_header: return "ambiguous_header";
        case errc::notification_in_progress: return "notification_in_progress";
        case errc::callback_exception: return "callback_exception";
    }
    if (e == ok) return "ok";
    if (e == foreign_error) return "foreign_error";
    return "errc(" + std::to_string(static_cast<int>(e)) + ")";
}

template <class T>
T unwrap(wechatpay::result<T> r, std::string_view expression) {
    if (!r) {
        watch_error(r.error());
        FAIL(std::string(expression) + " failed: " + r.error().to_string());
    }
    return std::move(*r);
}

// The base64 lines of a PEM block (no armor): text that must never appear in diagnostics.
inline std::vector<std::string> pem_body_lines(std::string_view pem) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < pem.size()) {
        auto end = pem.find('\n', start);
        if (end == std::string_view::npos) end = pem.size();
        const auto line = pem.substr(start, end - start);
        if (line.size() >= 16 && line.find("-----") == std::string_view::npos &&
            line.find(':') == std::string_view::npos)
            lines.emplace_back(line);
        start = end + 1;
    }
    return lines;
}

// Whether `text` shows any line of the PEM block's body (16 characters are enough to tell).
inline bool contains_pem_text(std::string_view text, std::string_view pem) {
    for (const auto& line : pem_body_lines(pem))
        if (text.find(line.substr(0, 16)) != std::string_view::npos) return true;
    return false;
}

}  // namespace wechatpay_test

// The value of a result<T>, or the test fails with the expression and the error.
#define UNWRAP(...) ::wechatpay_test::unwrap((__VA_ARGS__), #__VA_ARGS__)

namespace Catch {
template <>
struct StringMaker<wechatpay::errc> {
    static std::string convert(wechatpay::errc e) { return wechatpay_test::errc_name(e); }
};
// CHECK(r) / CHECK_FALSE(r) print the outcome (Boost's own operator<< needs T to be printable).
template <class T>
struct StringMaker<boost::system::result<T, wechatpay::error>> {
    static std::string convert(const boost::system::result<T, wechatpay::error>& r) {
        return wechatpay_test::outcome(r);
    }
};
}  // namespace Catch
