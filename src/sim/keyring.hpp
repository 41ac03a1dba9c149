// WeChat Pay's side of the keys: the platform certificates (newest valid one signs) and the
// public key, chosen per answer as WeChat does. Rotation adds a certificate at run time.
#pragma once

#include <wechatpay/sim/simulator.hpp>

#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace wechatpay::sim {

struct signing_identity {
    std::string serial;  // certificate serial or PUB_KEY_ID_…
    private_key key;
};

class keyring {
public:
    keyring(std::vector<platform_identity> certificates, std::optional<public_key_identity> pk);

    // An answer is signed with the public key when the request's Wechatpay-Serial names it (or
    // when there are no certificates), else with the newest valid platform certificate.
    signing_identity for_answer(std::string_view request_serial) const;
    signing_identity for_notification(bool prefer_public_key) const;
    std::vector<platform_identity> certificates() const;
    // Generates a new platform certificate valid from now; the old ones stay valid.
    platform_identity rotate();

private:
    signing_identity newest_certificate() const;  // mutex_ held
    mutable std::mutex mutex_;
    std::vector<platform_identity> certificates_;
    std::optional<public_key_identity> public_key_;
};

}  // namespace wechatpay::sim
