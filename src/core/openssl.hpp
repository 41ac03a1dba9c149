// RAII for the OpenSSL objects the core uses, and the holders behind keys.hpp's handles.
#pragma once

#include <wechatpay/error.hpp>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <string_view>

namespace wechatpay::detail {

template <auto Free>
struct deleter {
    template <class T>
    void operator()(T* p) const noexcept { Free(p); }
};

using bio_ptr = std::unique_ptr<BIO, deleter<BIO_free_all>>;
using pkey_ptr = std::unique_ptr<EVP_PKEY, deleter<EVP_PKEY_free>>;
using pkey_ctx_ptr = std::unique_ptr<EVP_PKEY_CTX, deleter<EVP_PKEY_CTX_free>>;
using md_ctx_ptr = std::unique_ptr<EVP_MD_CTX, deleter<EVP_MD_CTX_free>>;
using cipher_ctx_ptr = std::unique_ptr<EVP_CIPHER_CTX, deleter<EVP_CIPHER_CTX_free>>;
using x509_ptr = std::unique_ptr<X509, deleter<X509_free>>;

struct pkey_holder {
    pkey_ptr key;
};

// A read-only memory BIO over `data` (which must outlive it).
bio_ptr memory_bio(std::string_view data);
// The bytes written to a memory BIO.
std::string bio_contents(BIO* bio);

// The last OpenSSL error as text (the queue is cleared). Never contains key material.
std::string last_openssl_error();
void clear_openssl_errors() noexcept;

// EVP_Digest{Sign,Verify} with SHA-256, a fresh context per call: EVP_PKEY is shared
// read-only, so any number of threads sign and verify at once without locks.
result<std::string> rsa_sha256_sign(EVP_PKEY* key, std::string_view message);
bool rsa_sha256_verify(EVP_PKEY* key, std::string_view message, std::string_view signature) noexcept;

}  // namespace wechatpay::detail
