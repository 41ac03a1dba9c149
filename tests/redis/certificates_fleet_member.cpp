// One instance of a merchant's fleet, as its own process, for test_redis_certificates.cpp: a
// wechatpay::client in certificate-download mode (configured from WECHATPAY_* variables) whose
// certificates come through Redis (port in argv[1], the lock's lease in ms in argv[2]). It says "ready SERIAL" once it has
// certificates, then answers one line per command on stdin:
//   query OUT_TRADE_NO SERIAL  →  "ok knows=0|1" (whether it trusts SERIAL now) or "error TEXT"
//   stats                      →  "stats refreshes=N downloads=N shared=N fallbacks=N round_trips=N"
//   quit                       →  exits 0
#include <wechatpay/client.hpp>
#include <wechatpay/redis/certificates.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <chrono>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;

int main(int argc, char** argv) {
    if (argc != 3) {
        std::cerr << "usage: certificates_fleet_member REDIS_PORT LOCK_LEASE_MS\n";
        return 2;
    }
    auto cfg = wechatpay::client_config_from_env();
    if (!cfg) {
        std::cout << "error " << cfg.error().to_string() << std::endl;
        return 1;
    }
    asio::io_context ioc;
    auto work = asio::make_work_guard(ioc);
    std::vector<std::thread> threads;
    for (int i = 0; i < 2; ++i) threads.emplace_back([&ioc] { ioc.run(); });

    wechatpay::redis::options where;
    where.port = static_cast<std::uint16_t>(std::stoi(argv[1]));
    where.connect_timeout = where.command_timeout = std::chrono::seconds(5);  // room for a slow machine (ASan)
    auto conn = std::make_shared<wechatpay::redis::connection>(ioc.get_executor(), where);
    wechatpay::redis::certificates_options shared;
    shared.lock_lease = std::chrono::milliseconds(std::stoll(argv[2]));
    auto cache = std::make_shared<wechatpay::redis::certificate_cache>(conn, cfg->mchid, shared);
    cfg->certificate_source = cache;
    int status = 0;
    {
        auto client = wechatpay::client::create(ioc.get_executor(), std::move(*cfg));
        if (!client) {
            std::cout << "error " << client.error().to_string() << std::endl;
            status = 1;
        } else {
            auto& c = **client;
            const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
            while (c.current_verifier().certificates().empty() && std::chrono::steady_clock::now() < deadline)
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            std::cout << (c.current_verifier().certificates().empty() ? "error no certificates" : "ready " + c.current_verifier().preferred_serial())
                      << std::endl;
            std::string line;
            while (std::getline(std::cin, line)) {
                std::istringstream in(line);
                std::string command, no, serial;
                in >> command >> no >> serial;
                if (command == "quit") break;
                if (command == "query") {
                    auto r = c.async_query_by_out_trade_no(no, asio::use_future).get();
                    if (r) std::cout << "ok knows=" << c.current_verifier().knows(serial) << std::endl;
                    else std::cout << "error " << r.error().to_string() << std::endl;
                } else if (command == "stats") {
                    const auto s = cache->stats();
                    std::cout << "stats refreshes=" << c.stats().certificate_refreshes << " downloads=" << s.downloads
                              << " shared=" << s.shared << " fallbacks=" << s.fallbacks << " round_trips=" << s.round_trips
                              << std::endl;
                } else {
                    std::cout << "error unknown command" << std::endl;
                }
            }
        }
    }
    cache.reset();
    conn.reset();
    work.reset();
    for (auto& t : threads) t.join();
    return status;
}
