// The WeChat Pay simulator: a real HTTPS server on loopback that behaves like API v3 — it
// verifies requests' signatures, signs its answers, keeps order and refund state, serves bills,
// sends signed and encrypted notifications, and injects faults on demand. It runs its own
// io_context threads; tests, examples, benchmarks and `wechatpay sim` all use it.
#pragma once

#include <wechatpay/crypto.hpp>
#include <wechatpay/error.hpp>
#include <wechatpay/keys.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wechatpay::sim {

// A sub-merchant (特约商户) bound to a service provider, with the appids bound to it. It has no
// key: the provider signs and receives its notifications.
struct sub_merchant {
    std::string mchid;
    std::vector<std::string> appids;
};

struct merchant {
    std::string mchid;
    std::vector<std::string> appids;
    certificate cert;  // requests are verified with its key; its serial must be named
    apiv3_key apiv3;   // encrypts notifications and /v3/certificates
    // Where REFUND.* notifications go for a refund that names no notify_url (WeChat: the refund
    // URL set in the merchant platform, never the payment's notify_url). Empty: none is sent.
    std::string refund_notify_url;
    // Where PROFITSHARING.SUCCESS / .RETURN notifications (分账动账通知) go: at WeChat the URL a
    // receiving merchant sets on its merchant platform; the simulator sends the splitting
    // merchant's own splits here. Empty: none is sent.
    std::string profit_sharing_notify_url{};
    // A service provider's sub-merchants ("sub_merchants":[{"mchid","appids"}] in the JSON config).
    // A partner call (/v3/pay/partner/…, a refund, refund query or bill with sub_mchid, a combine
    // sub-order with sub_mchid) for a sub-merchant not listed here is refused with WeChat's
    // 400 INVALID_REQUEST "服务商和子商户没有绑定关系"; a sub_appid not bound to it with
    // 400 APPID_MCHID_NOT_MATCH.
    std::vector<sub_merchant> sub_merchants{};
};

// A platform certificate and the key WeChat Pay signs with while it is the newest valid one.
struct platform_identity {
    certificate cert;
    private_key key;
};

// The WeChat Pay public key mode: the id (PUB_KEY_ID_…) and the private half that signs.
struct public_key_identity {
    std::string id;
    private_key key;
};

struct config {
    std::string listen = "127.0.0.1:0";  // loopback only; port 0 picks a free port
    unsigned threads = 0;                // 1..256; 0: hardware concurrency
    // TLS: a server certificate chain and key; when absent, a CA and a certificate for
    // 127.0.0.1/localhost are generated into tls_generate_dir.
    std::optional<std::filesystem::path> tls_certificate, tls_private_key;
    std::filesystem::path tls_generate_dir = "out";

    std::vector<merchant> merchants;
    std::vector<platform_identity> certificates;
    std::optional<public_key_identity> public_key;
    // A rotation (POST /sim/certificates/rotate) lists the new certificate at once and signs
    // with it this much later, on the simulator's clock (WeChat: 24 hours).
    std::chrono::seconds rotation_overlap{std::chrono::hours(24)};
    // With no platform certificate (a public-key merchant), GET /v3/certificates answers
    // 500 SYSTEM_ERROR "系统繁忙，请稍后重试", as WeChat answers new merchants (false), or
    // 404 RESOURCE_NOT_EXISTS "无可用的平台证书…" (true), as it answers others.
    bool certificates_not_found = false;

    // Notifications: CA bundle (PEM) to verify https notify_urls (system store when empty); http
    // is allowed for loopback receivers. time_scale multiplies WeChat's retry schedule.
    std::filesystem::path notify_ca;
    double notify_time_scale = 1.0;
    bool notify_sign_with_public_key = false;  // "sign_with": "public_key" (else certificate)
    // A load balancer in front of a fleet of receivers ("notify": {"balance": {"127.0.0.1:8443":
    // ["127.0.0.1:9001", "127.0.0.1:9002"]}}): a notification whose notify_url names a key
    // ("host:port", the port always written) connects on its k-th try to the (k mod n)-th target,
    // so each redelivery reaches the next instance, as WeChat's redeliveries to one notify_url
    // reach whichever instance the merchant's balancer picks. The Host header, TLS server name
    // and certificate check stay the notify_url's. Targets are loopback "IP:port".
    std::map<std::string, std::vector<std::string>> notify_balance{};

    std::chrono::milliseconds idle_timeout{8000};  // > 0
    std::chrono::milliseconds refund_delay{1000};
    // Transfer bills: a confirmed or cancelled bill completes transfer_delay × notify_time_scale
    // later; transfer queries beyond transfer_query_qps a second per merchant are refused 429
    // FREQUENCY_LIMITED (WeChat: "单个商户 100 QPS"); receipts are ready after transfer_delay.
    std::chrono::milliseconds transfer_delay{1000};
    unsigned transfer_query_qps = 100;
    // Bills as WeChat serves them (false): day D's bill from 10:00 on D+1 (China time; before
    // that 400 STATEMENT_CREATING), only for the last three months, each download_url valid
    // for 30 s. true ("bills_at_once" in the JSON config): a day's bill from that day on, for
    // tests and the demo that bill what they just paid. The three months and the 30 s hold
    // either way.
    bool bills_at_once = false;
    // A sub-merchant's fund-flow bill (/v3/bill/sub-merchant-fundflowbill) is split into files of
    // at most this many bytes before compression, at row ends, as WeChat splits one "约大于16GB"
    // (the default); "bill_part_bytes" in the JSON config, smaller to see several files.
    std::uint64_t bill_part_bytes = std::uint64_t(16) << 30;
    std::size_t max_body = 1024 * 1024;
};

