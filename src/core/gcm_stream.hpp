// AES-256-GCM decryption of a stream whose last 16 bytes are the tag (WeChat's framing of an
// encrypted bill file: binary ciphertext, tag appended). Plaintext is passed on as it is
// decrypted, so memory stays one buffer whatever the file's size; the tag is known, and
// checked, only at the end: nothing passed on is trusted before finish() succeeds.
#pragma once

#include "core/gzip.hpp"

#include <memory>
#include <string_view>

namespace wechatpay::detail {

class gcm_decrypt_stream {
public:
    // key: 32 bytes (kept only in OpenSSL's context, which wipes it when freed); iv: 1 to 128
    // bytes; aad: the associated data. invalid_argument for other sizes.
    static result<gcm_decrypt_stream> open(std::string_view key, std::string_view iv, std::string_view aad,
                                           chunk_sink out);
    gcm_decrypt_stream(gcm_decrypt_stream&&) noexcept;
    gcm_decrypt_stream& operator=(gcm_decrypt_stream&&) noexcept;
    ~gcm_decrypt_stream();

    // Ciphertext as received, in pieces of any size.
    result<void> write(std::string_view sealed);
    // After the last byte: errc::decrypt_failed when the tag does not match (or the stream is
    // shorter than a tag).
    result<void> finish();

private:
    struct state;
    explicit gcm_decrypt_stream(std::unique_ptr<state> s);
    std::unique_ptr<state> s_;
};

}  // namespace wechatpay::detail
