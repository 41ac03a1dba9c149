// WeChat Pay's side of the keys: the platform certificates and the public key, chosen per answer
// as WeChat does. A rotation publishes the new certificate at once (/v3/certificates lists old
// and new) and signs with it only after an overlap (WeChat: 24 hours), on the simulator's clock.
#pragma once

#include <wechatpay/sim/simulator.hpp>

#include "sim/clock.hpp"

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
    keyring(std::vector<platform_identity> certificates, std::optional<public_key_identity> pk,
            const sim_clock& clock);

    // An answer is signed with the public key when the request's Wechatpay-Serial names it (or
    // when there are no certificates), else with the certificate in use.
    signing_identity for_answer(std::string_view request_serial) const;
    signing_identity for_notification(bool prefer_public_key) const;
    // The private key of a published certificate's serial (hex in either case) or of the public
    // key id: what decrypts a field a client encrypted for that key. nullopt for any other.
    std::optional<private_key> decrypting_key(std::string_view serial) const;
    // Every published certificate, those not yet signing included.
    std::vector<platform_identity> certificates() const;
    struct published {
        platform_identity id;
        std::int64_t signs_from = 0;  // simulator time
    };
    // Publishes a new platform certificate that signs from `overlap` on; the old ones stay valid.
    published rotate(std::chrono::seconds overlap);

private:
    signing_identity in_use() const;  // mutex_ held
    const sim_clock& clock_;
    mutable std::mutex mutex_;
    std::vector<published> certificates_;  // in order of publication
    std::optional<public_key_identity> public_key_;
};

}  // namespace wechatpay::sim
