#include <wechatpay/keys.hpp>

#include "core/files.hpp"
#include "core/openssl.hpp"

#include <wechatpay/crypto.hpp>

#include <openssl/asn1.h>
#include <openssl/decoder.h>
#include <openssl/pem.h>

#include <ctime>

namespace wechatpay {

using namespace detail;

namespace {

// One PEM block: its type ("PRIVATE KEY", "CERTIFICATE", …), headers and DER bytes.
// Key material is wiped when the block is destroyed.
struct pem_block {
    char* name = nullptr;
    char* header = nullptr;
    unsigned char* der = nullptr;
    long len = 0;

    pem_block() = default;
    pem_block(const pem_block&) = delete;
    pem_block& operator=(const pem_block&) = delete;
    ~pem_block() {
        OPENSSL_free(name);
        OPENSSL_free(header);
        if (der) OPENSSL_clear_free(der, static_cast<std::size_t>(len));
    }
    std::string_view type() const { return name ? name : ""; }
};

// Reads PEM blocks until `accept` says yes to a type. On failure: not_pem, naming the types
// that were found instead.
template <class Accept>
result<std::unique_ptr<pem_block>> find_block(std::string_view pem, std::string_view expected,
                                             Accept accept) {
    auto bio = memory_bio(pem);
    std::string seen;
    for (;;) {
        auto block = std::make_unique<pem_block>();
        if (PEM_read_bio(bio.get(), &block->name, &block->header, &block->der, &block->len) != 1)
            break;
        if (accept(block->type())) return block;
        seen += (seen.empty() ? "" : ", ") + std::string(block->type());
    }
    clear_openssl_errors();
    return error(errc::not_pem, "expected " + std::string(expected) +
                                    (seen.empty() ? ", found no PEM block" : ", found " + seen));
}

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

unsigned key_bits(const pkey_holder& k) { return static_cast<unsigned>(EVP_PKEY_get_bits(k.key.get())); }

// RSA (not RSA-PSS, whose keys refuse PKCS#1 v1.5) and at least 2048 bits.
result<void> check_rsa(EVP_PKEY* key) {
    if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) return error(errc::not_rsa);
    if (const int bits = EVP_PKEY_get_bits(key); bits < 2048)
        return error(errc::key_too_small, std::to_string(bits) + " bits");
    return {};
}

// DER to a provider-native EVP_PKEY. Legacy keys (d2i_AutoPrivateKey, d2i_PUBKEY) would be
// re-exported to the provider under a lock on every sign, which stops threads from scaling.
pkey_ptr decode_der(const unsigned char* der, long len, int selection) {
    EVP_PKEY* key = nullptr;
    std::unique_ptr<OSSL_DECODER_CTX, deleter<OSSL_DECODER_CTX_free>> ctx(
        OSSL_DECODER_CTX_new_for_pkey(&key, "DER", nullptr, nullptr, selection, nullptr, nullptr));
    std::size_t left = static_cast<std::size_t>(len);
    if (!ctx || OSSL_DECODER_from_data(ctx.get(), &der, &left) != 1) {
        EVP_PKEY_free(key);
        return nullptr;
    }
    return pkey_ptr(key);
}

// A public-only copy of a key, so that a public_key never holds private material.
result<pkey_ptr> public_copy(EVP_PKEY* key) {
    unsigned char* der = nullptr;
    const int len = i2d_PUBKEY(key, &der);
    if (len <= 0) return error(errc::crypto_failure, last_openssl_error());
    pkey_ptr pub = decode_der(der, len, EVP_PKEY_PUBLIC_KEY);
    OPENSSL_free(der);
    if (!pub) return error(errc::crypto_failure, last_openssl_error());
    return pub;
}

// Certificates may run past 2262, where a nanosecond time_point ends: clamp to its range.
std::chrono::system_clock::time_point to_time_point(const ASN1_TIME* t) {
    using clock = std::chrono::system_clock;
    std::tm tm{};
    if (ASN1_TIME_to_tm(t, &tm) != 1) return {};
    const auto seconds = static_cast<std::int64_t>(timegm(&tm));
    const auto limit = std::chrono::duration_cast<std::chrono::seconds>(clock::duration::max()).count();
    if (seconds >= limit) return clock::time_point::max();
    if (seconds <= -limit) return clock::time_point::min();
    return clock::time_point(std::chrono::seconds(seconds));
}

}  // namespace

// ---- public_key -------------------------------------------------------------------------

result<public_key> public_key::from_pem(std::string_view pem) {
    auto block = find_block(pem, "PUBLIC KEY or RSA PUBLIC KEY", [](std::string_view t) {
        return t == "PUBLIC KEY" || t == "RSA PUBLIC KEY";
    });
    if (!block) return block.error();
    pkey_ptr key = decode_der((*block)->der, (*block)->len, EVP_PKEY_PUBLIC_KEY);
    if (!key) return error(errc::not_pem, "unreadable public key: " + last_openssl_error());
    if (auto ok = check_rsa(key.get()); !ok) return ok.error();
    return public_key(std::make_shared<const pkey_holder>(pkey_holder{std::move(key)}));
}

result<public_key> public_key::from_file(const std::filesystem::path& path) {
    auto text = read_file(path, pem_file_limit);
    if (!text) return text.error();
    return from_pem(*text);
}

