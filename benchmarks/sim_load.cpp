// Load on the simulator as a separate process: N signed queries over C keep-alive connections
// from the client, then the simulator's own CPU time per request (from /proc) beside the floor
// it cannot go below — one RSA-2048 verify (the request) and one sign (the answer), measured in
// this process in the same run. Also checks that nothing failed and no connection leaked.
//
//   sim_load --cli PATH/wechatpay [--requests N] [--connections C] [--threads T] [--out PREFIX]
#include "bench_support.hpp"

#include <wechatpay/client.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <thread>

#include <unistd.h>

namespace asio = boost::asio;
using namespace wechatpay;
using clock_type = std::chrono::steady_clock;

int main(int argc, char** argv) {
    const bench::options opt(argc, argv);
    const std::string cli = opt.get("cli"), out = opt.get("out");
    const int requests = static_cast<int>(opt.number("requests", 20000));
    const int connections = static_cast<int>(opt.number("connections", 200));
    const auto threads = static_cast<unsigned>(opt.number("threads", 2));
    if (cli.empty()) return std::cerr << "usage: sim_load --cli PATH/wechatpay [...]\n", 2;

    // The simulator in its own process, with generated keys.
    const bench::sim_process sim(cli);
    auto cfg = sim.client_config();
    cfg.pool.max_sessions = static_cast<std::size_t>(connections);
    // The simulator's floor per request: one verify (the request) and one sign (the answer).
    const auto costs = bench::measure_crypto(*cfg.merchant_key);
    const double floor = costs.sign + costs.verify;

    asio::io_context ioc;
    auto wechat = std::make_unique<client>(ioc.get_executor(), cfg);
    std::atomic<int> next{0}, errors{0};
    // One order to query; every request is a signed GET answered with a signed 200.
    const std::string order_no = "LOAD" + std::to_string(getpid());
    sim.create_order(order_no, 1);

    auto worker = [&]() -> asio::awaitable<void> {
        while (next++ < requests)
            if (!co_await wechat->query_by_out_trade_no(order_no)) ++errors;
    };
    const double cpu_before = sim.cpu_seconds();
    const auto t0 = clock_type::now();
    for (int c = 0; c < connections; ++c) asio::co_spawn(ioc, worker(), asio::detached);
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads; ++t) pool.emplace_back([&] { ioc.run(); });
    for (auto& t : pool) t.join();
    const double seconds = std::chrono::duration<double>(clock_type::now() - t0).count();
    const double sim_cpu = sim.cpu_seconds() - cpu_before;
    const auto st = wechat->stats();
    wechat.reset();  // closes the pooled connections: the simulator must see none left open
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const std::string stats = boost::json::serialize(sim.stats());

    std::printf("requests %d, connections %d, client io threads %u\n", requests, connections, threads);
    std::printf("throughput %.0f req/s, errors %d, client connects %llu\n", requests / seconds, errors.load(),
                static_cast<unsigned long long>(st.connects));
    std::printf("simulator stats after the client closed: %s\n", stats.c_str());
    std::printf("simulator CPU per request %.3f ms; floor (1 verify + 1 sign) %.3f ms; ratio %.2f\n",
                1000 * sim_cpu / requests, 1000 * floor, sim_cpu / requests / floor);
    if (!out.empty())
        std::ofstream(out + ".json") << "{\"requests\":" << requests << ",\"connections\":" << connections
                                     << ",\"req_per_s\":" << requests / seconds
                                     << ",\"errors\":" << errors.load()
                                     << ",\"sim_cpu_ms_per_request\":" << 1000 * sim_cpu / requests
                                     << ",\"floor_ms\":" << 1000 * floor << "}\n";
    return errors == 0 ? 0 : 1;
}
