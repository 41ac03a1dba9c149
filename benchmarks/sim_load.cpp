// Load on the simulator as a separate process: N signed queries over C keep-alive connections
// from the client, then the simulator's own CPU time per request (from /proc) beside the floor
// it cannot go below — one RSA-2048 verify (the request) and one sign (the answer), measured in
// this process in the same run. Exits 1 unless every request succeeded, /sim/stats counts only
// 200 answers and no connection is left open but the stats request's own (counts in the JSON).
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
#include <cstdint>
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
            if (!co_await wechat->async_query_by_out_trade_no(order_no)) ++errors;
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
    const auto sim_stats = sim.stats();
    const std::string stats = boost::json::serialize(sim_stats);

    // The simulator's side: every answer a 200 (the prepay and the queries; the stats request
    // is answered after its snapshot, so it is not counted), and no connection left open but
    // the stats request's own.
    std::uint64_t answers_200 = 0, answers_other = 0;
    for (const auto& [status, count] : sim_stats.at("answers").as_object())
        (status == "200" ? answers_200 : answers_other) += count.to_number<std::uint64_t>();
    const auto connections_open = sim_stats.at("connections_open").to_number<std::uint64_t>();
    const bool answers_ok = answers_other == 0 && answers_200 >= static_cast<std::uint64_t>(requests);
    const bool no_leak = connections_open <= 1;

    std::printf("requests %d, connections %d, client io threads %u\n", requests, connections, threads);
    std::printf("throughput %.0f req/s, errors %d, client connects %llu\n", requests / seconds, errors.load(),
                static_cast<unsigned long long>(st.connects));
    std::printf("simulator stats after the client closed: %s\n", stats.c_str());
    std::printf("simulator CPU per request %.3f ms; floor (1 verify + 1 sign) %.3f ms; ratio %.2f\n",
                1000 * sim_cpu / requests, 1000 * floor, sim_cpu / requests / floor);
    std::printf("simulator answers: %llu of 200, %llu other; connections open %llu (1 is the stats request)\n",
                static_cast<unsigned long long>(answers_200), static_cast<unsigned long long>(answers_other),
                static_cast<unsigned long long>(connections_open));
    if (!out.empty())
        std::ofstream(out + ".json") << "{\"requests\":" << requests << ",\"connections\":" << connections
                                     << ",\"req_per_s\":" << requests / seconds
                                     << ",\"errors\":" << errors.load()
                                     << ",\"answers_200\":" << answers_200
                                     << ",\"answers_other\":" << answers_other
                                     << ",\"connections_open\":" << connections_open
                                     << ",\"sim_cpu_ms_per_request\":" << 1000 * sim_cpu / requests
                                     << ",\"floor_ms\":" << 1000 * floor << "}\n";
    if (!answers_ok) std::fprintf(stderr, "sim_load: FAILED: not every answer was a 200\n");
    if (!no_leak) std::fprintf(stderr, "sim_load: FAILED: %llu connections left open (at most 1 expected)\n",
                               static_cast<unsigned long long>(connections_open));
    if (errors != 0) std::fprintf(stderr, "sim_load: FAILED: %d requests failed\n", errors.load());
    return errors == 0 && answers_ok && no_leak ? 0 : 1;
}
