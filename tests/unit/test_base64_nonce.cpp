// base64 (strict RFC 4648), the CSPRNG nonce and secure_wipe.
#include "checks.hpp"

#include <wechatpay/crypto.hpp>

#include <cstddef>
#include <random>
#include <set>
#include <string>
#include <string_view>

using namespace std::string_view_literals;
using wechatpay::errc;
using wechatpay_test::errc_of;

namespace {

bool is_alphanumeric(char c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

std::string pseudo_random_bytes(std::size_t n, unsigned seed) {
    std::mt19937 gen(seed);
    std::uniform_int_distribution<int> byte(0, 255);
    std::string out(n, '\0');
    for (auto& c : out) c = static_cast<char>(byte(gen));
    return out;
}

}  // namespace

TEST_CASE("base64_encode and base64_decode agree with the RFC 4648 test vectors", "[base64]") {
    struct row {
        std::string_view bytes, text;
    };
    const row rows[] = {{"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},
                        {"foo", "Zm9v"},  {"foob", "Zm9vYg=="},  {"fooba", "Zm9vYmE="},
                        {"foobar", "Zm9vYmFy"}};
    for (const auto& r : rows) {
        CAPTURE(r.bytes);
        CHECK(wechatpay::base64_encode(r.bytes) == r.text);
        CHECK(UNWRAP(wechatpay::base64_decode(r.text)) == r.bytes);
    }
}

TEST_CASE("base64_decode accepts canonical input with the standard alphabet", "[base64]") {
    struct row {
        std::string_view text, bytes;
    };
    const row rows[] = {
        {"QQ==", "A"},
        {"QUI=", "AB"},
        {"QUJD", "ABC"},
        {"AAAA", "\0\0\0"sv},
        {"////", "\xff\xff\xff"sv},
        {"+/+/", "\xfb\xff\xbf"sv},
        {"AA==", "\0"sv},
    };
    for (const auto& r : rows) {
        CAPTURE(r.text);
        CHECK(UNWRAP(wechatpay::base64_decode(r.text)) == r.bytes);
    }
}

TEST_CASE("base64_decode rejects anything but strict padded base64 as malformed_base64",
          "[base64]") {
    const std::string_view invalid[] = {
        "=",          "==",         "====",      "A",          "A=",        "A==",
        "A===",       "AB",         "ABC",       "AB=C",       "QQ=",       "QQ===",
        "QQ=A",       "QQ==QQ==",   "QUJD=",     "QUJD====",   "QUJDQQ",
        "QR==",       // trailing bits not zero (Q=010000, R=010001)
        "QUJ=",       // trailing bits not zero
        " QQ==",      "QQ== ",      "QQ\n==",    "QQ==\n",     "QUJD\r\n",  "QU JD",
        "QUJD\t",     "-_-_",       "QUJ-",      "QUJ_",       "QU.D",      "QU\0D"sv,
        "\xffQUJ"sv,  "QUJD=QUJ",
    };
    for (auto text : invalid) {
        CAPTURE(text);
        CHECK(errc_of(wechatpay::base64_decode(text)) == errc::malformed_base64);
    }
}

TEST_CASE("base64 round-trips every byte value and every length up to 64", "[base64]") {
    std::string all_bytes;
    for (int b = 0; b < 256; ++b) all_bytes += static_cast<char>(b);
    CHECK(UNWRAP(wechatpay::base64_decode(wechatpay::base64_encode(all_bytes))) == all_bytes);

    for (std::size_t n = 0; n <= 64; ++n) {
        CAPTURE(n);
        const auto bytes = pseudo_random_bytes(n, static_cast<unsigned>(n));
        const auto text = wechatpay::base64_encode(bytes);
        CHECK(text.size() == (n + 2) / 3 * 4);
        CHECK(UNWRAP(wechatpay::base64_decode(text)) == bytes);
    }
}

TEST_CASE("random_nonce gives n characters of [0-9A-Za-z], 32 by default", "[nonce]") {
    CHECK(wechatpay::random_nonce().size() == 32);
    for (std::size_t n : {0u, 1u, 12u, 32u, 100u}) {
        CAPTURE(n);
        const auto nonce = wechatpay::random_nonce(n);
        CHECK(nonce.size() == n);
        for (char c : nonce) CHECK(is_alphanumeric(c));
    }
}

TEST_CASE("random_nonce values are distinct and use the whole alphabet", "[nonce]") {
    std::set<std::string> seen;
    std::set<char> characters;
    for (int i = 0; i < 1000; ++i) {
        const auto nonce = wechatpay::random_nonce();
        seen.insert(nonce);
        characters.insert(nonce.begin(), nonce.end());
    }
    CHECK(seen.size() == 1000);
    // 32 000 draws from 62 characters: every one shows up unless the generator is biased.
    CHECK(characters.size() == 62);
}

TEST_CASE("secure_wipe leaves none of the secret in the string", "[crypto]") {
    std::string secret = "a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb";
    wechatpay::secure_wipe(secret);
    CHECK(secret.find("a7cde1") == std::string::npos);
    CHECK(secret.find("ur8Gb") == std::string::npos);
}
