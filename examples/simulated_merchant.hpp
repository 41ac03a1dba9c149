// The client configuration of the merchant that sim::generate_test_setup made, pointed at a
// running simulator: what the examples use instead of a real merchant's files.
#pragma once

#include <wechatpay/config.hpp>
#include <wechatpay/sim/simulator.hpp>

namespace examples {

inline wechatpay::client_config simulated_merchant(const wechatpay::sim::test_setup& setup,
                                                   const wechatpay::sim::simulator& sim) {
    using namespace wechatpay;
    client_config cfg;
    cfg.mchid = setup.mchid;
    cfg.appid = setup.appid;
    cfg.merchant_key = private_key::from_file(setup.merchant_key).value();
    cfg.merchant_certificate = certificate::from_file(setup.merchant_cert).value();
    cfg.apiv3 = apiv3_key::from(setup.apiv3_key).value();
    cfg.wechatpay_certificates = {certificate::from_file(setup.platform_cert).value()};
    cfg.wechatpay_public_key =
        wechatpay_public_key{setup.public_key_id, public_key::from_file(setup.wechatpay_public_key).value()};
    cfg.endpoint = {sim.host(), "", sim.port(), sim.ca_file()};
    return cfg;
}

}  // namespace examples
