// Soak: many calls (queries, APP prepays, refunds) at high concurrency against a simulator
// process that injects ~1% random faults of every kind, then checks what must hold on a bad
// day — every call accounted for, none outliving the bound its config sets, RSS flat after
// warm-up, never more connections than the pool allows, no file descriptor left behind.
// Exits 1 when a check fails.
//
//   soak --cli PATH/wechatpay [--calls 200000] [--concurrency 256] [--threads 2]
//        [--fault-rate 0.01] [--out FILE.json]
#include "bench_support.hpp"

#include <wechatpay/client.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <deque>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>

#include <csignal>
#include <cstdlib>

#include <unistd.h>

namespace asio = boost::asio;
namespace json = boost::json;
using namespace wechatpay;
using namespace std::chrono_literals;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

namespace {

constexpr const char* paid_order = "SOAKPAID0001";
constexpr std::int64_t paid_total = 100'000'000;  // fen: room for every 1-fen refund
constexpr unsigned delay_fault_ms = 1500;         // beyond the request timeout below

// Tight deadlines so that faults cost seconds, not minutes; retries as in production.
client_config soak_config(const bench::sim_process& sim) {
    auto cfg = sim.client_config();
    cfg.timeouts.connect = 1000ms;
    cfg.timeouts.request = 1000ms;
    cfg.pool.acquire_timeout = 2000ms;
    cfg.retry.max_attempts = 3;
    cfg.retry.base_delay = 20ms;
    cfg.retry.max_delay = 200ms;
    cfg.retry.rate_limited_delay = 100ms;
    return cfg;
}

// The longest a call can take by construction: each attempt is at most two rounds (a reused
// session found dead before any answer byte is retried at once on a new one), each round an
// acquire wait, a TCP connect and a TLS handshake (connect timeout each), a write and a read
// (request timeout each); between attempts, the largest backoff or the 429 pause.
milliseconds call_bound(const client_config& cfg) {
    const auto round = cfg.pool.acquire_timeout + 2 * cfg.timeouts.connect + 2 * cfg.timeouts.request;
    milliseconds total = cfg.retry.max_attempts * 2 * round;
    for (unsigned n = 0; n + 1 < cfg.retry.max_attempts; ++n)
        total += std::max(std::min(cfg.retry.max_delay, cfg.retry.base_delay * (1 << n)),
                          cfg.retry.rate_limited_delay);
    return total;
}

// What the simple reading of the config promises: request timeout × attempts + backoff.
milliseconds simple_bound(const client_config& cfg) {
    milliseconds total = cfg.retry.max_attempts * cfg.timeouts.request;
    for (unsigned n = 0; n + 1 < cfg.retry.max_attempts; ++n)
        total += std::max(std::min(cfg.retry.max_delay, cfg.retry.base_delay * (1 << n)),
                          cfg.retry.rate_limited_delay);
    return total;
}

// The fault rules: `rate` spread evenly over every kind the simulator knows.
std::string fault_rules(double rate) {
    const char* kinds[] = {"delay",           "close_before_answer", "close_mid_body",
                           "system_error",    "frequency_limited",   "bad_signature",
                           "probe_signature", "stale_timestamp",     "unknown_serial",
                           "malformed_json",  "connection_close"};
    json::array rules;
    for (const char* k : kinds) {
        json::object r{{"kind", k}, {"probability", rate / std::size(kinds)}};
        if (std::string_view(k) == "delay") r["delay_ms"] = delay_fault_ms;
        rules.push_back(std::move(r));
    }
    return json::serialize(json::object{{"faults", rules}});
}

struct check_list {
    bool all_ok = true;
    void operator()(bool ok, const std::string& what) {
        std::printf("[%s] %s\n", ok ? "ok" : "FAIL", what.c_str());
        all_ok = all_ok && ok;
    }
};

std::string mib(std::size_t bytes) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / 1048576.0);
    return buf;
}

}  // namespace

