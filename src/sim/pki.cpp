#include "sim/pki.hpp"

#include "core/openssl.hpp"

#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>

#include <stdexcept>

namespace wechatpay::sim {

using namespace wechatpay::detail;

namespace {

[[noreturn]] void fail(const char* what) {
    throw std::runtime_error(std::string("pki: ") + what + ": " + last_openssl_error());
}

pkey_ptr read_key(const std::string& pem) {
    auto bio = memory_bio(pem);
    pkey_ptr k(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    if (!k) fail("read key");
    return k;
}

x509_ptr read_cert(const std::string& pem) {
    auto bio = memory_bio(pem);
    x509_ptr c(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!c) fail("read certificate");
    return c;
}

std::string write_cert(X509* c) {
    bio_ptr bio(BIO_new(BIO_s_mem()));
    if (PEM_write_bio_X509(bio.get(), c) != 1) fail("write certificate");
    return bio_contents(bio.get());
}

void add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    if (!ext) fail("extension");
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
}

// A new certificate with a random 128-bit serial, subject CN, validity and public key.
x509_ptr new_cert(EVP_PKEY* key, const std::string& cn, std::chrono::seconds not_before_offset,
                  std::chrono::seconds lifetime) {
    x509_ptr c(X509_new());
    std::unique_ptr<BIGNUM, deleter<BN_free>> bn(BN_new());
    if (!c || !bn || BN_rand(bn.get(), 127, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) != 1) fail("serial");
    ASN1_INTEGER* serial = BN_to_ASN1_INTEGER(bn.get(), nullptr);
    X509_set_serialNumber(c.get(), serial);
    ASN1_INTEGER_free(serial);
    X509_set_version(c.get(), 2);
    X509_gmtime_adj(X509_getm_notBefore(c.get()), static_cast<long>(not_before_offset.count()));
    X509_gmtime_adj(X509_getm_notAfter(c.get()),
                    static_cast<long>((not_before_offset + lifetime).count()));
    X509_NAME* name = X509_get_subject_name(c.get());
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>("wechatpay-asio simulator"), -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
    X509_set_pubkey(c.get(), key);
    return c;
}

bool is_ipv4(const std::string& s) {
    in_addr a{};
    return inet_pton(AF_INET, s.c_str(), &a) == 1;
}

}  // namespace

std::string generate_rsa_key(unsigned bits) {
    pkey_ptr key(EVP_RSA_gen(bits));
    if (!key) fail("generate RSA key");
    bio_ptr bio(BIO_new(BIO_s_mem()));
    if (PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
        fail("write key");
    return bio_contents(bio.get());
}

std::string make_ca(const std::string& key_pem, const std::string& common_name,
                    std::chrono::hours lifetime) {
    auto key = read_key(key_pem);
    auto c = new_cert(key.get(), common_name, std::chrono::seconds(-3600), lifetime);
    X509_set_issuer_name(c.get(), X509_get_subject_name(c.get()));
    add_ext(c.get(), c.get(), NID_basic_constraints, "critical,CA:TRUE");
    add_ext(c.get(), c.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
    add_ext(c.get(), c.get(), NID_subject_key_identifier, "hash");
    if (X509_sign(c.get(), key.get(), EVP_sha256()) == 0) fail("sign CA");
    return write_cert(c.get());
}

std::string issue_certificate(const std::string& key_pem, const key_and_cert& ca,
                              const std::string& common_name,
                              const std::vector<std::string>& dns_and_ips,
                              std::chrono::seconds lifetime, std::chrono::seconds not_before_offset,
                              bool server_auth) {
    auto key = read_key(key_pem);
    auto ca_key = read_key(ca.key_pem);
    auto ca_cert = read_cert(ca.cert_pem);
    auto c = new_cert(key.get(), common_name, not_before_offset, lifetime);
    X509_set_issuer_name(c.get(), X509_get_subject_name(ca_cert.get()));
    add_ext(c.get(), ca_cert.get(), NID_basic_constraints, "critical,CA:FALSE");
    add_ext(c.get(), ca_cert.get(), NID_key_usage, "critical,digitalSignature,keyEncipherment");
    if (server_auth) add_ext(c.get(), ca_cert.get(), NID_ext_key_usage, "serverAuth");
    std::string san;
    for (const auto& n : dns_and_ips) san += (san.empty() ? "" : ",") + ((is_ipv4(n) ? "IP:" : "DNS:") + n);
    if (!san.empty()) add_ext(c.get(), ca_cert.get(), NID_subject_alt_name, san);
    if (X509_sign(c.get(), ca_key.get(), EVP_sha256()) == 0) fail("sign certificate");
    return write_cert(c.get());
}

}  // namespace wechatpay::sim