unsigned public_key::bits() const noexcept { return key_bits(*key_); }

bool public_key::verify_sha256(std::string_view message, std::string_view signature) const noexcept {
    return rsa_sha256_verify(key_->key.get(), message, signature);
}

std::string public_key::pem() const {
    auto bio = bio_ptr(BIO_new(BIO_s_mem()));
    PEM_write_bio_PUBKEY(bio.get(), key_->key.get());
    return bio_contents(bio.get());
}

bool public_key::operator==(const public_key& other) const noexcept {
    return EVP_PKEY_eq(key_->key.get(), other.key_->key.get()) == 1;
}

// ---- private_key ------------------------------------------------------------------------

result<private_key> private_key::from_pem(std::string_view pem) {
    auto block = find_block(pem, "PRIVATE KEY or RSA PRIVATE KEY",
                            [](std::string_view t) { return ends_with(t, "PRIVATE KEY"); });
    if (!block) return block.error();
    const pem_block& b = **block;
    if (b.type() == "ENCRYPTED PRIVATE KEY" ||
        (b.header && std::string_view(b.header).find("ENCRYPTED") != std::string_view::npos))
        return error(errc::encrypted_key, "decrypt it first: openssl pkey -in KEY -out PLAIN");
    if (b.type() != "PRIVATE KEY" && b.type() != "RSA PRIVATE KEY")
        return error(errc::not_rsa, "found " + std::string(b.type()));
    pkey_ptr key = decode_der(b.der, b.len, EVP_PKEY_KEYPAIR);
    if (!key) return error(errc::not_pem, "unreadable private key: " + last_openssl_error());
    if (auto ok = check_rsa(key.get()); !ok) return ok.error();
    return private_key(std::make_shared<const pkey_holder>(pkey_holder{std::move(key)}));
}

result<private_key> private_key::from_file(const std::filesystem::path& path) {
    auto text = read_file(path, pem_file_limit);
    if (!text) return text.error();
    auto key = from_pem(*text);
    secure_wipe(*text);
    return key;
}

unsigned private_key::bits() const noexcept { return key_bits(*key_); }

result<std::string> private_key::sign_sha256(std::string_view message) const {
    return rsa_sha256_sign(key_->key.get(), message);
}

public_key private_key::public_part() const {
    auto pub = public_copy(key_->key.get());
    // i2d/d2i of a loaded RSA key only fails when out of memory.
    if (!pub) throw exception(pub.error());
    return public_key(std::make_shared<const pkey_holder>(pkey_holder{std::move(*pub)}));
}

std::string private_key::to_string() const {
    return "private_key(RSA-" + std::to_string(bits()) + ", redacted)";
}

// ---- certificate ------------------------------------------------------------------------

struct certificate::data {
    x509_ptr cert;
    std::string serial;
    time_point not_before, not_after;
    public_key key;
};

result<certificate> certificate::from_pem(std::string_view pem) {
    auto block = find_block(pem, "CERTIFICATE", [](std::string_view t) {
        return t == "CERTIFICATE" || t == "X509 CERTIFICATE" || t == "TRUSTED CERTIFICATE";
    });
    if (!block) return block.error();
    const unsigned char* p = (*block)->der;
    x509_ptr cert(d2i_X509(nullptr, &p, (*block)->len));
    if (!cert) return error(errc::invalid_certificate, last_openssl_error());

    EVP_PKEY* key = X509_get0_pubkey(cert.get());
    if (!key) return error(errc::invalid_certificate, "no usable public key");
    if (auto ok = check_rsa(key); !ok) return ok.error();
    auto pub = public_copy(key);
    if (!pub) return pub.error();

    // i2a_ASN1_INTEGER prints what `openssl x509 -noout -serial` prints: upper-case hex bytes.
    auto bio = bio_ptr(BIO_new(BIO_s_mem()));
    i2a_ASN1_INTEGER(bio.get(), X509_get0_serialNumber(cert.get()));
    auto serial = bio_contents(bio.get());

    auto d = std::make_shared<data>(data{
        std::move(cert), std::move(serial), {}, {},
        public_key(std::make_shared<const pkey_holder>(pkey_holder{std::move(*pub)}))});
    d->not_before = to_time_point(X509_get0_notBefore(d->cert.get()));
    d->not_after = to_time_point(X509_get0_notAfter(d->cert.get()));
    return certificate(std::move(d));
}

result<certificate> certificate::from_file(const std::filesystem::path& path) {
    auto text = read_file(path, pem_file_limit);
    if (!text) return text.error();
    return from_pem(*text);
}

const std::string& certificate::serial() const noexcept { return d_->serial; }
certificate::time_point certificate::not_before() const noexcept { return d_->not_before; }
certificate::time_point certificate::not_after() const noexcept { return d_->not_after; }
public_key certificate::key() const { return d_->key; }

std::string certificate::pem() const {
    auto bio = bio_ptr(BIO_new(BIO_s_mem()));
    PEM_write_bio_X509(bio.get(), d_->cert.get());
    return bio_contents(bio.get());
}

bool certificate::matches(const private_key& k) const noexcept {
    return EVP_PKEY_eq(d_->key.native().key.get(), k.native().key.get()) == 1;
}

}  // namespace wechatpay
