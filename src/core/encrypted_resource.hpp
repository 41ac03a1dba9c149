// WeChat's encrypted objects — a notification's `resource`, a certificate's
// `encrypt_certificate` — and opening them with the APIv3 key.
#pragma once

#include <wechatpay/crypto.hpp>

#include "core/json_reader.hpp"

namespace wechatpay::detail {

struct encrypted_resource {
    std::string original_type, algorithm, ciphertext, associated_data, nonce;
};

inline void read(const json_reader& r, encrypted_resource& e) {
    r("original_type", e.original_type);
    r("algorithm", e.algorithm);
    r("ciphertext", e.ciphertext);
    r("associated_data", e.associated_data);
    r("nonce", e.nonce);
}

// unsupported_algorithm unless AEAD_AES_256_GCM; malformed_json without ciphertext or nonce, or
// with lengths AES-GCM cannot take (a nonce other than 12 bytes, a ciphertext shorter than the
// tag): the signature held, so the content is authentic but unusable — a protocol error, not
// a decryption that failed. Then aead_decrypt's errors. `what` names the object in errors.
inline result<std::string> open(const encrypted_resource& e, const apiv3_key& key, const std::string& what) {
    if (e.algorithm != "AEAD_AES_256_GCM")
        return error(errc::unsupported_algorithm, what + "/algorithm must be AEAD_AES_256_GCM");
    if (e.ciphertext.empty() || e.nonce.empty())
        return error(errc::malformed_json, what + "/ciphertext and " + what + "/nonce are required");
    auto plain = aead_decrypt(key, e.nonce, e.associated_data, e.ciphertext);
    if (!plain && plain.error().is(errc::invalid_argument))
        return error(errc::malformed_json, what + ": " + plain.error().detail);
    return plain;
}

}  // namespace wechatpay::detail
