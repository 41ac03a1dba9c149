// What the client's integration tests share: a simulator (sim_env.hpp, keys generated once per
// binary) and a wechatpay::client wired to it over real TLS, its io_context run by its own
// threads, and run(), which waits for an operation with a deadline so that nothing can hang.
// Assertions stay on the test thread: coroutines only produce values that run() hands back.
#pragma once

#include "sim_env.hpp"

#include <wechatpay/client.hpp>

#include <boost/asio.hpp>

#include <ctime>
#include <future>
#include <thread>
#include <vector>

namespace wechatpay_test {

namespace asio = boost::asio;

// How a test adjusts the client's configuration before the client is made.
using client_tweak = std::function<void(wechatpay::client_config&)>;

// Which WeChat Pay keys the client is configured with.
enum class key_mode { certificate, public_key, both, download };

// A client config for `sim`: the generated merchant, the chosen WeChat Pay keys, no backup host
// and short retry delays (tests wait for them). Waiting for a session may take a minute: tests
// that queue a thousand calls on a small pool check correctness, and a sanitizer build on a slow
// machine serves them far more slowly than the 5 s default allows (CI saw 105 of 1000 time out).
inline wechatpay::client_config client_config_for(const wechatpay::sim::simulator& sim, key_mode keys) {
    const auto& k = shared_keys::get();
    wechatpay::client_config cfg;
    cfg.mchid = k.setup.mchid;
    cfg.appid = k.setup.appid;
    cfg.merchant_key = k.merchant_key;
    cfg.merchant_certificate = k.merchant_cert;
    cfg.apiv3 = k.apiv3;
    if (keys == key_mode::certificate || keys == key_mode::both) cfg.wechatpay_certificates = {k.platform_cert};
    if (keys == key_mode::public_key || keys == key_mode::both)
        cfg.wechatpay_public_key = wechatpay::wechatpay_public_key{k.setup.public_key_id, k.wechatpay_key};
    cfg.endpoint = {sim.host(), "", sim.port(), sim.ca_file()};
    cfg.retry.base_delay = std::chrono::milliseconds(5);
    cfg.retry.max_delay = std::chrono::milliseconds(20);
    cfg.retry.rate_limited_delay = std::chrono::milliseconds(50);
    cfg.pool.acquire_timeout = std::chrono::seconds(60);
    return cfg;
}

// The simulator settings of the client tests: refunds complete after 100 ms, bills at once.
inline void client_test_sim(wechatpay::sim::config& cfg) {
    cfg.threads = 2;
    cfg.refund_delay = 100ms;
    cfg.notify_time_scale = 0.001;
    cfg.bills_at_once = true;  // today's bill of what a test just paid
}

struct client_env_options {
    sim_env::tweak sim{};     // applied after client_test_sim
    client_tweak client{};    // applied after client_config_for
    key_mode keys = key_mode::both;
    unsigned io_threads = 2;
};

// A simulator, an io_context run by `io_threads` threads, and a client of that simulator.
class client_env {
public:
    explicit client_env(client_env_options o = {})
        : sim_([&o](wechatpay::sim::config& c) {
              client_test_sim(c);
              if (o.sim) o.sim(c);
          }),
          guard_(asio::make_work_guard(ioc_)) {
        auto cfg = client_config_for(sim_.sim(), o.keys);
        if (o.client) o.client(cfg);
        cfg.logger = [user = std::move(cfg.logger)](wechatpay::log_level l, std::string_view message,
                                                    std::string_view request_id) {
            secrets::inspect("log", message);
            if (user) user(l, message, request_id);
        };
        client_ = UNWRAP(wechatpay::client::create(ioc_.get_executor(), std::move(cfg)));
        for (unsigned i = 0; i < o.io_threads; ++i) threads_.emplace_back([this] { ioc_.run(); });
    }

    ~client_env() {
        client_.reset();
        guard_.reset();
        ioc_.stop();
        for (auto& t : threads_) t.join();
    }

    client_env(const client_env&) = delete;
    client_env& operator=(const client_env&) = delete;

