// RSA keys and X.509 certificates. Immutable values: copies share one OpenSSL object, and every
// operation on them is safe from any number of threads at once (openssl-threads(7)).
#pragma once

#include <wechatpay/error.hpp>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace wechatpay {

namespace detail {
struct pkey_holder;  // owns an EVP_PKEY
}  // namespace detail

// An RSA public key: WeChat Pay's public key, or the key inside a certificate.
class public_key {
public:
    // "PUBLIC KEY" (SubjectPublicKeyInfo) or "RSA PUBLIC KEY" (PKCS#1) PEM.
    static result<public_key> from_pem(std::string_view pem);
    static result<public_key> from_file(const std::filesystem::path& path);

    unsigned bits() const noexcept;
    // RSASSA-PKCS1-v1_5 with SHA-256 over `message`; `signature` is raw bytes.
    bool verify_sha256(std::string_view message, std::string_view signature) const noexcept;
    std::string pem() const;
    bool operator==(const public_key& other) const noexcept;

    const detail::pkey_holder& native() const noexcept { return *key_; }

private:
    explicit public_key(std::shared_ptr<const detail::pkey_holder> k) : key_(std::move(k)) {}
    friend class private_key;
    friend class certificate;
    std::shared_ptr<const detail::pkey_holder> key_;
};

// The merchant's RSA private key (apiclient_key.pem). Never printed: to_string() is redacted.
class private_key {
public:
    // PKCS#8 "PRIVATE KEY" or PKCS#1 "RSA PRIVATE KEY" PEM; RSA, at least 2048 bits, unencrypted.
    static result<private_key> from_pem(std::string_view pem);
    static result<private_key> from_file(const std::filesystem::path& path);

    unsigned bits() const noexcept;
    // Raw RSASSA-PKCS1-v1_5 SHA-256 signature bytes (deterministic for a key and message).
    result<std::string> sign_sha256(std::string_view message) const;
    public_key public_part() const;
    std::string to_string() const;  // "private_key(RSA-2048, redacted)"

    const detail::pkey_holder& native() const noexcept { return *key_; }

private:
    explicit private_key(std::shared_ptr<const detail::pkey_holder> k) : key_(std::move(k)) {}
    std::shared_ptr<const detail::pkey_holder> key_;
};

// An X.509 certificate: the merchant's (apiclient_cert.pem) or a WeChat Pay platform certificate.
class certificate {
public:
    using time_point = std::chrono::system_clock::time_point;

    static result<certificate> from_pem(std::string_view pem);
    static result<certificate> from_file(const std::filesystem::path& path);

    // Upper-case hex without separators, as `openssl x509 -noout -serial` prints it.
    const std::string& serial() const noexcept;
    time_point not_before() const noexcept;
    time_point not_after() const noexcept;
    bool valid_at(time_point t) const noexcept { return not_before() <= t && t <= not_after(); }
    public_key key() const;
    std::string pem() const;
    bool matches(const private_key& k) const noexcept;

private:
    struct data;
    explicit certificate(std::shared_ptr<const data> d) : d_(std::move(d)) {}
    std::shared_ptr<const data> d_;
};

}  // namespace wechatpay
