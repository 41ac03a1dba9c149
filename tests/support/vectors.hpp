// Test vectors on disk (tests/vectors/, see its README.md) and small helpers to load them.
#pragma once

#include "checks.hpp"

#include <wechatpay/keys.hpp>
#include <wechatpay/verifier.hpp>

#include <boost/json.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace wechatpay_test {

inline std::filesystem::path vector_path(std::string_view relative) {
    return std::filesystem::path(WECHATPAY_VECTORS_DIR) / relative;
}

inline std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path.string());
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

inline std::string read_vector(std::string_view relative) {
    return read_file(vector_path(relative));
}

inline boost::json::object read_json_vector(std::string_view relative) {
    return boost::json::parse(read_vector(relative)).as_object();
}

// The string member `key` of a JSON object.
inline std::string json_string(const boost::json::object& object, std::string_view key) {
    return std::string(object.at(key).as_string());
}

inline wechatpay::private_key load_private_key(std::string_view relative) {
    return UNWRAP(wechatpay::private_key::from_pem(read_vector(relative)));
}

inline wechatpay::public_key load_public_key(std::string_view relative) {
    return UNWRAP(wechatpay::public_key::from_pem(read_vector(relative)));
}

inline wechatpay::certificate load_certificate(std::string_view relative) {
    return UNWRAP(wechatpay::certificate::from_pem(read_vector(relative)));
}

// Signature headers from a JSON object of "Header-Name": "value" pairs (absent = empty).
inline wechatpay::signature_headers headers_from_json(const boost::json::object& headers) {
    return wechatpay::signature_headers::from([&](std::string_view name) -> std::string {
        const auto* value = headers.if_contains(name);
        return value ? std::string(value->as_string()) : std::string();
    });
}

// Unix seconds of a UTC civil time.
inline std::int64_t unix_time(int year, unsigned month, unsigned day, int hour = 0, int minute = 0,
                              int second = 0) {
    using namespace std::chrono;
    const sys_days date{std::chrono::year{year} / std::chrono::month{month} / std::chrono::day{day}};
    return date.time_since_epoch() / seconds{1} + hour * 3600 + minute * 60 + second;
}

inline std::chrono::system_clock::time_point time_point_of(std::int64_t unix_seconds) {
    return std::chrono::system_clock::time_point(std::chrono::seconds(unix_seconds));
}

inline std::int64_t unix_seconds_of(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

// Drops '\r' and trailing whitespace: PEM text compared independent of line endings.
inline std::string normalise_text(std::string_view text) {
    std::string out;
    for (char c : text)
        if (c != '\r') out += c;
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    return out;
}

// Vector file names used by several test files.
namespace files {
inline constexpr std::string_view doc_private_key = "doc_test_private_key_pkcs8.pem";
inline constexpr std::string_view doc_wechatpay_public_key =
    "doc_wechatpay_public_key_PUB_KEY_ID_0000000000000024101100397200000006.pem";
inline constexpr std::string_view go_test_key = "sdk-tests/wechatpay-go/test_private_key_pkcs8.pem";
inline constexpr std::string_view go_cert_d7ce = "sdk-tests/wechatpay-go/cert_D7CE59D1F522D701.pem";
inline constexpr std::string_view go_cert_f576 = "sdk-tests/wechatpay-go/cert_F5765756002FDD77.pem";
inline constexpr std::string_view go_public_key = "sdk-tests/wechatpay-go/public_key_F5765756002FDD77.pem";
inline constexpr std::string_view go_mch_key =
    "sdk-tests/wechatpay-go/mch_private_key_BE6DCDA7A5931FA0_pkcs8.pem";
inline constexpr std::string_view java_merchant_key = "sdk-tests/wechatpay-java/merchant_private_key.pem";
inline constexpr std::string_view java_merchant_cert = "sdk-tests/wechatpay-java/merchant_certificate.pem";
inline constexpr std::string_view java_wechatpay_key = "sdk-tests/wechatpay-java/wechat_pay_private_key.pem";
inline constexpr std::string_view java_wechatpay_cert = "sdk-tests/wechatpay-java/wechat_pay_certificate.pem";
inline constexpr std::string_view java_wechatpay_public_key =
    "sdk-tests/wechatpay-java/wechat_pay_public_key.pem";
inline constexpr std::string_view java_download_plaintext =
    "sdk-tests/wechatpay-java/download_certificate_plaintext.pem";
inline constexpr std::string_view axios_key = "sdk-tests/wechatpay-axios-plugin/fixtures_apiclient_key.pem";
inline constexpr std::string_view axios_client_cert =
    "sdk-tests/wechatpay-axios-plugin/fixtures_apiclient_cert.pem";
inline constexpr std::string_view axios_server_cert =
    "sdk-tests/wechatpay-axios-plugin/fixtures_apiserver_cert.pem";
}  // namespace files

// A 32-byte APIv3 key for tests that build their own ciphertexts.
inline constexpr std::string_view test_apiv3_key = "0123456789abcdefghijklmnopqrstuv";

}  // namespace wechatpay_test