    wechatpay::client& client() { return *client_; }
    void destroy_client() { client_.reset(); }  // the simulator and the io threads stay
    wechatpay::sim::simulator& sim() { return sim_.sim(); }
    asio::io_context& ioc() { return ioc_; }
    json::value sim_stats() const { return sim_.stats(); }
    // API requests the simulator received for one endpoint name, or for all ("*").
    std::int64_t sim_requests(std::string_view endpoint = "*") const {
        const auto stats = sim_.stats();
        std::int64_t n = 0;
        for (const auto& [name, count] : stats.at("requests").as_object())
            if (endpoint == "*" || name == endpoint) n += count.to_number<std::int64_t>();
        return n;
    }
    sim_client control() const { return sim_.control(); }

    // Adds fault rules (one rule object or {"faults":[…]}) through POST /sim/faults.
    void faults(const json::value& rules) const {
        auto c = sim_.control();
        auto a = UNWRAP(c.unsigned_call("POST", "/sim/faults", json::serialize(rules)));
        INFO(a.body);
        REQUIRE(a.status == 200);
    }
    void clear_faults() const {
        auto c = sim_.control();
        REQUIRE(UNWRAP(c.unsigned_call("DELETE", "/sim/faults")).status == 200);
    }

    // Runs an operation on the client's io_context and waits for it, failing the test when it
    // has not finished within `deadline`.
    template <class T>
    T run(asio::awaitable<T> op, std::chrono::milliseconds deadline = 10s) {
        auto f = asio::co_spawn(ioc_, std::move(op), asio::use_future);
        return wait(f, deadline);
    }

    template <class T>
    static T wait(std::future<T>& f, std::chrono::milliseconds deadline) {
        if (f.wait_for(deadline) != std::future_status::ready)
            FAIL("the operation did not finish within " << deadline.count() << " ms");
        return f.get();
    }

    // A valid prepay of `kind` for a new order.
    static wechatpay::prepay_request order(const std::string& out_trade_no, std::int64_t total = 100,
                                           wechatpay::prepay_kind kind = wechatpay::prepay_kind::native) {
        wechatpay::prepay_request r;
        r.description = "Image形象店-深圳腾大-QQ公仔";
        r.out_trade_no = out_trade_no;
        r.notify_url = std::string(merchant_notify_url);
        r.amount.total = total;
        if (kind == wechatpay::prepay_kind::jsapi) r.payer_openid = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o";
        if (kind == wechatpay::prepay_kind::h5)
            r.scene_info = wechatpay::scene_info{"14.23.150.211", {}, {}, wechatpay::h5_info{"Wap", {}, {}, {}, {}}};
        return r;
    }

    // Creates a NATIVE order and returns its out_trade_no.
    std::string new_order(std::int64_t total = 100) {
        const std::string no = trade_no("C");
        auto url = run(client().async_prepay_native(order(no, total)));
        REQUIRE(outcome(url) == "ok");
        return no;
    }

private:
    sim_env sim_;
    asio::io_context ioc_;
    asio::executor_work_guard<asio::io_context::executor_type> guard_;
    std::unique_ptr<wechatpay::client> client_;
    std::vector<std::thread> threads_;
};

// A fault rule for POST /sim/faults.
inline json::object fault(std::string_view kind, std::string_view endpoint, json::object extra = {}) {
    json::object o{{"kind", kind}, {"endpoint", endpoint}};
    for (auto& [k, v] : extra) o[k] = v;
    return o;
}

// The date `days` days ago in China Standard Time (days = 0: today, whose bills exist at once
// with bills_at_once and are not in the future).
inline std::string days_ago_cst(int days) {
    const std::time_t t = std::time(nullptr) + 8 * 3600 - days * 86400;
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[16];
    std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
    return buf;
}
inline std::string today_cst() { return days_ago_cst(0); }

inline constexpr std::string_view query_endpoint = "/v3/pay/transactions/out-trade-no/{out_trade_no}";

}  // namespace wechatpay_test
