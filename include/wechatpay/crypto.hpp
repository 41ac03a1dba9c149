// The primitives of API v3 beyond signing: base64, nonces, AEAD_AES_256_GCM with the APIv3 key
// (notifications, certificates) and RSA-OAEP for sensitive fields.
#pragma once

#include <wechatpay/error.hpp>
#include <wechatpay/keys.hpp>

#include <string>
#include <string_view>

namespace wechatpay {

std::string base64_encode(std::string_view bytes);
// Strict RFC 4648: standard alphabet, '=' padding required, no whitespace, no trailing bits.
result<std::string> base64_decode(std::string_view text);

// `n` characters of [0-9A-Za-z] from OpenSSL's CSPRNG.
std::string random_nonce(std::size_t n = 32);

// The merchant's APIv3 key: exactly 32 bytes. Never printed; wiped when destroyed.
class apiv3_key {
public:
    static result<apiv3_key> from(std::string_view key);
    apiv3_key(const apiv3_key&) = default;
    apiv3_key(apiv3_key&&) noexcept = default;
    apiv3_key& operator=(const apiv3_key&) = default;
    apiv3_key& operator=(apiv3_key&&) noexcept = default;
    ~apiv3_key();

    std::string_view bytes() const noexcept { return {key_.data(), key_.size()}; }
    std::string to_string() const { return "apiv3_key(redacted)"; }

private:
    explicit apiv3_key(std::string_view k) : key_(k) {}
    std::string key_;
};

// AES-GCM with WeChat's framing: nonce and associated_data are used as their ASCII bytes, and
// the base64 ciphertext carries the 16-byte tag at its end. A tag mismatch is decrypt_failed;
// a nonce other than 12 bytes (WeChat's) or a ciphertext shorter than the tag is
// invalid_argument.
result<std::string> aead_decrypt(const apiv3_key& key, std::string_view nonce,
                                 std::string_view associated_data, std::string_view ciphertext_b64);
result<std::string> aead_encrypt(const apiv3_key& key, std::string_view nonce,
                                 std::string_view associated_data, std::string_view plaintext);

// The same with a raw AES key of 16, 24 or 32 bytes (AES-128/192/256 picked by length, as the
// official Go SDK does) and any IV length OpenSSL takes (1 to 128 bytes; other lengths are
// invalid_argument). For interoperability tests; API v3 uses the above.
result<std::string> aes_gcm_decrypt(std::string_view key, std::string_view iv, std::string_view aad,
                                    std::string_view ciphertext_b64);
result<std::string> aes_gcm_encrypt(std::string_view key, std::string_view iv, std::string_view aad,
                                    std::string_view plaintext);

// RSAES-OAEP with SHA-1 and MGF1-SHA-1, empty label (sensitive fields). Base64 in and out.
result<std::string> oaep_encrypt(const public_key& key, std::string_view plaintext);
result<std::string> oaep_decrypt(const private_key& key, std::string_view ciphertext_b64);

// Lower-case hex SHA-1 (bill downloads are checked against WeChat's hash_value with it).
std::string sha1_hex(std::string_view data);
// Lower-case hex SHA-256 (an upload's meta names its file by it).
std::string sha256_hex(std::string_view data);

// OpenSSL_cleanse: wipes a buffer so a secret does not linger in freed memory.
void secure_wipe(std::string& s) noexcept;

}  // namespace wechatpay
