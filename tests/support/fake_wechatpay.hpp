// WeChat Pay's side of the signature scheme, played by wechatpay-go's test key: that key, the
// certificates F5765756002FDD77 / D7CE59D1F522D701 and public_key_F5765756002FDD77.pem all carry
// the same RSA public key, so answers and notifications signed here verify with any of them.
#pragma once

#include "checks.hpp"
#include "vectors.hpp"

#include <wechatpay/signer.hpp>
#include <wechatpay/verifier.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace wechatpay_test {

inline constexpr std::string_view platform_serial = "D7CE59D1F522D701";
inline constexpr std::string_view platform_public_key_id = "PUB_KEY_ID_0112233445566778899";

class fake_wechatpay {
public:
    // Loaded once per process; immutable afterwards (safe to share between threads).
    static const fake_wechatpay& instance() {
        static const fake_wechatpay platform;
        return platform;
    }

    const wechatpay::certificate& certificate() const { return cert_; }
    const wechatpay::private_key& key() const { return key_; }
    const wechatpay::signer& signer() const { return *signer_; }

    // Signature headers WeChat Pay would send with `body`, naming `serial`.
    wechatpay::signature_headers sign(std::string_view body, std::int64_t timestamp,
                                      std::string_view nonce = "5K8264ILTKCH16CQ2502SI8ZNMTM67VS",
                                      std::string_view serial = platform_serial) const {
        wechatpay::signature_headers h;
        h.timestamp = std::to_string(timestamp);
        h.nonce = std::string(nonce);
        h.signature = UNWRAP(signer_->sign(wechatpay::answer_message(h.timestamp, h.nonce, body)));
        h.serial = std::string(serial);
        h.signature_type = std::string(wechatpay::signature_type);
        h.request_id = "08F1B2C3D4E5F60718293A4B5C6D7E8F-0";
        return h;
    }

    // A verifier trusting certificate D7CE59D1F522D701 only.
    wechatpay::verifier certificate_verifier(wechatpay::clock_function clock = {}) const {
        return wechatpay::verifier({cert_}, std::nullopt, std::move(clock));
    }

    // A verifier trusting the same key as WeChat Pay public key PUB_KEY_ID_0112233445566778899.
    wechatpay::verifier public_key_verifier() const {
        return wechatpay::verifier({},
                                   wechatpay::wechatpay_public_key{std::string(platform_public_key_id),
                                                                   load_public_key(files::go_public_key)});
    }

private:
    fake_wechatpay()
        : key_(load_private_key(files::go_test_key)),
          cert_(load_certificate(files::go_cert_d7ce)),
          signer_(UNWRAP(wechatpay::signer::create("wechatpay", key_, cert_))) {}

    wechatpay::private_key key_;
    wechatpay::certificate cert_;
    std::optional<wechatpay::signer> signer_;
};

}  // namespace wechatpay_test
