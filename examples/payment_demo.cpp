// The demo of `./dev demo`: the whole life of a payment, against the built-in simulator (or,
// with --config, against WeChat Pay itself), then a burst of concurrent calls.
//
//   payment_demo [--config client.json] [--burst N] [--concurrency C] [--threads T]
//
// Without --config it starts the simulator in-process with freshly generated keys, and runs a
// small notification receiver, so nothing but this program is needed.
#include <wechatpay/client.hpp>
#include <wechatpay/sim/simulator.hpp>

#include "notify_receiver.hpp"
#include "simulated_merchant.hpp"

#include <boost/asio.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <deque>
#include <future>
#include <iostream>
#include <mutex>
#include <optional>
#include <thread>

namespace asio = boost::asio;
using namespace wechatpay;
using namespace std::chrono_literals;
using asio::awaitable;
using asio::use_awaitable;
constexpr auto no_throw = asio::as_tuple(use_awaitable);

namespace {

// ---- the merchant's notify_url ---------------------------------------------------------------

// The business effect of the walkthrough: queue each (verified, decrypted, first-time) event
// for the steps that wait for it.
class event_queue {
public:
    wechatpay::notification_effect effect() {
        return [this](const notification& n) -> result<void> {
            std::lock_guard lock(mutex_);
            events_.push_back(n);
            return {};
        };
    }

    // The next event, waiting up to `limit`.
    awaitable<std::optional<notification>> next(std::chrono::milliseconds limit) {
        asio::steady_timer t(co_await asio::this_coro::executor);
        for (auto waited = 0ms; waited < limit; waited += 20ms) {
            {
                std::lock_guard lock(mutex_);
                if (!events_.empty()) {
                    auto e = std::move(events_.front());
                    events_.pop_front();
                    co_return e;
                }
            }
            t.expires_after(20ms);
            co_await t.async_wait(no_throw);
        }
        co_return std::nullopt;
    }

private:
    std::mutex mutex_;
    std::deque<notification> events_;
};

// ---- the walkthrough ------------------------------------------------------------------------

struct demo {
    client& wechat;
    examples::notify_receiver& notify;
    event_queue& events;
    sim::simulator* simulator;  // null against the real WeChat Pay
    int failures = 0;
    std::string first_order;  // an order that exists, for the burst's queries

    void step(bool ok, const std::string& what) {
        std::cout << (ok ? "   ok    " : "   FAIL  ") << what << "\n";
        if (!ok) ++failures;
    }
    template <class T>
    bool check(const result<T>& r, const std::string& what) {
        step(r.has_value(), r ? what : what + ": " + r.error().to_string());
        return r.has_value();
    }

    static std::string new_trade_no(const char* kind) {
        static std::atomic<unsigned> n{0};
        return std::string("DEMO") + kind + std::to_string(std::time(nullptr)) + std::to_string(++n);
    }

    prepay_request order(const std::string& no, std::int64_t fen, const char* what) {
        prepay_request r;
        r.description = what;
        r.out_trade_no = no;
        r.notify_url = notify.url();
        r.amount.total = fen;
        return r;
    }

    // The user pays (simulated), the notification arrives, the query agrees.
    awaitable<void> pay_and_confirm(const std::string& no) {
        if (!simulator) co_return;  // a real payment needs a real user
        step(simulator->pay(wechat.config().mchid, no, "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o").has_value(),
             "the user pays " + no + " (simulator control API)");
        auto event = co_await events.next(5s);
        bool ok = event && event->event_type == "TRANSACTION.SUCCESS";
        if (ok) {
            auto t = event->transaction();
            ok = t && t->out_trade_no == no && t->trade_state == "SUCCESS";
        }
        step(ok, "notification TRANSACTION.SUCCESS arrived, verified and decrypted");
        auto q = co_await wechat.query_by_out_trade_no(no);
        if (check(q, "query by out_trade_no"))
            std::cout << "         trade_state " << q->trade_state << ", transaction_id " << q->transaction_id << "\n";
        if (q) {
            auto by_id = co_await wechat.query_by_transaction_id(q->transaction_id);
            step(by_id && by_id->out_trade_no == no, "query by transaction_id finds the same order");
        }
    }

