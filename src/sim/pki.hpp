// Generating keys and certificates for the simulator and for tests: RSA keys, a CA, a TLS
// server certificate for 127.0.0.1/localhost, and WeChat-style platform certificates.
#pragma once

#include <wechatpay/keys.hpp>

#include <chrono>
#include <string>

namespace wechatpay::sim {

struct key_and_cert {
    std::string key_pem;   // PKCS#8
    std::string cert_pem;
};

// A fresh RSA key (PKCS#8 PEM).
std::string generate_rsa_key(unsigned bits = 2048);

// A self-signed CA certificate for `key_pem`.
std::string make_ca(const std::string& key_pem, const std::string& common_name,
                    std::chrono::hours lifetime = std::chrono::hours(24 * 365));

// A certificate for `key_pem`, signed by the CA. `dns_and_ips` become subjectAltNames
// (entries that parse as IPv4 addresses are IP SANs). `not_before_offset` shifts the start
// (negative: already valid), so tests can make expired or not-yet-valid certificates.
std::string issue_certificate(const std::string& key_pem, const key_and_cert& ca,
                              const std::string& common_name,
                              const std::vector<std::string>& dns_and_ips,
                              std::chrono::seconds lifetime,
                              std::chrono::seconds not_before_offset = std::chrono::seconds(-3600),
                              bool server_auth = false);

}  // namespace wechatpay::sim
