// One client, every way an Asio program calls it — against the built-in simulator:
//   1. callbacks, on an io_context run by two threads
//   2. use_future, from a plain thread that runs no io_context
//   3. experimental::parallel_group: two queries at once; then the first of two, the other cancelled
//   4. a call raced against a timer (awaitable operators)
//   5. a clean exit in certificate-download mode: after shutdown(), run() returns by itself
// Each step prints what happened; the exit status says whether all went as described.
#include <wechatpay/client.hpp>
#include <wechatpay/sim/simulator.hpp>

#include "simulated_merchant.hpp"

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/parallel_group.hpp>

#include <atomic>
#include <filesystem>
#include <iostream>
#include <thread>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using wechatpay::client;
using wechatpay::result;
using wechatpay::transaction;

namespace {

int failures = 0;

void step(bool ok, std::string_view what) {
    std::cout << (ok ? "   ok    " : "   FAIL  ") << what << "\n";
    if (!ok) ++failures;
}

std::string state(const result<transaction>& r) { return r ? r->trade_state : r.error().to_string(); }

wechatpay::prepay_request order(const std::string& no) {
    wechatpay::prepay_request r;
    r.description = "async styles";
    r.out_trade_no = no;
    r.notify_url = "https://merchant.example.com/wechatpay/notify";
    r.amount.total = 1;
    return r;
}

// 1. Callbacks: no coroutine anywhere. The last callback shuts the client down, and run()
// returns on both threads.
void callbacks(const wechatpay::client_config& cfg, const std::string& no) {
    asio::io_context ioc;
    client wechat(ioc.get_executor(), cfg);
    std::atomic<int> pending = 2;
    auto done = [&] {
        if (--pending == 0) wechat.shutdown();
    };
    wechat.async_query_by_out_trade_no(no, [&](result<transaction> r) {
        step(r && r->trade_state == "NOTPAY", "callback: query " + no + " → " + state(r));
        done();
    });
    wechat.async_query_by_out_trade_no("NO_SUCH_ORDER_1", [&](result<transaction> r) {
        // The whole error reaches the callback: status, WeChat's code, Request-ID.
        step(!r && r.error().http_status == 404 && r.error().api_code == "ORDER_NOT_EXIST",
             "callback: an unknown order → " + state(r));
        done();
    });
    std::thread second([&] { ioc.run(); });
    ioc.run();
    second.join();
}

// 2. use_future from a thread that runs no io_context (here: main).
void futures(client& wechat, const std::string& no) {
    auto prepay = wechat.async_prepay_native(order(no), asio::use_future);
    auto url = prepay.get();
    step(url && url->starts_with("weixin://"), "use_future: prepay " + no + " → " + (url ? *url : url.error().to_string()));
}

// 3. parallel_group: both queries at once; then the first to finish wins and the other is
// cancelled (it completes with operation_aborted; its connection is discarded).
void groups(client& wechat, wechatpay::sim::simulator& simulator, const std::string& a, const std::string& b) {
    using namespace asio::experimental;
    auto both = make_parallel_group(wechat.async_query_by_out_trade_no(a, asio::deferred),
                                    wechat.async_query_by_out_trade_no(b, asio::deferred))
                    .async_wait(wait_for_all(), asio::use_future)
                    .get();
    auto& [order_all, ra, rb] = both;
    step(ra && rb, "parallel_group wait_for_all: " + state(ra) + ", " + state(rb));

    // The simulator holds the next query of an order by out_trade_no for 3 s.
    simulator.add_faults(R"({"kind":"delay","endpoint":"/v3/pay/transactions/out-trade-no/{out_trade_no}",)"
                         R"("times":1,"delay_ms":3000})")
        .value();
    auto first = make_parallel_group(wechat.async_query_by_out_trade_no(a, asio::deferred),
                                     wechat.async_query_by_transaction_id("4200000000000000000000000001", asio::deferred))
                     .async_wait(wait_for_one(), asio::use_future)
                     .get();
    auto& [order_one, slow, fast] = first;
    step(order_one[0] == 1 && !slow && slow.error().code == asio::error::operation_aborted,
         "parallel_group wait_for_one: the quick answer (" + state(fast) + ") won; the slow query → " + state(slow));
}

// 4. A call raced against a timer: whichever ends first cancels the other.
asio::awaitable<void> raced(client& wechat, std::string no) {
    using namespace asio::experimental::awaitable_operators;
    asio::steady_timer timer(co_await asio::this_coro::executor, 5s);
    auto winner = co_await (wechat.async_query_by_out_trade_no(no) || timer.async_wait(asio::use_awaitable));
    step(winner.index() == 0 && std::get<0>(winner), "query || timer: the query answered within 5 s");
}

// 5. Certificate-download mode: the client downloads WeChat Pay's certificates at once and
// every 12 h — a timer that would keep run() busy. shutdown() stops it: run() returns.
void clean_exit(wechatpay::client_config cfg, const std::string& no) {
    cfg.wechatpay_certificates.clear();
    cfg.wechatpay_public_key.reset();
    asio::io_context ioc;  // no work guard
    client wechat(ioc.get_executor(), cfg);
    result<transaction> got = wechatpay::error(asio::error::operation_aborted);
    wechat.async_query_by_out_trade_no(no, [&](result<transaction> r) {
        got = std::move(r);
        wechat.shutdown();
    });
    const auto start = std::chrono::steady_clock::now();
    ioc.run();
    const auto took = std::chrono::steady_clock::now() - start;
    step(got && took < 10s, "download mode: query → " + state(got) + ", then shutdown(); run() returned after " +
                                std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()) +
                                " ms");
}

}  // namespace

int main() try {
    const auto dir = std::filesystem::temp_directory_path() / ("wechatpay-async-" + std::to_string(::getpid()));
    auto setup = wechatpay::sim::generate_test_setup(dir).value();
    setup.sim.threads = 2;
    auto simulator = wechatpay::sim::simulator::start(std::move(setup.sim)).value();
    const auto cfg = examples::simulated_merchant(setup, *simulator);
    const std::string stem = "ASYNC" + std::to_string(::getpid()) + "_";

    {
        asio::io_context ioc;
        auto work = asio::make_work_guard(ioc);
        std::thread io([&] { ioc.run(); });
        client wechat(ioc.get_executor(), cfg);
        futures(wechat, stem + "1");
        futures(wechat, stem + "2");
        callbacks(cfg, stem + "1");
        groups(wechat, *simulator, stem + "1", stem + "2");
        asio::co_spawn(ioc, raced(wechat, stem + "1"), asio::use_future).get();
        clean_exit(cfg, stem + "2");
        wechat.shutdown();
        work.reset();
        io.join();  // returns: the client left nothing running
    }
    std::filesystem::remove_all(dir);
    std::cout << (failures == 0 ? "Every style behaved as described." : "FAILED") << "\n";
    return failures == 0 ? 0 : 1;
} catch (const std::exception& e) {
    std::cerr << "async_styles: " << e.what() << "\n";
    return 1;
}
