// A bill of ~100 MB downloaded, inflated (with --gzip) and SHA1-checked into a file, and what
// it costs this process in resident memory: the peak RSS (VmHWM, reset just before the
// download) minus the RSS before it. The target is ≤ 16 MiB whatever the bill's size. The
// simulator runs in its own process (`wechatpay sim`), so its memory is not counted here; it
// serves synthetic days (POST /sim/bills) generated as they are sent.
//   bill_bench --cli PATH/wechatpay [--records N] [--gzip] [--keep FILE] [--stream-only]
// Beside the streamed download, the same measurement of async_download_bill (the bill held in a
// std::string, ≤ 64 MiB: a day of at most 250,000 rows, --in-memory-records N): its growth must
// be at least the bill's size, or the measurement would miss what it is there to catch.
// Prints the figures; exits 1 when a bill fails its check, the streamed growth passes 16 MiB or
// the in-memory one is not seen.
#include "bench_support.hpp"

#include <wechatpay/client.hpp>
#include <wechatpay/crypto.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>

namespace asio = boost::asio;

namespace {

constexpr double mib = 1024.0 * 1024.0;
constexpr std::size_t target_growth = 16 * 1024 * 1024;

// `n` (≥ 2) days ago in China time: its bill exists (after 10:00 the next day) without bills_at_once.
std::string days_ago(int n) {
    const std::time_t t = std::time(nullptr) + 8 * 3600 - n * 86400;
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[16];
    std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
    return buf;
}

template <class T, class Start>
wechatpay::result<T> run_one(asio::io_context& ioc, Start start) {
    std::optional<wechatpay::result<T>> out;
    start([&out](wechatpay::result<T> r) { out = std::move(r); });
    ioc.restart();
    ioc.run();
    return std::move(*out);
}

struct measured {
    std::uint64_t bill_bytes = 0, received_bytes = 0;
    std::string sha1;
    double seconds = 0;
    std::size_t growth = 0;
};

// Resident memory growth around one download: VmHWM reset just before, VmRSS before as the base.
template <class Download>
wechatpay::result<measured> measure(Download download) {
    const std::size_t before = bench::rss_bytes();
    bench::reset_peak_rss();
    const auto start = std::chrono::steady_clock::now();
    auto got = download();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const std::size_t peak = bench::peak_rss_bytes();
    if (!got) return got.error();
    got->seconds = seconds;
    got->growth = peak > before ? peak - before : 0;
    std::printf("  resident memory: %.1f MiB before, peak %.1f MiB during the download: growth %.1f MiB\n",
                static_cast<double>(before) / mib, static_cast<double>(peak) / mib,
                static_cast<double>(got->growth) / mib);
    return got;
}

wechatpay::bill_info bill_of(asio::io_context& ioc, wechatpay::client& client, const std::string& date, bool gzip) {
    const wechatpay::trade_bill_request req{date, "ALL", gzip};
    auto info = run_one<wechatpay::bill_info>(ioc, [&](auto done) { client.async_trade_bill(req, std::move(done)); });
    if (!info) throw std::runtime_error("trade bill: " + info.error().to_string());
    return *info;
}

void print(const char* what, long records, const measured& m, bool gzip) {
    std::printf("%s: %ld records, %.1f MB (%.1f MiB)%s, SHA1 %s verified, in %.2f s\n", what, records,
                static_cast<double>(m.bill_bytes) / 1e6, static_cast<double>(m.bill_bytes) / mib,
                gzip && m.received_bytes ? (", received gzip: " + std::to_string(m.received_bytes / 1000000) + " MB").c_str() : "",
                m.sha1.c_str(), m.seconds);
}

}  // namespace

int main(int argc, char** argv) try {
    const bench::options opt(argc, argv);
    const std::string cli = opt.get("cli");
    if (cli.empty())
        return std::cerr << "usage: bill_bench --cli PATH/wechatpay [--records N] [--gzip] [--keep FILE] [--stream-only]"
                            " [--in-memory-records N]\n",
               2;
    const long records = opt.number("records", 450000);  // about 240 bytes each: ~106 MB
    // A held bill must fit async_download_bill's 64 MiB: ~56 MiB at most.
    const long held_records = std::min<long>(opt.number("in-memory-records", 250000), 250000);
    const bool gzip = opt.has("gzip");
    const bench::sim_process sim(cli);
    const std::string streamed_day = days_ago(2), held_day = days_ago(3);
    sim.control("POST", "/sim/bills",
                boost::json::serialize(boost::json::object{{"bill_date", streamed_day}, {"records", records}}));
    sim.control("POST", "/sim/bills",
                boost::json::serialize(boost::json::object{{"bill_date", held_day}, {"records", held_records}}));

    asio::io_context ioc;
    auto client = wechatpay::client::create(ioc.get_executor(), sim.client_config()).value();

    // Streamed into a file: the figure the target is about.
    const auto info = bill_of(ioc, *client, streamed_day, gzip);
    const std::filesystem::path file = opt.has("keep") ? std::filesystem::path(opt.get("keep"))
                                                       : sim.dir() / "bill.csv";
    auto streamed = measure([&]() -> wechatpay::result<measured> {
        auto d = run_one<wechatpay::bill_download>(
            ioc, [&](auto done) { client->async_download_bill_to(info, file, std::move(done)); });
        if (!d) return d.error();
        return measured{d->bill_bytes, d->received_bytes, d->sha1};
    });
    if (!streamed) return std::cerr << "bill_bench: streamed download: " << streamed.error().to_string() << "\n", 1;
    print("streamed to a file", records, *streamed, gzip);
    std::printf("  target: growth <= 16 MiB: %s\n", streamed->growth <= target_growth ? "met" : "MISSED");
    if (!opt.has("keep")) std::filesystem::remove(file);
    bool ok = streamed->growth <= target_growth;

    // Held whole in memory (async_download_bill), measured the same way: the measurement must
    // see at least the bill itself, or its figure above proves nothing.
    if (!opt.has("stream-only")) {
        const auto held_info = bill_of(ioc, *client, held_day, gzip);
        std::string held;
        auto in_memory = measure([&]() -> wechatpay::result<measured> {
            auto d = run_one<std::string>(ioc, [&](auto done) { client->async_download_bill(held_info, std::move(done)); });
            if (!d) return d.error();
            held = std::move(*d);
            return measured{held.size(), 0, wechatpay::sha1_hex(held)};
        });
        if (!in_memory) return std::cerr << "bill_bench: in-memory download: " << in_memory.error().to_string() << "\n", 1;
        print("held in memory", held_records, *in_memory, gzip);
        const bool seen = in_memory->growth >= in_memory->bill_bytes;
        std::printf("  check of the measurement: growth >= the bill held (%.1f MiB): %s\n",
                    static_cast<double>(in_memory->bill_bytes) / mib, seen ? "yes" : "NO: the measurement misses it");
        ok = ok && seen;
    }
    return ok ? 0 : 1;
} catch (const std::exception& e) {
    std::cerr << "bill_bench: " << e.what() << "\n";
    return 1;
}
