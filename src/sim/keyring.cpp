#include "sim/keyring.hpp"

#include "sim/pki.hpp"

#include <boost/beast/core/string.hpp>

#include <chrono>

namespace wechatpay::sim {

keyring::keyring(std::vector<platform_identity> certificates, std::optional<public_key_identity> pk,
                 const sim_clock& clock)
    : clock_(clock), public_key_(std::move(pk)) {
    for (auto& c : certificates) certificates_.push_back({std::move(c), 0});
}

// The newest certificate whose overlap has passed and that is valid now: the latest to sign,
// then the latest issued, then the latest published (two rotations within one second tie on both).
signing_identity keyring::in_use() const {
    const auto now = std::chrono::system_clock::now();
    const std::int64_t sim_now = clock_.now();
    const published* best = nullptr;
    for (const auto& p : certificates_)
        if (p.signs_from <= sim_now && p.id.cert.valid_at(now) &&
            (!best || p.signs_from > best->signs_from ||
             (p.signs_from == best->signs_from && p.id.cert.not_before() >= best->id.cert.not_before())))
            best = &p;
    if (!best) best = &certificates_.front();  // none valid: sign anyway, clients will refuse
    return {best->id.cert.serial(), best->id.key};
}

signing_identity keyring::for_answer(std::string_view request_serial) const {
    std::lock_guard lock(mutex_);
    if (public_key_ && (certificates_.empty() || request_serial == public_key_->id))
        return {public_key_->id, public_key_->key};
    return in_use();
}

signing_identity keyring::for_notification(bool prefer_public_key) const {
    std::lock_guard lock(mutex_);
    if (public_key_ && (certificates_.empty() || prefer_public_key)) return {public_key_->id, public_key_->key};
    return in_use();
}

std::optional<private_key> keyring::decrypting_key(std::string_view serial) const {
    std::lock_guard lock(mutex_);
    if (public_key_ && serial == public_key_->id) return public_key_->key;
    for (const auto& p : certificates_)
        if (boost::beast::iequals(p.id.cert.serial(), serial)) return p.id.key;
    return std::nullopt;
}

std::vector<platform_identity> keyring::certificates() const {
    std::lock_guard lock(mutex_);
    std::vector<platform_identity> out;
    for (const auto& p : certificates_) out.push_back(p.id);
    return out;
}

keyring::published keyring::rotate(std::chrono::seconds overlap) {
    using namespace std::chrono;
    const std::string ca_key = generate_rsa_key();
    const key_and_cert ca{ca_key, make_ca(ca_key, "Tenpay.com Root CA (simulated)")};
    const std::string key = generate_rsa_key();
    const std::string cert = issue_certificate(key, ca, "Tenpay.com sign (simulated)", {},
                                               hours(24 * 365 * 5), seconds(-60));
    platform_identity p{certificate::from_pem(cert).value(), private_key::from_pem(key).value()};
    std::lock_guard lock(mutex_);
    certificates_.push_back({p, clock_.now() + overlap.count()});
    return certificates_.back();
}

}  // namespace wechatpay::sim
