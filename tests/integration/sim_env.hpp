// What the simulator's integration tests share: keys generated once per test binary, a
// simulator started per test with a fresh state, clients that talk to it, and small helpers for
// WeChat's JSON. Assertions here run on the test thread only (Catch2 v2 is not thread-safe).
#pragma once

#include "checks.hpp"
#include "sim_client.hpp"
#include "temp_dir.hpp"

#include <wechatpay/crypto.hpp>
#include <wechatpay/keys.hpp>
#include <wechatpay/signer.hpp>
#include <wechatpay/sim/simulator.hpp>
#include <wechatpay/verifier.hpp>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <ctime>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>

namespace wechatpay_test {

using namespace std::chrono_literals;
namespace json = boost::json;

// The merchant, platform certificate and public key of generate_test_setup, made once per test
// binary (RSA key generation is slow) and shared read-only. Simulators started one after the
// other reuse the TLS files in tls_dir.
struct shared_keys {
    temp_dir dir;  // declared first: removed last
    wechatpay::sim::test_setup setup;
    wechatpay::private_key merchant_key;
    wechatpay::certificate merchant_cert;
    wechatpay::certificate platform_cert;
    wechatpay::public_key wechatpay_key;
    wechatpay::apiv3_key apiv3;

    static const shared_keys& get() {
        static const shared_keys keys;
        return keys;
    }

private:
    shared_keys()
        : setup(generate(dir.path())),
          merchant_key(wechatpay::private_key::from_file(setup.merchant_key).value()),
          merchant_cert(wechatpay::certificate::from_file(setup.merchant_cert).value()),
          platform_cert(wechatpay::certificate::from_file(setup.platform_cert).value()),
          wechatpay_key(wechatpay::public_key::from_file(setup.wechatpay_public_key).value()),
          apiv3(wechatpay::apiv3_key::from(setup.apiv3_key).value()) {}

    static wechatpay::sim::test_setup generate(const std::filesystem::path& dir) {
        auto s = wechatpay::sim::generate_test_setup(dir);
        if (!s) throw std::runtime_error("generate_test_setup: " + s.error().to_string());
        for (const char* key : {"apiclient_key.pem", "platform_key.pem", "wechatpay_pub_key_private.pem"}) {
            std::ifstream in(dir / key);
            secrets::watch_pem(std::string((std::istreambuf_iterator<char>(in)), {}));
        }
        secrets::watch(s->apiv3_key);
        s->sim.tls_generate_dir = dir / "tls";
        return std::move(*s);
    }
};

// The base config of every test: 2 io threads, refunds that complete after 200 ms, WeChat's
// notification retry schedule shrunk a thousandfold (15 s → 15 ms), bills at once.
inline wechatpay::sim::config test_config() {
    auto cfg = shared_keys::get().setup.sim;
    cfg.threads = 2;
    cfg.refund_delay = 200ms;
    cfg.notify_time_scale = 0.001;
    cfg.bills_at_once = true;  // today's bill of what a test just paid
    return cfg;
}

// The merchant's signer, optionally with a pinned clock (stale timestamps).
inline wechatpay::signer merchant_signer(wechatpay::clock_function clock = {}) {
    const auto& k = shared_keys::get();
    return wechatpay::signer::create(k.setup.mchid, k.merchant_key, k.merchant_cert, std::move(clock)).value();
}

// Trusts what the simulator signs with: the platform certificate and the public key.
inline wechatpay::verifier full_verifier() {
    const auto& k = shared_keys::get();
    return wechatpay::verifier({k.platform_cert},
                               wechatpay::wechatpay_public_key{k.setup.public_key_id, k.wechatpay_key});
}
inline wechatpay::verifier certificate_only_verifier() {
    return wechatpay::verifier({shared_keys::get().platform_cert});
}
inline wechatpay::verifier public_key_only_verifier() {
    const auto& k = shared_keys::get();
    return wechatpay::verifier({}, wechatpay::wechatpay_public_key{k.setup.public_key_id, k.wechatpay_key});
}

// A simulator started for one test (fresh orders, faults and statistics), stopped at the end.
class sim_env {
public:
    using tweak = std::function<void(wechatpay::sim::config&)>;

    explicit sim_env(const tweak& change = {}) {
        auto cfg = test_config();
        if (change) change(cfg);
        sim_ = UNWRAP(wechatpay::sim::simulator::start(std::move(cfg)));
    }

    wechatpay::sim::simulator& sim() const { return *sim_; }
    const shared_keys& keys() const { return shared_keys::get(); }

    // A client that signs as the merchant.
    sim_client client(std::chrono::milliseconds timeout = 10s) const {
        return sim_client(*sim_, merchant_signer(), timeout);
    }
    // A client for the control API and hand-made Authorization headers.
    sim_client control() const { return sim_client(*sim_); }