    awaitable<void> walkthrough() {
        std::cout << "\n== APP: prepay, payment parameters for the app's SDK\n";
        const std::string app_no = new_trade_no("APP");
        auto app = co_await wechat.prepay_app(order(app_no, 600, "Game coins x 600"));
        first_order = app_no;
        if (check(app, "prepay_app " + app_no))
            std::cout << "         " << to_json(app->payment).substr(0, 150) << "…\n";
        if (app) co_await pay_and_confirm(app_no);

        std::cout << "\n== JSAPI / mini-program: prepay, parameters for wx.requestPayment\n";
        const std::string js_no = new_trade_no("JSAPI");
        auto js_req = order(js_no, 1999, "Monthly pass");
        js_req.payer_openid = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o";
        auto js = co_await wechat.prepay_jsapi(js_req);
        if (check(js, "prepay_jsapi " + js_no)) std::cout << "         " << to_json(js->payment).substr(0, 150) << "…\n";
        if (js) co_await pay_and_confirm(js_no);

        std::cout << "\n== Native: a QR code to scan\n";
        const std::string native_no = new_trade_no("NATIVE");
        auto code = co_await wechat.prepay_native(order(native_no, 100, "Sticker pack"));
        if (check(code, "prepay_native " + native_no)) std::cout << "         code_url " << *code << "\n";
        if (code) co_await pay_and_confirm(native_no);

        std::cout << "\n== H5: a mobile web page\n";
        const std::string h5_no = new_trade_no("H5");
        auto h5_req = order(h5_no, 300, "Skin bundle");
        h5_req.scene_info = scene_info{"203.0.113.7", {}, {}, h5_info{"Wap", "Demo", "https://example.com", {}, {}}};
        auto h5 = co_await wechat.prepay_h5(h5_req);
        if (check(h5, "prepay_h5 " + h5_no)) std::cout << "         h5_url " << h5->substr(0, 90) << "…\n";
        if (h5) co_await pay_and_confirm(h5_no);

        std::cout << "\n== Close an unpaid order\n";
        const std::string unpaid = new_trade_no("CLOSE");
        if (check(co_await wechat.prepay_app(order(unpaid, 50, "Abandoned cart")), "prepay " + unpaid)) {
            check(co_await wechat.close(unpaid), "close " + unpaid);
            auto q = co_await wechat.query_by_out_trade_no(unpaid);
            step(q && q->trade_state == "CLOSED", "query says CLOSED");
        }

        if (!simulator || !app) co_return;
        std::cout << "\n== Refund the APP order\n";
        refund_request rr;
        rr.out_trade_no = app_no;
        rr.out_refund_no = "R" + app_no;
        rr.reason = "Customer changed their mind";
        rr.notify_url = notify.url();
        rr.refund = 600;
        rr.total = 600;
        auto refunded = co_await wechat.refund(rr);
        if (check(refunded, "refund " + rr.out_refund_no)) std::cout << "         status " << refunded->status << "\n";
        auto event = co_await events.next(10s);
        step(event && event->event_type == "REFUND.SUCCESS" && event->refund() &&
                 event->refund()->out_refund_no == rr.out_refund_no,
             "notification REFUND.SUCCESS arrived, verified and decrypted");
        auto rq = co_await wechat.query_refund(rr.out_refund_no);
        step(rq && rq->status == "SUCCESS", "query refund says SUCCESS");

        std::cout << "\n== Today's trade bill (gzip), downloaded and checked against its SHA1\n";
        const std::time_t cst = std::time(nullptr) + 8 * 3600;
        char date[16];
        std::strftime(date, sizeof date, "%Y-%m-%d", std::gmtime(&cst));
        const trade_bill_request today{date, "ALL", true};  // g++ 12: no braced lists inside co_await
        auto bill = co_await wechat.trade_bill(today);
        if (check(bill, std::string("trade bill for ") + date)) {
            auto file = co_await wechat.download_bill(*bill);
            if (check(file, "download, gunzip, SHA1 matches hash_value")) {
                const auto lines = std::count(file->begin(), file->end(), '\n');
                std::cout << "         " << lines << " lines; first row: "
                          << file->substr(file->find('\n') + 1, 60) << "…\n";
            }
        }
    }
};

// ---- the burst ------------------------------------------------------------------------------

struct burst_result {
    std::vector<double> latencies_ms;
    std::atomic<std::uint64_t> errors{0};
    std::mutex mutex;
};

// Even calls prepay a new APP order (two signatures: request and app parameters); odd calls
// query an order that exists.
awaitable<void> burst_worker(client& wechat, std::atomic<int>& next, int total, burst_result& out,
                             std::string notify_url, std::string known_order) {
    std::vector<double> mine;
    const std::string prefix = "BURST" + std::to_string(std::time(nullptr)) + "N";
    for (int i; (i = next++) < total;) {
        const auto start = std::chrono::steady_clock::now();
        bool ok;
        if (i % 2 == 0) {
            prepay_request r;
            r.description = "Burst order";
            r.out_trade_no = prefix + std::to_string(i);
            r.notify_url = notify_url;
            r.amount.total = 100 + i % 900;
            ok = (co_await wechat.prepay_app(std::move(r))).has_value();
        } else {
            ok = (co_await wechat.query_by_out_trade_no(known_order)).has_value();
        }
        mine.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
        if (!ok) ++out.errors;
    }
    std::lock_guard lock(out.mutex);
    out.latencies_ms.insert(out.latencies_ms.end(), mine.begin(), mine.end());
}

double percentile(std::vector<double>& v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

}  // namespace

int main(int argc, char** argv) {
    std::string config_file;
    int burst = 5000, concurrency = 256;
    unsigned threads = 2;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string_view a = argv[i];
        if (a == "--config") config_file = argv[i + 1];
        else if (a == "--burst") burst = std::stoi(argv[i + 1]);
        else if (a == "--concurrency") concurrency = std::stoi(argv[i + 1]);
        else if (a == "--threads") threads = static_cast<unsigned>(std::stoul(argv[i + 1]));
    }
    try {
        std::unique_ptr<sim::simulator> simulator;
        client_config cfg;
        if (!config_file.empty()) {
            cfg = load_client_config(config_file).value();
            std::cout << "wechatpay-asio demo against " << cfg.endpoint.host << " (" << config_file << ")\n";
        } else {
            const auto dir = std::filesystem::temp_directory_path() / ("wechatpay-demo-" + std::to_string(::getpid()));
            auto setup = sim::generate_test_setup(dir).value();
            setup.sim.threads = 1;
            setup.sim.refund_delay = 300ms;
            simulator = sim::simulator::start(std::move(setup.sim)).value();
            std::cout << "wechatpay-asio demo: the simulator listens on " << simulator->start_line() << "\n"
                      << "(merchant " << setup.mchid << ", keys generated in " << dir.string() << ")\n";
            cfg = examples::simulated_merchant(setup, *simulator);
        }
        cfg.pool.max_sessions = static_cast<std::size_t>(std::max(1, std::min(concurrency, 64)));

        asio::io_context ioc;
        auto guard = asio::make_work_guard(ioc);
        std::vector<std::thread> pool;
        for (unsigned t = 0; t < threads; ++t) pool.emplace_back([&] { ioc.run(); });

        client wechat(ioc.get_executor(), cfg);
        event_queue events;
        examples::notify_receiver notify(ioc, wechat, events.effect());
        notify.start();
        demo d{wechat, notify, events, simulator.get(), 0, {}};
        asio::co_spawn(ioc, d.walkthrough(), asio::use_future).get();

        if (burst > 0) {
            std::cout << "\n== Burst: " << burst << " calls (APP prepays and queries), concurrency " << concurrency
                      << ", " << threads << " io threads\n";
            burst_result out;
            std::atomic<int> next{0};
            const auto start = std::chrono::steady_clock::now();
            std::vector<std::future<void>> workers;
            for (int w = 0; w < concurrency; ++w)
                workers.push_back(asio::co_spawn(
                    ioc, burst_worker(wechat, next, burst, out, notify.url(), d.first_order), asio::use_future));
            auto finished = [&] {
                return std::all_of(workers.begin(), workers.end(),
                                   [](auto& f) { return f.wait_for(0ms) == std::future_status::ready; });
            };
            while (!finished()) {
                const int done = std::min(next.load(), burst);
                std::printf("\r   [%-40s] %5d/%d", std::string(static_cast<std::size_t>(40 * done / burst), '#').c_str(), done, burst);
                std::fflush(stdout);
                std::this_thread::sleep_for(100ms);
            }
            for (auto& f : workers) f.get();
            const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            const auto st = wechat.stats();
            std::printf("\r   [%-40s] %5d/%d\n", std::string(40, '#').c_str(), burst, burst);
            std::printf("   %.0f calls/s, p50 %.1f ms, p99 %.1f ms, %llu errors, %llu connections (%llu TLS handshakes, %llu resumed)\n",
                        burst / seconds, percentile(out.latencies_ms, 0.50), percentile(out.latencies_ms, 0.99),
                        static_cast<unsigned long long>(out.errors.load()), static_cast<unsigned long long>(st.connects),
                        static_cast<unsigned long long>(st.handshakes), static_cast<unsigned long long>(st.resumed_handshakes));
            if (simulator) std::cout << "   simulator: " << simulator->stats_json().substr(0, 120) << "…\n";
            if (out.errors) ++d.failures;
        }

        notify.stop();
        guard.reset();
        ioc.stop();
        for (auto& t : pool) t.join();
        std::cout << "\n" << (d.failures == 0 ? "Every step succeeded." : "Some steps FAILED.") << "\n";
        return d.failures == 0 ? 0 : 1;
    } catch (const std::exception& e) {
        std::cerr << "demo: " << e.what() << "\n";
        return 1;
    }
}
