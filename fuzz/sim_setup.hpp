// The simulator's API for the sim fuzz targets: one merchant (mchid 1900000109) whose key is
// wechatpay-go's test key and whose certificate is D7CE59D1F522D701, so that signed seeds stay
// valid from run to run; a platform certificate generated at start-up for /v3/certificates.
// Each input gets a fresh store (one paid order, fuzzpaid0001, total 100 fen, prepaid for profit
// sharing) and api, with the profit-sharing endpoints routed as the server routes them.
#pragma once

#include "fuzz_common.hpp"

#include <wechatpay/signer.hpp>

#include "sim/api.hpp"
#include "sim/profit_sharing.hpp"

#include <memory>
#include <optional>

namespace fuzz {

inline constexpr std::string_view mchid = "1900000109";
inline constexpr std::string_view appid = "wxd678efh567hg6787";

struct sim_world {
    wechatpay::private_key merchant_key = must(
        wechatpay::private_key::from_pem(read_vector("sdk-tests/wechatpay-go/test_private_key_pkcs8.pem")),
        "merchant key");
    wechatpay::certificate merchant_cert = must(
        wechatpay::certificate::from_pem(read_vector("sdk-tests/wechatpay-go/cert_D7CE59D1F522D701.pem")),
        "merchant certificate");
    wechatpay::signer signer = must(wechatpay::signer::create(std::string(mchid), merchant_key, merchant_cert),
                                    "signer");
    identity platform = identity::generate("fuzz platform");
    wechatpay::sim::config cfg = [this] {
        wechatpay::sim::config c;
        c.merchants.push_back({std::string(mchid), {std::string(appid)}, merchant_cert,
                               must(wechatpay::apiv3_key::from("0123456789abcdefghijklmnopqrstuv"), "apiv3"), {}, {}});
        return c;
    }();

    static const sim_world& get() {
        static const sim_world w;
        return w;
    }

    // The Authorization header the merchant sends with this request at fuzz::now; nullopt when
    // the signer refuses (no method, or a target not starting with '/').
    std::optional<std::string> authorization(std::string_view method, std::string_view target,
                                             std::string_view body) const {
        auto r = signer.sign_request(method, target, body, now, "fuzzNONCEfuzzNONCEfuzzNONCE01234");
        if (!r) return std::nullopt;
        return r->authorization;
    }
};

// A store and an api over it, as one simulator run would have.
struct sim_instance {
    wechatpay::sim::store store;
    wechatpay::sim::api api;
    wechatpay::sim::profit_sharing_desk splits{sim_world::get().cfg, store};  // no hooks: nothing leaves

    sim_instance()
        : api(sim_world::get().cfg, store,
              {nullptr, [] {
                   const auto& p = sim_world::get().platform;
                   return std::vector<wechatpay::sim::platform_identity>{{p.cert, p.key}};
               },
               nullptr, nullptr,  // no complaint or transfer notifications: the fuzzers send nothing
               [](std::string_view serial) -> std::optional<wechatpay::private_key> {
                   const auto& p = sim_world::get().platform;
                   if (p.cert.serial() != serial) return std::nullopt;
                   return p.key;
               }}) {
        api.set_base_url("https://127.0.0.1:8443");
        api.add_route([this](const wechatpay::sim::merchant& m, const wechatpay::sim::incoming& in,
                             std::string_view path, std::string_view query,
                             std::int64_t at) -> std::optional<wechatpay::sim::answer> {
            if (!wechatpay::sim::profit_sharing_desk::serves(path)) return std::nullopt;
            return splits.handle(m, in.method, path, query, in.body, in.wechatpay_serial, at);
        });
        wechatpay::sim::order paid;
        paid.mchid = mchid;
        paid.appid = appid;
        paid.out_trade_no = "fuzzpaid0001";
        paid.description = "fuzz";
        paid.notify_url = "https://example.com/notify";
        paid.total = 100;
        paid.profit_sharing = true;
        paid.created = now - 60;
        store.insert_or_get(paid);
        wechatpay::sim::store::change why{};
        store.pay(std::string(mchid), paid.out_trade_no, "", "", now - 30, why);
    }
};

}  // namespace fuzz