    json::value stats() const { return json::parse(sim_->stats_json()); }

private:
    std::unique_ptr<wechatpay::sim::simulator> sim_;
};

// ---- JSON -------------------------------------------------------------------------------

// The value at a JSON pointer ("/detail/location"), or nullptr.
inline const json::value* at(const json::value& v, std::string_view pointer) {
    boost::system::error_code ec;
    return v.find_pointer(pointer, ec);
}
// A string at a JSON pointer; empty when absent or not a string.
inline std::string str_at(const json::value& v, std::string_view pointer) {
    const auto* p = at(v, pointer);
    return p && p->is_string() ? std::string(p->get_string()) : std::string();
}
// A number at a JSON pointer; -1 when absent or not a number.
inline std::int64_t int_at(const json::value& v, std::string_view pointer) {
    const auto* p = at(v, pointer);
    if (!p || !p->is_number()) return -1;
    return p->to_number<std::int64_t>();
}
inline std::string str_at(const sim_answer& a, std::string_view pointer) { return str_at(a.json(), pointer); }
inline std::int64_t int_at(const sim_answer& a, std::string_view pointer) { return int_at(a.json(), pointer); }

// WeChat's error code of an answer ("" for a success body or no body).
inline std::string code_of(const sim_answer& a) { return a.body.empty() ? "" : str_at(a, "/code"); }

// "ok", or why the answer's signature does not verify (CHECK(signature_of(a, v) == "ok")).
inline std::string signature_of(const sim_answer& a, const wechatpay::verifier& v = full_verifier()) {
    return outcome(v.verify(a.headers, a.body));
}

// Whether an answer carries no Wechatpay-* header at all, as WeChat answers a request whose
// signature it could not verify.
inline bool without_signature(const boost::beast::http::response<boost::beast::http::string_body>& res) {
    for (std::string_view name : {"Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Signature", "Wechatpay-Serial",
                                  "Wechatpay-Signature-Type"})
        if (res.find(name) != res.end()) return false;
    return true;
}

// ---- orders -----------------------------------------------------------------------------

// A unique out_trade_no (6-32 characters of the allowed set).
inline std::string trade_no(std::string_view prefix = "T") {
    static std::atomic<unsigned> n{0};
    return std::string(prefix) + std::to_string(std::time(nullptr)) + "_" + std::to_string(++n);
}

inline constexpr std::string_view merchant_notify_url = "https://merchant.example.com/wechatpay/notify";

// A prepay body that WeChat accepts for `kind` (jsapi, app, native, h5).
inline json::object prepay_body(std::string_view out_trade_no, std::int64_t total = 100, std::string_view kind = "native",
                                std::string_view notify_url = merchant_notify_url) {
    const auto& k = shared_keys::get();
    json::object o{{"appid", k.setup.appid},
                   {"mchid", k.setup.mchid},
                   {"description", "Image形象店-深圳腾大-QQ公仔"},
                   {"out_trade_no", out_trade_no},
                   {"notify_url", notify_url},
                   {"amount", json::object{{"total", total}, {"currency", "CNY"}}}};
    if (kind == "jsapi") o["payer"] = json::object{{"openid", "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"}};
    if (kind == "h5")
        o["scene_info"] = json::object{{"payer_client_ip", "14.23.150.211"}, {"h5_info", json::object{{"type", "Wap"}}}};
    return o;
}

inline std::string prepay_path(std::string_view kind) { return "/v3/pay/transactions/" + std::string(kind); }
inline std::string order_path(std::string_view out_trade_no) {
    return "/v3/pay/transactions/out-trade-no/" + std::string(out_trade_no) + "?mchid=" + shared_keys::get().setup.mchid;
}
inline std::string order_by_id_path(std::string_view transaction_id) {
    return "/v3/pay/transactions/id/" + std::string(transaction_id) + "?mchid=" + shared_keys::get().setup.mchid;
}
inline std::string refund_path(std::string_view out_refund_no) {
    return "/v3/refund/domestic/refunds/" + std::string(out_refund_no);
}

// POSTs a prepay and requires it to succeed.
inline sim_answer prepay(sim_client& c, const json::object& body, std::string_view kind = "native") {
    auto a = UNWRAP(c.signed_call("POST", prepay_path(kind), json::serialize(body)));
    INFO(a.body);
    REQUIRE(a.status == 200);
    return a;
}

// Pays an order through the control API, as a user would in the WeChat app.
inline void pay_order(sim_client& control, std::string_view out_trade_no, std::string_view openid = {}) {
    const std::string body = openid.empty() ? "" : json::serialize(json::object{{"openid", openid}});
    auto a = UNWRAP(control.unsigned_call("POST", "/sim/orders/" + std::string(out_trade_no) + "/pay", body));
    INFO(a.body);
    REQUIRE(a.status == 200);
}

inline json::object refund_body(std::string_view out_trade_no, std::string_view out_refund_no, std::int64_t refund,
                                std::int64_t total = 100) {
    return {{"out_trade_no", out_trade_no},
            {"out_refund_no", out_refund_no},
            {"reason", "商品已售完"},
            {"amount", json::object{{"refund", refund}, {"total", total}, {"currency", "CNY"}}}};
}

// RFC 3339 in China Standard Time, as WeChat writes times ("2026-11-27T18:30:00+08:00").
inline std::string rfc3339_cst(std::time_t t) {
    const std::time_t local = t + 8 * 3600;
    std::tm tm{};
    gmtime_r(&local, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S+08:00", &tm);
    return buf;
}

// Polls `done` every 20 ms until it holds or `within` passes; returns its last value.
inline bool eventually(const std::function<bool()>& done, std::chrono::milliseconds within = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + within;
    for (;;) {
        if (done()) return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(20ms);
    }
}

}  // namespace wechatpay_test
