// What the fleet-wide rate limiter (wechatpay::redis::rate_limiter) adds to a call: the same
// transfer-bill query, sequentially (concurrency 1) against the in-process simulator over TLS,
// by a client without a limiter and one asking a local redis-server first (a rate so high that
// no call ever waits: only the ask is measured). Rounds alternate the two clients so that drift
// hits both. The floor, measured in the same run: one bare ask (an EVAL round trip to Redis).
//
//   limiter_bench [--calls N] [--rounds R]     (N calls per client in all; default 4000, 20)
//
// Prints median and p99 per call for each, the added latency (medians and p99s subtracted),
// the ratio on/off, and the added median against the floor's.
#include "redis_server.hpp"

#include <wechatpay/client.hpp>
#include <wechatpay/redis/connection.hpp>
#include <wechatpay/redis/rate_limiter.hpp>
#include <wechatpay/sim/simulator.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace asio = boost::asio;
using clock_type = std::chrono::steady_clock;

namespace {

struct samples {
    std::vector<double> us;
    double at(double q) {
        std::sort(us.begin(), us.end());
        return us[std::min(us.size() - 1, static_cast<std::size_t>(q * static_cast<double>(us.size())))];
    }
};

wechatpay::client_config config_for(const wechatpay::sim::test_setup& s, const wechatpay::sim::simulator& sim) {
    wechatpay::client_config cfg;
    cfg.mchid = s.mchid;
    cfg.appid = s.appid;
    cfg.merchant_key = wechatpay::private_key::from_file(s.merchant_key).value();
    cfg.merchant_certificate = wechatpay::certificate::from_file(s.merchant_cert).value();
    cfg.wechatpay_public_key =
        wechatpay::wechatpay_public_key{s.public_key_id, wechatpay::public_key::from_file(s.wechatpay_public_key).value()};
    cfg.endpoint = {sim.host(), "", sim.port(), sim.ca_file()};
    return cfg;
}

struct run_state {
    samples off, on, floor;
    int unexpected = 0;  // answers other than the simulator's NOT_FOUND
};

asio::awaitable<double> one_query(wechatpay::client& c, run_state& st) {
    const auto t0 = clock_type::now();
    auto r = co_await c.async_query_transfer_by_out_bill_no("BENCH1");
    const double us = std::chrono::duration<double, std::micro>(clock_type::now() - t0).count();
    if (r || r.error().api_code != "NOT_FOUND") ++st.unexpected;
    co_return us;
}

asio::awaitable<void> bench(wechatpay::client& off, wechatpay::client& on, wechatpay::rate_limiter& limiter,
                            int calls, int rounds, run_state& st) {
    for (int i = 0; i < 200; ++i) {  // warm-up: sessions open, Redis connected, script cached
        co_await one_query(off, st);
        co_await one_query(on, st);
    }
    st.unexpected = 0;
    const int per_round = std::max(1, calls / rounds);
    for (int r = 0; r < rounds; ++r) {
        for (int i = 0; i < per_round; ++i) st.off.us.push_back(co_await one_query(off, st));
        for (int i = 0; i < per_round; ++i) st.on.us.push_back(co_await one_query(on, st));
        for (int i = 0; i < per_round; ++i) {
            const auto t0 = clock_type::now();
            auto w = co_await limiter.async_try_acquire(wechatpay::endpoint_class::transfer_query, std::chrono::milliseconds(0), asio::use_awaitable);
            if (!w || w->count() != 0) ++st.unexpected;
            st.floor.us.push_back(std::chrono::duration<double, std::micro>(clock_type::now() - t0).count());
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    int calls = 4000, rounds = 20;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        if (a == "--calls") calls = std::atoi(argv[i + 1]);
        else if (a == "--rounds") rounds = std::atoi(argv[i + 1]);
    }
    wechatpay_test::temp_dir dir;
    auto setup = wechatpay::sim::generate_test_setup(dir.path()).value();
    auto scfg = setup.sim;
    scfg.threads = 1;
    scfg.transfer_query_qps = 1000000;  // never the simulator's 429
    auto sim = wechatpay::sim::simulator::start(scfg).value();
    wechatpay_test::redis_server server;

    asio::io_context ioc;
    wechatpay::redis::options where;
    where.port = server.port();
    auto conn = std::make_shared<wechatpay::redis::connection>(ioc.get_executor(), where);
    wechatpay::redis::rate_limiter_options opts;
    opts.rates[static_cast<std::size_t>(wechatpay::endpoint_class::transfer_query)] = {1e9, 1e9};
    auto limiter = std::make_shared<wechatpay::redis::rate_limiter>(conn, setup.mchid, opts);
    auto off = std::make_unique<wechatpay::client>(ioc.get_executor(), config_for(setup, *sim));
    auto on_cfg = config_for(setup, *sim);
    on_cfg.rate_limiter = limiter;
    auto on = std::make_unique<wechatpay::client>(ioc.get_executor(), std::move(on_cfg));

    run_state st;
    asio::co_spawn(ioc, bench(*off, *on, *limiter, calls, rounds, st), [&](std::exception_ptr e) {
        off.reset();  // the clients and the Redis connection close: run() returns
        on.reset();
        limiter.reset();
        conn.reset();
        if (e) std::rethrow_exception(e);
    });
    ioc.run();

    const double off50 = st.off.at(0.5), off99 = st.off.at(0.99), on50 = st.on.at(0.5), on99 = st.on.at(0.99);
    const double f50 = st.floor.at(0.5), f99 = st.floor.at(0.99);
    std::printf("limiter_bench: %zu calls per client, %d rounds, concurrency 1, 1 io thread, TLS to the in-process simulator\n",
                st.off.us.size(), rounds);
    std::printf("  %-26s %10s %10s\n", "", "median us", "p99 us");
    std::printf("  %-26s %10.1f %10.1f\n", "limiter off", off50, off99);
    std::printf("  %-26s %10.1f %10.1f\n", "redis limiter on", on50, on99);
    std::printf("  %-26s %10.1f %10.1f\n", "added (on - off)", on50 - off50, on99 - off99);
    std::printf("  %-26s %10.2f %10.2f\n", "ratio on/off", on50 / off50, on99 / off99);
    std::printf("  %-26s %10.1f %10.1f\n", "floor: one bare Redis ask", f50, f99);
    std::printf("  %-26s %10.2f\n", "added median / floor", (on50 - off50) / f50);
    std::printf("  unexpected answers: %d\n", st.unexpected);
    return st.unexpected == 0 ? 0 : 1;
}
