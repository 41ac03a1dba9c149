// The client end to end against the simulator in a separate process: for each kind of call
// (query; APP prepay with payment parameters), io threads T ∈ {1, 2} and concurrency
// C ∈ {1, 16, 64, 256, 1024}, N calls → throughput, latency percentiles, errors, TLS
// handshakes (from /sim/stats) and this process's CPU per call beside the crypto floor measured
// in the same process (query: 1 sign + 1 verify; APP prepay: 2 signs + 1 verify). Also pooled
// vs no keep-alive. `--memory`: bytes per pending call with 10,000 calls in flight, and RSS
// over a 100,000-call run.
//
//   client_bench --cli PATH/wechatpay [--calls N] [--runs R] [--out DIR] [--memory]
//                [--kind query|app_prepay] [--threads 1,2] [--concurrency 1,16,...] [--no-pool-comparison]
//                [--loaded-floor]   (diagnosis: also measure the floor while the calls run)
//                [--pin]            (this process on core 0, the simulator on core 1: the CPU
//                                    figures are the client's own; meant for --threads 1)
//                [--alloc-trace N]  (N queries at C=1 after a warm-up, each C++ allocation
//                                    named by its call stack, per call)
// Every run also counts allocations per call: operator new (C++) and OpenSSL's (CRYPTO_malloc).
#include "bench_support.hpp"

#include <wechatpay/client.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>

#include <dlfcn.h>
#include <execinfo.h>
#include <malloc.h>
#include <openssl/crypto.h>
#include <unistd.h>

#include <cstdlib>
#include <new>
#include <sstream>

// ---- allocation counting ----------------------------------------------------------------
// Counts every operator new and OpenSSL allocation of the process; --alloc-trace records the
// call stack of each operator new while `tracing` is on (on the thread that runs the calls).
namespace alloc_probe {
std::atomic<std::uint64_t> cxx{0}, ssl{0};
std::atomic<bool> tracing{false};
thread_local bool inside = false;
struct site {
    std::size_t size;
    int depth;
    void* frames[24];
};
std::mutex sites_mutex;
std::vector<site>* sites = nullptr;

void* counted(std::size_t n) {
    cxx.fetch_add(1, std::memory_order_relaxed);
    void* p = std::malloc(n ? n : 1);
    if (!p) throw std::bad_alloc();
    if (tracing.load(std::memory_order_relaxed) && !inside) {
        inside = true;
        site s{n, 0, {}};
        s.depth = backtrace(s.frames, 24);
        {
            std::lock_guard lock(sites_mutex);
            sites->push_back(s);
        }
        inside = false;
    }
    return p;
}
void* ssl_malloc(std::size_t n, const char*, int) {
    ssl.fetch_add(1, std::memory_order_relaxed);
    return std::malloc(n);
}
void* ssl_realloc(void* p, std::size_t n, const char*, int) {
    if (!p) ssl.fetch_add(1, std::memory_order_relaxed);
    return std::realloc(p, n);
}
void ssl_free(void* p, const char*, int) { std::free(p); }
}  // namespace alloc_probe

