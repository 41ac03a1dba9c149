#include <wechatpay/crypto.hpp>

#include "core/openssl.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include <array>
#include <climits>

namespace wechatpay {

using namespace detail;

namespace {

constexpr std::string_view b64_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<signed char, 256> b64_table = [] {
    std::array<signed char, 256> t{};
    t.fill(-1);
    for (std::size_t i = 0; i < b64_alphabet.size(); ++i)
        t[static_cast<unsigned char>(b64_alphabet[i])] = static_cast<signed char>(i);
    return t;
}();

const unsigned char* bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }
unsigned char* bytes(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }

constexpr std::size_t gcm_tag_size = 16;

const EVP_CIPHER* gcm_cipher(std::size_t key_size) {
    switch (key_size) {
    case 16: return EVP_aes_128_gcm();
    case 24: return EVP_aes_192_gcm();
    case 32: return EVP_aes_256_gcm();
    default: return nullptr;
    }
}

// EVP's lengths are ints; WeChat's payloads are kilobytes. Refuse the absurd instead of casting.
bool fits_int(std::string_view s) { return s.size() <= static_cast<std::size_t>(INT_MAX / 2); }

// OpenSSL's GCM takes IVs of 1 to 128 bytes; WeChat's nonces have 12 (reference §5).
constexpr std::size_t gcm_max_iv = 128, wechat_nonce_size = 12;

// Sets up an AES-GCM context with key and IV of any length the cipher accepts.
result<cipher_ctx_ptr> gcm_init(bool encrypt, std::string_view key, std::string_view iv) {
    const EVP_CIPHER* cipher = gcm_cipher(key.size());
    if (!cipher) return error(errc::invalid_argument, "AES-GCM key must be 16, 24 or 32 bytes");
    if (iv.empty() || iv.size() > gcm_max_iv)
        return error(errc::invalid_argument,
                     "AES-GCM nonce must be 1 to 128 bytes, got " + std::to_string(iv.size()));
    cipher_ctx_ptr ctx(EVP_CIPHER_CTX_new());
    const int enc = encrypt ? 1 : 0;
    if (!ctx || EVP_CipherInit_ex(ctx.get(), cipher, nullptr, nullptr, nullptr, enc) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(iv.size()),
                            nullptr) != 1 ||
        EVP_CipherInit_ex(ctx.get(), nullptr, nullptr, bytes(key), bytes(iv), enc) != 1)
        return error(errc::crypto_failure, "AES-GCM init: " + last_openssl_error());
    return ctx;
}

// API v3's framing: the nonce is not echoed (a key pasted into the wrong place stays secret).
result<void> check_wechat_nonce(std::string_view nonce) {
    if (nonce.size() == wechat_nonce_size) return {};
    return error(errc::invalid_argument,
                 "AEAD_AES_256_GCM nonce must be 12 characters, got " + std::to_string(nonce.size()));
}

bool gcm_aad(EVP_CIPHER_CTX* ctx, std::string_view aad) {
    int len = 0;
    return aad.empty() ||
           EVP_CipherUpdate(ctx, nullptr, &len, bytes(aad), static_cast<int>(aad.size())) == 1;
}

}  // namespace

std::string base64_encode(std::string_view in) {
    std::string out(4 * ((in.size() + 2) / 3), '\0');
    std::size_t o = 0;
    std::size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        const unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                           (static_cast<unsigned char>(in[i + 1]) << 8) |
                           static_cast<unsigned char>(in[i + 2]);
        out[o++] = b64_alphabet[(v >> 18) & 63];
        out[o++] = b64_alphabet[(v >> 12) & 63];
        out[o++] = b64_alphabet[(v >> 6) & 63];
        out[o++] = b64_alphabet[v & 63];
    }
    if (const std::size_t rest = in.size() - i; rest > 0) {
        unsigned v = static_cast<unsigned char>(in[i]) << 16;
        if (rest == 2) v |= static_cast<unsigned char>(in[i + 1]) << 8;
        out[o++] = b64_alphabet[(v >> 18) & 63];
        out[o++] = b64_alphabet[(v >> 12) & 63];
        out[o++] = rest == 2 ? b64_alphabet[(v >> 6) & 63] : '=';
        out[o++] = '=';
    }
    return out;
}

