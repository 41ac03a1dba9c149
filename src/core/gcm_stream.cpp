#include "core/gcm_stream.hpp"

#include "core/openssl.hpp"

#include <wechatpay/crypto.hpp>

#include <array>
#include <climits>
#include <cstring>
#include <string>

namespace wechatpay::detail {

namespace {
constexpr std::size_t tag_size = 16;
constexpr std::size_t max_iv = 128;
// Decrypted at most this much at a time (OpenSSL takes int lengths).
constexpr std::size_t step = 64 * 1024;

const unsigned char* bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }
}  // namespace

struct gcm_decrypt_stream::state {
    cipher_ctx_ptr ctx;
    chunk_sink out;
    std::array<char, tag_size> tail{};  // the last bytes seen: the tag, once the stream ends
    std::size_t tail_len = 0;
    std::string plain;  // reused output buffer
    bool failed = false;

    ~state() { secure_wipe(plain); }

    result<void> decrypt(std::string_view sealed) {
        while (!sealed.empty()) {
            const std::size_t n = std::min(sealed.size(), step);
            plain.resize(n);
            int len = 0;
            if (EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &len, bytes(sealed),
                                  static_cast<int>(n)) != 1)
                return error(errc::crypto_failure, "AES-GCM: " + last_openssl_error());
            if (auto ok = out(std::string_view(plain.data(), static_cast<std::size_t>(len))); !ok) return ok;
            sealed.remove_prefix(n);
        }
        return {};
    }
};

gcm_decrypt_stream::gcm_decrypt_stream(std::unique_ptr<state> s) : s_(std::move(s)) {}
gcm_decrypt_stream::gcm_decrypt_stream(gcm_decrypt_stream&&) noexcept = default;
gcm_decrypt_stream& gcm_decrypt_stream::operator=(gcm_decrypt_stream&&) noexcept = default;
gcm_decrypt_stream::~gcm_decrypt_stream() = default;

result<gcm_decrypt_stream> gcm_decrypt_stream::open(std::string_view key, std::string_view iv, std::string_view aad,
                                                    chunk_sink out) {
    if (key.size() != 32) return error(errc::invalid_argument, "AES-256-GCM key must be 32 bytes");
    if (iv.empty() || iv.size() > max_iv)
        return error(errc::invalid_argument, "AES-GCM nonce must be 1 to 128 bytes, got " + std::to_string(iv.size()));
    if (aad.size() > INT_MAX) return error(errc::invalid_argument, "associated data too large");
    auto s = std::make_unique<state>();
    s->ctx.reset(EVP_CIPHER_CTX_new());
    s->out = std::move(out);
    int len = 0;
    if (!s->ctx || EVP_DecryptInit_ex(s->ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
        EVP_CIPHER_CTX_ctrl(s->ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(iv.size()), nullptr) != 1 ||
        EVP_DecryptInit_ex(s->ctx.get(), nullptr, nullptr, bytes(key), bytes(iv)) != 1 ||
        (!aad.empty() && EVP_DecryptUpdate(s->ctx.get(), nullptr, &len, bytes(aad), static_cast<int>(aad.size())) != 1))
        return error(errc::crypto_failure, "AES-GCM init: " + last_openssl_error());
    return gcm_decrypt_stream(std::move(s));
}

// Everything but the newest 16 bytes is ciphertext: decrypted and passed on at once.
result<void> gcm_decrypt_stream::write(std::string_view sealed) {
    auto& s = *s_;
    if (s.failed) return error(errc::invalid_argument, "AES-GCM stream already failed");
    result<void> ok;
    if (sealed.size() >= tag_size) {
        ok = s.decrypt(std::string_view(s.tail.data(), s.tail_len));
        if (ok) ok = s.decrypt(sealed.substr(0, sealed.size() - tag_size));
        std::memcpy(s.tail.data(), sealed.data() + sealed.size() - tag_size, tag_size);
        s.tail_len = tag_size;
    } else if (s.tail_len + sealed.size() > tag_size) {
        const std::size_t release = s.tail_len + sealed.size() - tag_size;
        ok = s.decrypt(std::string_view(s.tail.data(), release));
        std::memmove(s.tail.data(), s.tail.data() + release, s.tail_len - release);
        std::memcpy(s.tail.data() + s.tail_len - release, sealed.data(), sealed.size());
        s.tail_len = tag_size;
    } else {
        std::memcpy(s.tail.data() + s.tail_len, sealed.data(), sealed.size());
        s.tail_len += sealed.size();
    }
    if (!ok) s.failed = true;
    return ok;
}

result<void> gcm_decrypt_stream::finish() {
    auto& s = *s_;
    if (s.failed) return error(errc::invalid_argument, "AES-GCM stream already failed");
    s.failed = true;  // once
    if (s.tail_len < tag_size)
        return error(errc::decrypt_failed, "AES-GCM stream shorter than its 16-byte tag");
    unsigned char last[EVP_MAX_BLOCK_LENGTH];
    int len = 0;
    if (EVP_CIPHER_CTX_ctrl(s.ctx.get(), EVP_CTRL_GCM_SET_TAG, tag_size, s.tail.data()) != 1)
        return error(errc::crypto_failure, "AES-GCM: " + last_openssl_error());
    if (EVP_DecryptFinal_ex(s.ctx.get(), last, &len) != 1) {
        clear_openssl_errors();
        return error(errc::decrypt_failed, "AES-GCM tag mismatch: wrong key or nonce, or tampered data");
    }
    return {};
}

}  // namespace wechatpay::detail
