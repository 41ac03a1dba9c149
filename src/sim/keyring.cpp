#include "sim/keyring.hpp"

#include "sim/pki.hpp"

#include <chrono>

namespace wechatpay::sim {

keyring::keyring(std::vector<platform_identity> certificates, std::optional<public_key_identity> pk)
    : certificates_(std::move(certificates)), public_key_(std::move(pk)) {}

signing_identity keyring::newest_certificate() const {
    const auto now = std::chrono::system_clock::now();
    const platform_identity* best = nullptr;
    for (const auto& p : certificates_)
        if (p.cert.valid_at(now) && (!best || p.cert.not_before() > best->cert.not_before())) best = &p;
    if (!best) best = &certificates_.back();  // none valid: sign anyway, clients will refuse
    return {best->cert.serial(), best->key};
}

signing_identity keyring::for_answer(std::string_view request_serial) const {
    std::lock_guard lock(mutex_);
    if (public_key_ && (certificates_.empty() || request_serial == public_key_->id))
        return {public_key_->id, public_key_->key};
    return newest_certificate();
}

signing_identity keyring::for_notification(bool prefer_public_key) const {
    std::lock_guard lock(mutex_);
    if (public_key_ && (certificates_.empty() || prefer_public_key)) return {public_key_->id, public_key_->key};
    return newest_certificate();
}

std::vector<platform_identity> keyring::certificates() const {
    std::lock_guard lock(mutex_);
    return certificates_;
}

platform_identity keyring::rotate() {
    using namespace std::chrono;
    const std::string ca_key = generate_rsa_key();
    const key_and_cert ca{ca_key, make_ca(ca_key, "Tenpay.com Root CA (simulated)")};
    const std::string key = generate_rsa_key();
    const std::string cert = issue_certificate(key, ca, "Tenpay.com sign (simulated)", {},
                                               hours(24 * 365 * 5), seconds(-60));
    platform_identity p{certificate::from_pem(cert).value(), private_key::from_pem(key).value()};
    std::lock_guard lock(mutex_);
    certificates_.push_back(p);
    return p;
}

}  // namespace wechatpay::sim