result<std::string> base64_decode(std::string_view in) {
    if (in.size() % 4 != 0) return error(errc::malformed_base64, "length is not a multiple of 4");
    std::size_t pad = 0;
    if (!in.empty() && in.back() == '=') pad = in[in.size() - 2] == '=' ? 2 : 1;
    std::string out;
    out.reserve(in.size() / 4 * 3);
    unsigned acc = 0;
    for (std::size_t i = 0; i < in.size() - pad; ++i) {
        const int v = b64_table[static_cast<unsigned char>(in[i])];
        if (v < 0) return error(errc::malformed_base64, "invalid character at " + std::to_string(i));
        acc = (acc << 6) | static_cast<unsigned>(v);
        if (i % 4 == 3) {
            out += static_cast<char>((acc >> 16) & 0xff);
            out += static_cast<char>((acc >> 8) & 0xff);
            out += static_cast<char>(acc & 0xff);
            acc = 0;
        }
    }
    // A padded final group: its unused low bits must be zero (canonical encoding).
    if (pad == 2) {
        if (acc & 0xf) return error(errc::malformed_base64, "non-zero trailing bits");
        out += static_cast<char>((acc >> 4) & 0xff);
    } else if (pad == 1) {
        if (acc & 0x3) return error(errc::malformed_base64, "non-zero trailing bits");
        out += static_cast<char>((acc >> 10) & 0xff);
        out += static_cast<char>((acc >> 2) & 0xff);
    }
    return out;
}

std::string random_nonce(std::size_t n) {
    static constexpr std::string_view alphabet =
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    std::string out;
    out.reserve(n);
    // Rejection sampling keeps the 62 characters equally likely (248 = 4 * 62).
    unsigned char buf[64];
    while (out.size() < n) {
        if (RAND_bytes(buf, sizeof buf) != 1)
            throw exception(error(errc::crypto_failure, "RAND_bytes: " + last_openssl_error()));
        for (unsigned char b : buf)
            if (b < 248 && out.size() < n) out += alphabet[b % 62];
    }
    return out;
}

namespace {
std::string hex_digest(std::string_view data, const EVP_MD* md_type, const char* name) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    if (EVP_Digest(data.data(), data.size(), md, &len, md_type, nullptr) != 1)
        throw exception(error(errc::crypto_failure, std::string(name) + ": " + last_openssl_error()));
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(2 * len);
    for (unsigned i = 0; i < len; ++i) (out += hex[md[i] >> 4]) += hex[md[i] & 15];
    return out;
}
}  // namespace

std::string sha1_hex(std::string_view data) { return hex_digest(data, EVP_sha1(), "SHA-1"); }
std::string sha256_hex(std::string_view data) { return hex_digest(data, EVP_sha256(), "SHA-256"); }

void secure_wipe(std::string& s) noexcept {
    if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
}

// ---- APIv3 key and AES-GCM --------------------------------------------------------------

result<apiv3_key> apiv3_key::from(std::string_view key) {
    if (key.size() != 32)
        return error(errc::invalid_apiv3_key, "got " + std::to_string(key.size()) + " bytes");
    return apiv3_key(key);
}

apiv3_key::~apiv3_key() { secure_wipe(key_); }

result<std::string> aes_gcm_decrypt(std::string_view key, std::string_view iv, std::string_view aad,
                                    std::string_view ciphertext_b64) {
    auto sealed = base64_decode(ciphertext_b64);
    if (!sealed) return sealed.error();
    if (sealed->size() < gcm_tag_size)
        return error(errc::invalid_argument, "AES-GCM ciphertext must hold at least the 16-byte tag, got " +
                                                 std::to_string(sealed->size()) + " bytes");
    if (!fits_int(*sealed) || !fits_int(aad)) return error(errc::invalid_argument, "input too large");
    auto ctx = gcm_init(false, key, iv);
    if (!ctx) return ctx.error();

    const std::size_t body = sealed->size() - gcm_tag_size;
    std::string plain(body, '\0');
    int len = 0;
    int tail = 0;
    std::string tag = sealed->substr(body);
    if (!gcm_aad(ctx->get(), aad) ||
        EVP_DecryptUpdate(ctx->get(), bytes(plain), &len, bytes(*sealed), static_cast<int>(body)) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx->get(), EVP_CTRL_GCM_SET_TAG, gcm_tag_size, tag.data()) != 1)
        return error(errc::crypto_failure, "AES-GCM: " + last_openssl_error());
    if (EVP_DecryptFinal_ex(ctx->get(), bytes(plain) + len, &tail) != 1) {
        clear_openssl_errors();
        secure_wipe(plain);
        return error(errc::decrypt_failed, "AES-GCM tag mismatch: wrong key, nonce, associated data or tampered data");
    }
    plain.resize(static_cast<std::size_t>(len + tail));
    return plain;
}