// Asio allocates coroutine frames and handlers with std::aligned_alloc (recycled per thread).
extern "C" void* aligned_alloc(std::size_t align, std::size_t n) noexcept {
    alloc_probe::cxx.fetch_add(1, std::memory_order_relaxed);
    void* p = memalign(align, n);
    if (p && alloc_probe::tracing.load(std::memory_order_relaxed) && !alloc_probe::inside) {
        alloc_probe::inside = true;
        alloc_probe::site st{n, 0, {}};
        st.depth = backtrace(st.frames, 24);
        {
            std::lock_guard lock(alloc_probe::sites_mutex);
            alloc_probe::sites->push_back(st);
        }
        alloc_probe::inside = false;
    }
    return p;
}
void* operator new(std::size_t n) { return alloc_probe::counted(n); }
void* operator new(std::size_t n, std::align_val_t) { return alloc_probe::counted(n); }  // malloc's 16 suffice here
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void* operator new[](std::size_t n) { return alloc_probe::counted(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace asio = boost::asio;
using namespace wechatpay;
using std::chrono::steady_clock;

namespace {

constexpr const char* pending_order = "BENCHQUERY0001";

struct record {
    std::string kind, mode;
    unsigned io_threads = 0;
    int concurrency = 0, calls = 0;
    double seconds = 0, p50_ms = 0, p99_ms = 0, p999_ms = 0;
    int errors = 0, run = 1;  // run: which repetition of the sweep (--runs), for medians
    std::uint64_t handshakes = 0;
    double cpu_ms_per_call = 0, floor_ms_per_call = 0, sim_cpu_ms_per_call = 0;
    double sys_ms_per_call = 0;              // printed, not in the shared schema
    double loaded_floor_ms = 0;              // --loaded-floor: the floor measured during the run
    double cxx_allocs = 0, ssl_allocs = 0;   // per call: operator new, OpenSSL
    std::map<std::string, int> error_kinds;  // printed, not in the shared schema
    double throughput() const { return calls / seconds; }
    double overhead() const { return cpu_ms_per_call / floor_ms_per_call; }
};

// Runs `calls` calls on a fresh client with `threads` io threads and `concurrency` coroutines.
record run(const bench::sim_process& sim, const std::string& kind, unsigned threads, int concurrency,
           int calls, bool keep_alive, bool loaded_floor = false) {
    static int run_id = 0;
    ++run_id;
    auto cfg = sim.client_config();
    cfg.pool.keep_alive = keep_alive;
    cfg.pool.acquire_timeout = std::chrono::seconds(60);  // C=1024 queues on 64 sessions
    const auto costs = bench::measure_crypto(*cfg.merchant_key);

    asio::io_context ioc(static_cast<int>(threads));
    client wechat(ioc.get_executor(), cfg);
    std::atomic<int> next{0};
    std::vector<double> latency(static_cast<std::size_t>(calls));
    std::mutex errors_mutex;
    record r;
    r.kind = kind;
    r.mode = keep_alive ? "pooled" : "no_keepalive";
    r.io_threads = threads;
    r.concurrency = concurrency;
    r.calls = calls;
    const std::string prefix = "B" + std::to_string(getpid()) + "R" + std::to_string(run_id) + "N";

    auto fail = [&](const std::string& what) {
        std::lock_guard lock(errors_mutex);
        ++r.errors;
        ++r.error_kinds[what];
    };
    auto worker = [&]() -> asio::awaitable<void> {
        for (int i; (i = next++) < calls;) {
            const auto t0 = steady_clock::now();
            if (kind == "query") {
                auto q = co_await wechat.async_query_by_out_trade_no(pending_order);
                if (!q)
                    fail(bench::outcome_name(q.error()));
                else if (q->out_trade_no != pending_order)
                    fail("wrong order");
            } else {
                prepay_request order;
                order.description = "bench";
                order.out_trade_no = prefix + std::to_string(i);
                order.notify_url = "https://127.0.0.1:9/notify";
                order.amount.total = 1;
                auto p = co_await wechat.async_prepay_app(std::move(order));
                if (!p)
                    fail(bench::outcome_name(p.error()));
                else if (p->prepay_id.empty() || p->payment.sign.empty())
                    fail("no payment parameters");
            }
            latency[static_cast<std::size_t>(i)] =
                std::chrono::duration<double, std::milli>(steady_clock::now() - t0).count();
        }
    };

    const auto handshakes0 = sim.handshakes();
    const double sim0 = sim.cpu_seconds(), self0 = bench::self_cpu_seconds(),
                 sys0 = bench::self_system_seconds();
    const auto cxx0 = alloc_probe::cxx.load(), ssl0 = alloc_probe::ssl.load();
    const auto start = steady_clock::now();
    for (int c = 0; c < concurrency; ++c) asio::co_spawn(ioc, worker(), asio::detached);
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads; ++t) pool.emplace_back([&] { ioc.run(); });
    // Diagnosis: the same floor measured while the calls run, on a machine as busy as they see it.
    std::vector<bench::crypto_costs> loaded;
    std::thread prober;
    if (loaded_floor)
        prober = std::thread([&] {
            while (next < calls) loaded.push_back(bench::measure_crypto(*cfg.merchant_key));
        });
    for (auto& t : pool) t.join();
    if (prober.joinable()) prober.join();
    for (const auto& c : loaded)
        r.loaded_floor_ms +=
            1000 * ((kind == "query" ? 1 : 2) * c.sign + c.verify) / static_cast<double>(loaded.size());
    r.seconds = std::chrono::duration<double>(steady_clock::now() - start).count();
    r.cxx_allocs = static_cast<double>(alloc_probe::cxx.load() - cxx0) / calls;
    r.ssl_allocs = static_cast<double>(alloc_probe::ssl.load() - ssl0) / calls;
    const double self_cpu = bench::self_cpu_seconds() - self0, sim_cpu = sim.cpu_seconds() - sim0;
    r.sys_ms_per_call = 1000 * (bench::self_system_seconds() - sys0) / calls;
    r.handshakes = sim.handshakes() - handshakes0 - 1;  // not the one of the stats request itself

    r.cpu_ms_per_call = 1000 * self_cpu / calls;
    r.sim_cpu_ms_per_call = 1000 * sim_cpu / calls;
    r.floor_ms_per_call = 1000 * ((kind == "query" ? 1 : 2) * costs.sign + costs.verify);
    r.p50_ms = bench::percentile(latency, 0.50);
    r.p99_ms = bench::percentile(latency, 0.99);
    r.p999_ms = bench::percentile(latency, 0.999);
    return r;
}

void print(const record& r) {
    std::printf("%-10s %-12s %2u %5d %6d %8.0f %8.2f %8.2f %8.2f %5d %6llu %7.3f %7.3f %7.3f %6.2f %7.3f\n",
                r.kind.c_str(), r.mode.c_str(), r.io_threads, r.concurrency, r.calls, r.throughput(),
                r.p50_ms, r.p99_ms, r.p999_ms, r.errors, static_cast<unsigned long long>(r.handshakes),
                r.cpu_ms_per_call, r.sys_ms_per_call, r.floor_ms_per_call, r.overhead(),
                r.sim_cpu_ms_per_call);
    std::printf("    allocations per call: %.1f operator new, %.1f OpenSSL\n", r.cxx_allocs, r.ssl_allocs);
    for (const auto& [what, n] : r.error_kinds) std::printf("    error %s: %d\n", what.c_str(), n);
    if (r.loaded_floor_ms > 0)
        std::printf("    floor measured during the run: %.3f ms (ratio to it %.2f)\n", r.loaded_floor_ms,
                    r.cpu_ms_per_call / r.loaded_floor_ms);
    std::fflush(stdout);
}

void write(const std::vector<record>& records, const std::string& dir) {
    std::ofstream json(dir + "/client.json"), csv(dir + "/client.csv");
    csv << "sdk,kind,io_threads,concurrency,calls,seconds,throughput,p50_ms,p99_ms,p999_ms,errors,handshakes,"
           "cpu_ms_per_call,floor_ms_per_call,overhead_ratio,mode,sim_cpu_ms_per_call\n";
    json << "[\n";
    for (std::size_t i = 0; i < records.size(); ++i) {
        const auto& r = records[i];
        json << "  {\"sdk\":\"wechatpay-asio\",\"kind\":\"" << r.kind << "\",\"io_threads\":" << r.io_threads
             << ",\"concurrency\":" << r.concurrency << ",\"calls\":" << r.calls
             << ",\"seconds\":" << r.seconds << ",\"throughput\":" << r.throughput()
             << ",\"p50_ms\":" << r.p50_ms << ",\"p99_ms\":" << r.p99_ms << ",\"p999_ms\":" << r.p999_ms
             << ",\"errors\":" << r.errors << ",\"handshakes\":" << r.handshakes
             << ",\"cpu_ms_per_call\":" << r.cpu_ms_per_call
             << ",\"floor_ms_per_call\":" << r.floor_ms_per_call << ",\"overhead_ratio\":" << r.overhead()
             << ",\"mode\":\"" << r.mode << "\",\"sim_cpu_ms_per_call\":" << r.sim_cpu_ms_per_call
             << ",\"run\":" << r.run << "}"
             << (i + 1 < records.size() ? "," : "") << "\n";
        csv << "wechatpay-asio," << r.kind << "," << r.io_threads << "," << r.concurrency << "," << r.calls
            << "," << r.seconds << "," << r.throughput() << "," << r.p50_ms << "," << r.p99_ms << ","
            << r.p999_ms << "," << r.errors << "," << r.handshakes << "," << r.cpu_ms_per_call << ","
            << r.floor_ms_per_call << "," << r.overhead() << "," << r.mode << "," << r.sim_cpu_ms_per_call
            << "\n";
    }
    json << "]\n";
}

int throughput_suite(const bench::sim_process& sim, const bench::options& opt) {
    const int calls = static_cast<int>(opt.number("calls", 4000));
    std::printf("%-10s %-12s %2s %5s %6s %8s %8s %8s %8s %5s %6s %7s %7s %7s %6s %7s\n", "kind", "mode", "T",
                "C", "calls", "calls/s", "p50 ms", "p99 ms", "p99.9 ms", "err", "hshake", "cpu ms", "of sys",
                "floor", "ratio", "sim ms");
    std::vector<record> records;
    const long runs = opt.number("runs", 1);
    for (long round = 1; round <= runs; ++round) {
        const auto first = records.size();
        for (const std::string kind : {"query", "app_prepay"}) {
            if (opt.has("kind") && opt.get("kind") != kind) continue;
            for (const long threads : opt.numbers("threads", {1, 2}))
                for (const long c : opt.numbers("concurrency", {1, 16, 64, 256, 1024})) {
                    // One coroutine is latency-bound: fewer calls give the same figures sooner.
                    records.push_back(run(sim, kind, static_cast<unsigned>(threads), static_cast<int>(c),
                                          c == 1 ? std::max(1, calls / 4) : calls, true,
                                          opt.has("loaded-floor")));
                    print(records.back());
                }
        }
        if (!opt.has("no-pool-comparison")) {
            records.push_back(run(sim, "query", 2, 64, calls, false));
            print(records.back());
        }
        for (auto i = first; i < records.size(); ++i) records[i].run = static_cast<int>(round);
    }
    std::printf("\nthroughput with 2 io threads / 1 io thread:\n");
    for (const auto& a : records)
        for (const auto& b : records)
            if (a.mode == "pooled" && b.mode == "pooled" && a.kind == b.kind &&
                a.concurrency == b.concurrency && a.run == b.run && a.io_threads == 1 && b.io_threads == 2)
                std::printf("  run %d  %-10s C=%-5d %.2f\n", a.run, a.kind.c_str(), a.concurrency,
                            b.throughput() / a.throughput());
    if (const auto out = opt.get("out"); !out.empty()) write(records, out);
    int errors = 0;
    for (const auto& r : records) errors += r.errors;
    return errors == 0 ? 0 : 1;
}

void report_sites(const std::vector<alloc_probe::site>& sites, double n, long min_count);

// 10,000 calls pending at once on a pool of 64 (the first 64 answers held back 3 s by a fault
// rule, so every call is provably in flight when RSS is read), then 100,000 calls at C=256 with
// RSS sampled every 10,000.
int memory_suite(const bench::sim_process& sim, const std::string& out, bool trace) {
    auto cfg = sim.client_config();
    cfg.pool.acquire_timeout = std::chrono::seconds(120);  // 10,000 waiters drain through 64 sessions
    asio::io_context ioc(2);
    auto wechat = std::make_unique<client>(ioc.get_executor(), cfg);
    std::atomic<int> failures{0}, done{0};
    std::vector<std::size_t> samples;
    std::mutex samples_mutex;

    auto one = [&]() -> asio::awaitable<void> {
        if (!co_await wechat->async_query_by_out_trade_no(pending_order)) ++failures;
        ++done;
    };
    auto loop = [&](int total, std::atomic<int>& next) -> asio::awaitable<void> {
        while (next++ < total) {
            if (!co_await wechat->async_query_by_out_trade_no(pending_order)) ++failures;
            if (const int n = ++done; n % 10000 == 0) {
                std::lock_guard lock(samples_mutex);
                samples.push_back(bench::rss_bytes());
            }
        }
    };
    auto run_threads = [&] {
        std::vector<std::thread> threads;
        for (int t = 0; t < 2; ++t) threads.emplace_back([&] { ioc.run(); });
        for (auto& t : threads) t.join();
        ioc.restart();
    };

    // Warm-up: 64 sessions open, allocator caches filled.
    std::atomic<int> next{0};
    for (int c = 0; c < 64; ++c) asio::co_spawn(ioc, loop(2000, next), asio::detached);
    run_threads();
    done = 0;
    samples.clear();

    const std::size_t before = bench::rss_bytes();
    sim.control("POST", "/sim/faults", R"({"kind":"delay","delay_ms":3000,"times":64})");
    const int pending = 10000;
    std::vector<alloc_probe::site> sites;
    if (trace) {
        sites.reserve(1 << 20);
        alloc_probe::sites = &sites;
        alloc_probe::tracing = true;
    }
    for (int i = 0; i < pending; ++i) asio::co_spawn(ioc, one(), asio::detached);
    std::thread runner(run_threads);
    std::this_thread::sleep_for(std::chrono::milliseconds(2000));
    alloc_probe::tracing = false;
    if (trace) {
        std::printf("allocations made while the %d calls were started, per pending call (seen 5,000+ times):\n", pending);
        report_sites(sites, pending, pending / 2);
        alloc_probe::sites = nullptr;
    }
    const std::size_t during = bench::rss_bytes();
    const int finished_early = done.load();
    const auto st = wechat->stats();
    std::size_t peak = during;
    while (done < pending) {
        peak = std::max(peak, bench::rss_bytes());
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    runner.join();
    const double per_call = static_cast<double>(during - before) / pending;
    std::printf("%d calls pending (%d finished at the sample; sessions in use %zu, open %zu)\n", pending,
                finished_early, st.sessions_in_use, st.sessions_open);
    std::printf(
        "RSS before %.1f MiB, with them pending %.1f MiB, peak %.1f MiB: %.0f bytes per pending call\n",
        before / 1048576.0, during / 1048576.0, peak / 1048576.0, per_call);
    std::fflush(stdout);

    done = 0;
    next = 0;
    const int total = 100000;
    for (int c = 0; c < 256; ++c) asio::co_spawn(ioc, loop(total, next), asio::detached);
    run_threads();
    std::printf("RSS every 10,000 calls of %d (MiB):", total);
    for (auto s : samples) std::printf(" %.1f", s / 1048576.0);
    std::printf("\nfailures %d\n", failures.load());
    wechat.reset();

    if (!out.empty()) {
        std::ofstream json(out + "/memory.json");
        json << "{\"sdk\":\"wechatpay-asio\",\"pending_calls\":" << pending
             << ",\"pool\":" << cfg.pool.max_sessions << ",\"pending_finished_at_sample\":" << finished_early
             << ",\"rss_before\":" << before << ",\"rss_pending\":" << during << ",\"rss_peak\":" << peak
             << ",\"bytes_per_pending_call\":" << per_call << ",\"run_calls\":" << total
             << ",\"rss_every_10000\":[";
        for (std::size_t i = 0; i < samples.size(); ++i) json << (i ? "," : "") << samples[i];
        json << "],\"failures\":" << failures.load() << "}\n";
    }
    return failures == 0 && finished_early == 0 ? 0 : 1;
}

// Groups recorded allocations by call stack (skipping the probe's own two frames), names each
// frame with addr2line, prints them per `n` (calls) for the groups seen at least min_count times.
void report_sites(const std::vector<alloc_probe::site>& sites, double n, long min_count) {
    // Group by stack (skipping the probe's own two frames), name each with addr2line.
    std::map<std::vector<void*>, std::pair<long, std::size_t>> groups;
    for (const auto& s : sites) {
        std::vector<void*> key(s.frames + 2, s.frames + s.depth);
        auto& g = groups[key];
        ++g.first;
        g.second = s.size;
    }
    Dl_info info{};
    dladdr(reinterpret_cast<void*>(&report_sites), &info);
    const auto base = reinterpret_cast<std::uintptr_t>(info.dli_fbase);
    std::map<void*, std::string> names;
    for (const auto& [key, g] : groups)
        for (void* f : key) names[f];
    {
        std::ostringstream cmd;
        cmd << "addr2line -f -C -e /proc/" << getpid() << "/exe";
        for (const auto& [f, name] : names) cmd << " 0x" << std::hex << (reinterpret_cast<std::uintptr_t>(f) - base - 1);
        FILE* p = popen(cmd.str().c_str(), "r");
        char line[4096];
        for (auto& [f, name] : names) {
            if (!p || !fgets(line, sizeof line, p)) break;
            name = line;
            name.pop_back();
            if (!fgets(line, sizeof line, p)) break;  // file:line
        }
        if (p) pclose(p);
    }
    std::vector<std::pair<long, std::vector<void*>>> sorted;
    for (const auto& [key, g] : groups) sorted.emplace_back(g.first, key);
    std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    for (const auto& [count, key] : sorted) {
        if (count < min_count) continue;
        std::printf("%6.2f per call, %zu bytes:\n", static_cast<double>(count) / n, groups[key].second);
        int shown = 0;
        for (void* f : key) {
            const std::string& name = names[f];
            if (name.starts_with("std::") || name.starts_with("operator new") || name.starts_with("__gnu_cxx")) continue;
            std::printf("      %.160s\n", name.c_str());
            if (++shown == 7) break;
        }
    }
}

// N queries one after another on one io thread, after a warm-up: each operator new of the
// steady state, grouped by call stack, with the first frames that name it.
int alloc_trace(const bench::sim_process& sim, long n, const std::string& kind) {
    auto cfg = sim.client_config();
    asio::io_context ioc(1);
    client wechat(ioc.get_executor(), cfg);
    std::vector<alloc_probe::site> sites;
    sites.reserve(1 << 16);
    alloc_probe::sites = &sites;
    int failures = 0;
    auto one = [&]() -> asio::awaitable<void> {
        if (kind == "query") {
            if (!co_await wechat.async_query_by_out_trade_no(pending_order)) ++failures;
        } else {
            static int i = 0;
            prepay_request order;
            order.description = "bench";
            order.out_trade_no = "TRACE" + std::to_string(getpid()) + "N" + std::to_string(i++);
            order.notify_url = "https://127.0.0.1:9/notify";
            order.amount.total = 1;
            if (!co_await wechat.async_prepay_app(std::move(order))) ++failures;
        }
    };
    auto loop = [&](long count, bool trace) -> asio::awaitable<void> {
        for (long i = 0; i < count; ++i) {
            alloc_probe::tracing = trace;
            co_await one();
            alloc_probe::tracing = false;
        }
    };
    asio::co_spawn(ioc, loop(50, false), asio::detached);
    ioc.run();
    ioc.restart();
    const auto cxx0 = alloc_probe::cxx.load(), ssl0 = alloc_probe::ssl.load();
    asio::co_spawn(ioc, loop(n, true), asio::detached);
    ioc.run();
    const double cxx = static_cast<double>(alloc_probe::cxx.load() - cxx0) / n,
                 ssl = static_cast<double>(alloc_probe::ssl.load() - ssl0) / n;
    alloc_probe::sites = nullptr;

    std::printf("%s: %.2f operator new and %.2f OpenSSL allocations per call in steady state (%ld calls, %d failed)\n",
                kind.c_str(), cxx, ssl, n, failures);
    report_sites(sites, static_cast<double>(n), 0);
    return failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) try {
    CRYPTO_set_mem_functions(alloc_probe::ssl_malloc, alloc_probe::ssl_realloc, alloc_probe::ssl_free);
    const bench::options opt(argc, argv);
    const std::string cli = opt.get("cli"), out = opt.get("out");
    if (cli.empty())
        return std::cerr << "usage: client_bench --cli PATH/wechatpay [--calls N] [--out DIR] [--memory]\n",
               2;
    if (!out.empty()) std::filesystem::create_directories(out);
    const bool pin = opt.has("pin");
    if (pin) bench::pin_to_cpu(0);  // before any thread: the io threads inherit it
    const bench::sim_process sim(cli, pin ? 1 : -1);
    sim.create_order(pending_order, 1);  // what every query asks for
    std::printf("machine: %u hardware threads; the simulator (pid %d) shares them\n",
                std::thread::hardware_concurrency(), sim.pid());
    if (pin) std::printf("pinned: this process on core 0, the simulator on core 1\n");
    if (opt.has("alloc-trace"))
        return alloc_trace(sim, opt.number("alloc-trace", 20), opt.has("kind") ? opt.get("kind") : "query");
    if (opt.has("memory")) return memory_suite(sim, out, opt.has("memory-trace"));
    return throughput_suite(sim, opt);
} catch (const std::exception& e) {
    std::cerr << "client_bench: " << e.what() << "\n";
    return 1;
}
