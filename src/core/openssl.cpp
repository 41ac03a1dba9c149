#include "core/openssl.hpp"

#include <openssl/err.h>

#include <climits>

namespace wechatpay::detail {

bio_ptr memory_bio(std::string_view data) {
    // BIO_new_mem_buf takes an int length; PEM inputs are tiny, larger input is cut to fail
    // parsing rather than overflow.
    const int len = data.size() > INT_MAX ? INT_MAX : static_cast<int>(data.size());
    return bio_ptr(BIO_new_mem_buf(data.data(), len));
}

std::string bio_contents(BIO* bio) {
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio, &data);
    return len > 0 ? std::string(data, static_cast<std::size_t>(len)) : std::string();
}

std::string last_openssl_error() {
    const unsigned long e = ERR_peek_last_error();
    std::string text;
    if (e != 0) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        text = buf;
    }
    ERR_clear_error();
    return text;
}

void clear_openssl_errors() noexcept { ERR_clear_error(); }

result<std::string> rsa_sha256_sign(EVP_PKEY* key, std::string_view message) {
    md_ctx_ptr ctx(EVP_MD_CTX_new());
    std::size_t len = 0;
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
        EVP_DigestSign(ctx.get(), nullptr, &len,
                       reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1)
        return error(errc::crypto_failure, "RSA sign: " + last_openssl_error());
    std::string sig(len, '\0');
    if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                       reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1)
        return error(errc::crypto_failure, "RSA sign: " + last_openssl_error());
    sig.resize(len);
    return sig;
}

bool rsa_sha256_verify(EVP_PKEY* key, std::string_view message, std::string_view signature) noexcept {
    md_ctx_ptr ctx(EVP_MD_CTX_new());
    const bool ok =
        ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) == 1 &&
        EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                         signature.size(), reinterpret_cast<const unsigned char*>(message.data()),
                         message.size()) == 1;
    if (!ok) clear_openssl_errors();
    return ok;
}

}  // namespace wechatpay::detail