result<std::string> aes_gcm_encrypt(std::string_view key, std::string_view iv, std::string_view aad,
                                    std::string_view plaintext) {
    if (!fits_int(plaintext) || !fits_int(aad)) return error(errc::invalid_argument, "input too large");
    auto ctx = gcm_init(true, key, iv);
    if (!ctx) return ctx.error();
    std::string sealed(plaintext.size() + gcm_tag_size, '\0');
    int len = 0;
    int tail = 0;
    if (!gcm_aad(ctx->get(), aad) ||
        EVP_EncryptUpdate(ctx->get(), bytes(sealed), &len, bytes(plaintext),
                          static_cast<int>(plaintext.size())) != 1 ||
        EVP_EncryptFinal_ex(ctx->get(), bytes(sealed) + len, &tail) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx->get(), EVP_CTRL_GCM_GET_TAG, gcm_tag_size,
                            bytes(sealed) + len + tail) != 1)
        return error(errc::crypto_failure, "AES-GCM: " + last_openssl_error());
    sealed.resize(static_cast<std::size_t>(len + tail) + gcm_tag_size);
    return base64_encode(sealed);
}

result<std::string> aead_decrypt(const apiv3_key& key, std::string_view nonce,
                                 std::string_view associated_data, std::string_view ciphertext_b64) {
    if (auto ok = check_wechat_nonce(nonce); !ok) return ok.error();
    return aes_gcm_decrypt(key.bytes(), nonce, associated_data, ciphertext_b64);
}

result<std::string> aead_encrypt(const apiv3_key& key, std::string_view nonce,
                                 std::string_view associated_data, std::string_view plaintext) {
    if (auto ok = check_wechat_nonce(nonce); !ok) return ok.error();
    return aes_gcm_encrypt(key.bytes(), nonce, associated_data, plaintext);
}

// ---- RSA-OAEP (SHA-1, MGF1-SHA-1, empty label) ------------------------------------------

namespace {

pkey_ctx_ptr oaep_context(EVP_PKEY* key, bool encrypt) {
    pkey_ctx_ptr ctx(EVP_PKEY_CTX_new(key, nullptr));
    const bool ok = ctx &&
                    (encrypt ? EVP_PKEY_encrypt_init(ctx.get()) : EVP_PKEY_decrypt_init(ctx.get())) == 1 &&
                    EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) == 1 &&
                    EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), EVP_sha1()) == 1 &&
                    EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), EVP_sha1()) == 1;
    return ok ? std::move(ctx) : nullptr;
}

}  // namespace

result<std::string> oaep_encrypt(const public_key& key, std::string_view plaintext) {
    auto ctx = oaep_context(key.native().key.get(), true);
    std::size_t len = 0;
    if (!ctx || EVP_PKEY_encrypt(ctx.get(), nullptr, &len, bytes(plaintext), plaintext.size()) != 1)
        return error(errc::crypto_failure, "OAEP: " + last_openssl_error());
    std::string out(len, '\0');
    if (EVP_PKEY_encrypt(ctx.get(), bytes(out), &len, bytes(plaintext), plaintext.size()) != 1)
        return error(errc::invalid_argument,
                     "OAEP: plaintext too long for the key (" + std::to_string(plaintext.size()) + " bytes)");
    out.resize(len);
    return base64_encode(out);
}

result<std::string> oaep_decrypt(const private_key& key, std::string_view ciphertext_b64) {
    auto sealed = base64_decode(ciphertext_b64);
    if (!sealed) return sealed.error();
    auto ctx = oaep_context(key.native().key.get(), false);
    std::size_t len = 0;
    if (!ctx || EVP_PKEY_decrypt(ctx.get(), nullptr, &len, bytes(*sealed), sealed->size()) != 1)
        return error(errc::crypto_failure, "OAEP: " + last_openssl_error());
    std::string out(len, '\0');
    if (EVP_PKEY_decrypt(ctx.get(), bytes(out), &len, bytes(*sealed), sealed->size()) != 1) {
        clear_openssl_errors();
        return error(errc::decrypt_failed, "OAEP: wrong key or tampered ciphertext");
    }
    out.resize(len);
    return out;
}

}  // namespace wechatpay