int main(int argc, char** argv) try {
    const bench::options opt(argc, argv);
    const std::string cli = opt.get("cli");
    if (cli.empty())
        return std::cerr << "usage: soak --cli PATH/wechatpay [--calls N] [--concurrency C]\n", 2;
    const int calls = static_cast<int>(opt.number("calls", 200000));
    const int concurrency = static_cast<int>(opt.number("concurrency", 256));
    const auto threads = static_cast<unsigned>(opt.number("threads", 2));
    const double fault_rate = std::stod(opt.get("fault-rate", "0.01"));

    const bench::sim_process sim(cli);
    sim.create_order(paid_order, paid_total, true);  // refunds take 1 fen each from it
    sim.control("POST", "/sim/faults", fault_rules(fault_rate));
    const auto cfg = soak_config(sim);
    const auto bound = call_bound(cfg), simple = simple_bound(cfg);
    const std::size_t fds_before = bench::open_fds();

    // Per call: its duration, and its outcome ("ok" or the error by category and code).
    std::vector<float> duration_ms(static_cast<std::size_t>(calls),
                                   -1.0f);  // touched now: RSS is not ours to grow
    std::mutex outcomes_mutex;
    std::map<std::string, int> outcomes;
    std::atomic<int> next{0}, completed{0};
    std::size_t rss_quarter = 0;

    auto ioc = std::make_unique<asio::io_context>(static_cast<int>(threads));
    auto wechat = std::make_unique<client>(ioc->get_executor(), cfg);
    const std::string prefix = "S" + std::to_string(getpid()) + "N";

    auto worker = [&]() -> asio::awaitable<void> {
        for (int i; (i = next++) < calls;) {
            const auto t0 = steady_clock::now();
            std::optional<error> failure;
            const int op = i % 20;  // 10 queries, 7 APP prepays, 3 refunds in every 20 calls
            if (op < 10) {
                auto q = co_await wechat->async_query_by_out_trade_no(paid_order);
                if (!q) failure = q.error();
            } else if (op < 17) {
                prepay_request order;
                order.description = "soak";
                order.out_trade_no = prefix + std::to_string(i);
                order.notify_url = "https://127.0.0.1:9/notify";
                order.amount.total = 1;
                auto p = co_await wechat->async_prepay_app(std::move(order));
                if (!p) failure = p.error();
            } else {
                refund_request r;
                r.out_trade_no = paid_order;
                r.out_refund_no = prefix + "R" + std::to_string(i);
                r.refund = 1;
                r.total = paid_total;
                auto f = co_await wechat->async_refund(std::move(r));
                if (!f) failure = f.error();
            }
            duration_ms[static_cast<std::size_t>(i)] =
                std::chrono::duration<float, std::milli>(steady_clock::now() - t0).count();
            {
                std::lock_guard lock(outcomes_mutex);
                ++outcomes[failure ? bench::outcome_name(*failure) : "ok"];
            }
            if (++completed == calls / 4) rss_quarter = bench::rss_bytes();
        }
    };

    const auto start = steady_clock::now();
    for (int c = 0; c < concurrency; ++c) asio::co_spawn(*ioc, worker(), asio::detached);
    std::vector<std::thread> io;
    for (unsigned t = 0; t < threads; ++t) io.emplace_back([&] { ioc->run(); });

    // Sampling: the client's open sessions and this process's sockets every 20 ms; the
    // simulator's open connections every 250 ms. The simulator may still count connections the
    // client has closed: those it dropped on a timeout while an injected delay runs there, and
    // those it discarded lately, which the busy simulator may not have noticed yet.
    std::size_t max_sessions = 0, max_sockets = 0;
    std::uint64_t max_sim_open = 0, max_sim_excess = 0;
    struct sim_sample {
        steady_clock::time_point at;
        std::uint64_t delays, discarded;
    };
    std::deque<sim_sample> sim_samples;
    auto last_poll = steady_clock::now();
    int last_completed = 0;
    auto last_progress = steady_clock::now();
    while (completed < calls) {
        std::this_thread::sleep_for(20ms);
        max_sessions = std::max(max_sessions, wechat->stats().sessions_open);
        max_sockets = std::max(max_sockets, bench::open_sockets());
        const auto now = steady_clock::now();
        if (now - last_poll >= 250ms) {
            last_poll = now;
            const auto st = sim.stats();
            const auto discarded = wechat->stats().discarded;
            // The control connection itself is one of the simulator's open connections.
            const auto open = st.at("connections_open").to_number<std::uint64_t>() - 1;
            const auto delays = st.at("faults_injected").at("delay").to_number<std::uint64_t>();
            sim_samples.push_back({now, delays, discarded});
            while (sim_samples.size() > 1 && sim_samples[1].at <= now - milliseconds(delay_fault_ms) - 500ms)
                sim_samples.pop_front();
            // Over the same window as the delays: a loaded simulator may notice a close later
            // than the next sample (CI once saw 66 open against 64 allowed that way).
            const auto recently_discarded = discarded - sim_samples.front().discarded;
            const auto allowed =
                cfg.pool.max_sessions + (delays - sim_samples.front().delays) + recently_discarded;
            max_sim_open = std::max(max_sim_open, open);
            if (open > allowed) {
                max_sim_excess = std::max(max_sim_excess, open - allowed);
                std::printf("simulator: %llu connections open, %llu allowed\n",
                            static_cast<unsigned long long>(open), static_cast<unsigned long long>(allowed));
            }
        }
        if (completed != last_completed) {
            last_completed = completed;
            last_progress = now;
        } else if (now - last_progress > 60s) {
            std::fprintf(stderr, "soak: no call finished for 60 s (%d of %d done): hung\n", last_completed,
                         calls);
            kill(sim.pid(), SIGTERM);
            std::_Exit(1);  // the io threads are stuck: nothing to join
        }
    }
    for (auto& t : io) t.join();
    const double seconds = std::chrono::duration<double>(steady_clock::now() - start).count();
    const std::size_t rss_end = bench::rss_bytes();
    const auto client_stats = wechat->stats();
    wechat.reset();
    ioc.reset();  // every session, timer and socket with it
    const std::size_t fds_after = bench::open_fds();
    const auto sim_stats = sim.stats();

    // ---- report -------------------------------------------------------------------------
    std::printf(
        "soak: %d calls (10 queries : 7 APP prepays : 3 refunds), concurrency %d, %u io threads, "
        "pool %zu, %.1f%% faults: %.1f s, %.0f calls/s\n",
        calls, concurrency, threads, cfg.pool.max_sessions, 100 * fault_rate, seconds, calls / seconds);
    int accounted = 0;
    for (const auto& [what, n] : outcomes) {
        std::printf("  %7d  %s\n", n, what.c_str());
        accounted += n;
    }
    std::printf("simulator faults injected: %s\n", json::serialize(sim_stats.at("faults_injected")).c_str());
    std::printf("simulator TLS handshakes: %s; client connects %llu, retries %llu\n",
                json::serialize(sim_stats.at("tls_handshakes")).c_str(),
                static_cast<unsigned long long>(client_stats.connects),
                static_cast<unsigned long long>(client_stats.retries));

    float longest = 0;
    int over_simple = 0, unfinished = 0;
    for (const float d : duration_ms) {
        if (d < 0) ++unfinished;
        longest = std::max(longest, d);
        if (d > static_cast<float>(simple.count())) ++over_simple;
    }
    std::vector<double> sorted(duration_ms.begin(), duration_ms.end());
    const double p999 = bench::percentile(sorted, 0.999);

    check_list check;
    check(accounted == calls && unfinished == 0 && completed == calls,
          "every call accounted for: " + std::to_string(accounted) + " outcomes for " +
              std::to_string(calls) + " calls issued");
    char line[256];
    std::snprintf(line, sizeof line,
                  "no call outlived its bound: longest %.0f ms, p99.9 %.0f ms; bound from the config %lld ms "
                  "(%d calls over request timeout × attempts + backoff = %lld ms)",
                  static_cast<double>(longest), p999, static_cast<long long>(bound.count()), over_simple,
                  static_cast<long long>(simple.count()));
    check(longest <= static_cast<float>(bound.count()), line);
    // Flat: at most 5% (and 2 MiB) above the level a quarter of the way in.
    const bool flat = rss_end <= rss_quarter + std::max<std::size_t>(rss_quarter / 20, 2 << 20);
    check(flat, "RSS flat after warm-up: " + mib(rss_quarter) + " at 25%, " + mib(rss_end) + " at 100%");
    check(max_sessions <= cfg.pool.max_sessions && max_sockets <= cfg.pool.max_sessions,
          "connections within the pool of " + std::to_string(cfg.pool.max_sessions) +
              ": client sessions open ≤ " + std::to_string(max_sessions) + ", sockets in this process ≤ " +
              std::to_string(max_sockets));
    check(max_sim_excess == 0, "simulator's open connections ≤ pool + those the client closed lately: max " +
                                   std::to_string(max_sim_open) + " open");
    check(fds_after == fds_before, "no file descriptor leaked: " + std::to_string(fds_before) + " before, " +
                                       std::to_string(fds_after) + " after the client was destroyed");

    if (const auto out = opt.get("out"); !out.empty()) {
        json::object o{{"calls", calls},
                       {"concurrency", concurrency},
                       {"io_threads", threads},
                       {"fault_rate", fault_rate},
                       {"seconds", seconds},
                       {"longest_ms", longest},
                       {"p999_ms", p999},
                       {"bound_ms", bound.count()},
                       {"rss_quarter", rss_quarter},
                       {"rss_end", rss_end},
                       {"max_sessions", max_sessions},
                       {"max_sockets", max_sockets},
                       {"max_sim_open", max_sim_open},
                       {"fds_before", fds_before},
                       {"fds_after", fds_after},
                       {"passed", check.all_ok}};
        json::object by_outcome;
        for (const auto& [what, n] : outcomes) by_outcome[what] = n;
        o["outcomes"] = std::move(by_outcome);
        o["faults_injected"] = sim_stats.at("faults_injected");
        std::ofstream(out) << json::serialize(o) << "\n";
    }
    return check.all_ok ? 0 : 1;
} catch (const std::exception& e) {
    std::cerr << "soak: " << e.what() << "\n";
    return 1;
}
