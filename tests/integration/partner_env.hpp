// What the partner-mode client tests share: the generated provider's two sub-merchants, a client
// whose default sub-merchant is the first, partner prepays, and checks of WeChat's refusals.
#pragma once

#include "client_env.hpp"

#include <wechatpay/crypto.hpp>

namespace wechatpay_test::partner {

using wechatpay::errc;

inline const wechatpay::sim::sub_merchant& sub(std::size_t i) { return shared_keys::get().setup.sub_merchants.at(i); }
inline const std::string& sp_mchid() { return shared_keys::get().setup.mchid; }
inline const std::string& sp_appid() { return shared_keys::get().setup.appid; }

// A client whose default sub-merchant is the first one.
inline client_env_options with_default_sub(unsigned io_threads = 2) {
    client_env_options o;
    o.client = [](wechatpay::client_config& c) {
        c.sub_mchid = sub(0).mchid;
        c.sub_appid = sub(0).appids.at(0);
    };
    o.io_threads = io_threads;
    return o;
}

inline wechatpay::partner_prepay_request partner_order(const std::string& sub_mchid, const std::string& no,
                                                       std::int64_t total = 100,
                                                       wechatpay::prepay_kind kind = wechatpay::prepay_kind::native,
                                                       std::string notify_url = std::string(merchant_notify_url)) {
    wechatpay::partner_prepay_request r;
    r.order = client_env::order(no, total, kind);
    r.order.notify_url = std::move(notify_url);
    r.order.payer_openid.clear();
    r.sub_mchid = sub_mchid;
    if (kind == wechatpay::prepay_kind::jsapi) r.order.payer_openid = "oSpOpenid0000000000000000001";
    return r;
}

inline std::string new_partner_order(client_env& env, const std::string& sub_mchid, std::int64_t total = 100,
                                     std::string notify_url = std::string(merchant_notify_url)) {
    const std::string no = trade_no("P");
    auto url = env.run(env.client().async_partner_prepay_native(
        partner_order(sub_mchid, no, total, wechatpay::prepay_kind::native, std::move(notify_url))));
    REQUIRE(outcome(url) == "ok");
    return no;
}

inline void check_refused(const wechatpay::error& e, unsigned status, std::string_view code) {
    INFO(e.to_string());
    CHECK(e.code == errc::api_error);
    CHECK(e.http_status == status);
    CHECK(e.api_code == code);
}

template <class T>
void check_refused(const wechatpay::result<T>& r, unsigned status, std::string_view code) {
    REQUIRE_FALSE(r.has_value());
    check_refused(r.error(), status, code);
}

inline bool signed_by_provider(std::string_view message, std::string_view signature) {
    auto sig = wechatpay::base64_decode(signature);
    return sig && shared_keys::get().merchant_cert.key().verify_sha256(message, *sig);
}

}  // namespace wechatpay_test::partner