// Reads the simulator's JSON config (paths relative to the file). Errors name the field:
// "threads" (an integer 0..256), "idle_timeout_ms" (> 0), a merchant's mchid used twice,
// "notify.ca" (must load as PEM), … simulator::start holds an in-process config to the same.
result<config> load_config(const std::filesystem::path& file);

// Keys and certificates for a self-contained setup (the demo, tests): a merchant with one appid,
// a platform certificate and a public key, all freshly generated into `dir` — PEM files named
// apiclient_key.pem, apiclient_cert.pem, platform_cert.pem, platform_key.pem,
// wechatpay_pub_key.pem, wechatpay_pub_key_private.pem, and a simulator.json that loads them.
// Private keys and simulator.json (it holds the APIv3 key) are created with mode 0600. Unless
// `overwrite`, an existing file of these names is an error naming it and nothing is written.
struct test_setup {
    config sim;
    std::string mchid, appid, apiv3_key, public_key_id;
    // The merchant is also a service provider with these two sub-merchants, each with an appid.
    std::vector<sub_merchant> sub_merchants;
    std::filesystem::path merchant_key, merchant_cert, platform_cert, wechatpay_public_key;
};
result<test_setup> generate_test_setup(const std::filesystem::path& dir, bool overwrite = false);

class simulator {
public:
    // Binds, loads or generates TLS material and starts serving on config.threads threads.
    static result<std::unique_ptr<simulator>> start(config cfg);
    ~simulator();  // stops and joins

    std::string host() const;                 // "127.0.0.1"
    std::uint16_t port() const;
    std::filesystem::path ca_file() const;    // the CA that signed the server certificate
    std::string start_line() const;           // {"listening":"127.0.0.1:PORT","ca":"PATH"}

    // The control API's actions, callable in-process too (tests).
    result<void> pay(std::string_view mchid, std::string_view out_trade_no,
                     std::string_view openid = {});
    // POST /sim/combine-orders/{combine_out_trade_no}/pay {"mchid" (the combine_mchid: optional
    // when only one merchant has that number),"openid"}: the payer pays the whole combine order,
    // every sub-order becomes SUCCESS with its own transaction_id and one TRANSACTION.SUCCESS
    // (a combine resource) goes to the combine order's notify_url. A sub-order alone cannot be
    // paid through pay() (invalid_argument).
    result<void> pay_combine(std::string_view combine_mchid, std::string_view combine_out_trade_no,
                             std::string_view openid = {});
    // POST /sim/complaints: the payer of a paid order complains (see api.hpp's file_complaint for
    // the JSON); the answer {"complaint_id","mchid"}. Errors name the field.
    result<std::string> file_complaint(std::string_view json);
    // POST /sim/transfers/{out_bill_no}/{confirm|refuse|fail} (see api.hpp's transfer_action):
    // the payee confirms or refuses a transfer, or WeChat fails it. The bill as JSON.
    result<std::string> transfer_action(std::string_view out_bill_no, std::string_view action,
                                        std::string_view json = {});
    // POST /sim/transfers/balance {"balance"[,"mchid"]}: the merchant's funds for transfers (fen).
    result<void> set_transfer_balance(std::string_view json);
    std::string stats_json() const;
    // Moves the simulator's clock forward (POST /sim/clock {"advance_s":N}): order expiry and
    // certificate rotation see the later time; signatures keep the wall clock's. A move is 0 to
    // 10 years (315360000 s) and the clock runs at most 100 years (3153600000 s) ahead in all, so
    // times never overflow; beyond that invalid_argument (POST /sim/clock: 400 PARAM_ERROR naming
    // advance_s) and the clock stays where it was.
    [[nodiscard]] result<void> advance_clock(std::chrono::seconds by);
    // POST /sim/bills: {"bill_date":"YYYY-MM-DD","records":N[,"mchid"]} makes that day's trade
    // bills (ALL, SUCCESS) N synthetic payments (1..10,000,000, about 240 bytes each), generated
    // as they are served: a bill of any size without holding it in memory. Errors name the field.
    result<void> add_synthetic_bill(std::string_view rule);
    // POST /sim/faults (one rule object or {"faults":[…]}; errors name the field) and DELETE.
    result<void> add_faults(std::string_view rules);
    void clear_faults();
    void stop();

    simulator(const simulator&) = delete;
    simulator& operator=(const simulator&) = delete;

private:
    struct impl;
    explicit simulator(std::unique_ptr<impl> i);
    std::unique_ptr<impl> impl_;
};

}  // namespace wechatpay::sim
