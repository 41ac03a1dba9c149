// A bill of ~100 MB downloaded, inflated (with --gzip) and SHA1-checked into a file, and what
// it costs this process in resident memory: the peak RSS (VmHWM, reset just before the
// download) minus the RSS before it. The target is ≤ 16 MiB whatever the bill's size. The
// simulator runs in its own process (`wechatpay sim`), so its memory is not counted here; it
// serves a synthetic day (POST /sim/bills) generated as it is sent.
//   bill_bench --cli PATH/wechatpay [--records N] [--gzip] [--keep FILE] [--in-memory]
// Prints the figures; exits 1 when the bill fails its check or the growth passes 16 MiB.
// --in-memory downloads with async_download_bill (a string, ≤ 64 MiB) instead: the growth the
// measurement sees when the bill is held whole, to check the measurement itself.
#include "bench_support.hpp"

#include <wechatpay/client.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <optional>

namespace asio = boost::asio;

namespace {

constexpr double mib = 1024.0 * 1024.0;
constexpr std::size_t target_growth = 16 * 1024 * 1024;

// Two days ago in China time: its bill exists (after 10:00 the next day) without bills_at_once.
std::string two_days_ago() {
    const std::time_t t = std::time(nullptr) + 8 * 3600 - 2 * 86400;
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

}  // namespace

int main(int argc, char** argv) try {
    const bench::options opt(argc, argv);
    const std::string cli = opt.get("cli");
    if (cli.empty()) return std::cerr << "usage: bill_bench --cli PATH/wechatpay [--records N] [--gzip] [--keep FILE]\n", 2;
    const long records = opt.number("records", 450000);  // about 240 bytes each: ~106 MB
    const bool gzip = opt.has("gzip");
    const bench::sim_process sim(cli);
    const std::string date = two_days_ago();
    sim.control("POST", "/sim/bills",
                boost::json::serialize(boost::json::object{{"bill_date", date}, {"records", records}}));

    asio::io_context ioc;
    auto client = wechatpay::client::create(ioc.get_executor(), sim.client_config()).value();
    const wechatpay::trade_bill_request req{date, "ALL", gzip};
    auto info = run_one<wechatpay::bill_info>(ioc, [&](auto done) { client->async_trade_bill(req, std::move(done)); });
    if (!info) return std::cerr << "bill_bench: trade bill: " << info.error().to_string() << "\n", 1;

    const std::filesystem::path file = opt.has("keep") ? std::filesystem::path(opt.get("keep"))
                                                       : sim.dir() / "bill.csv";
    const std::size_t before = bench::rss_bytes();
    bench::reset_peak_rss();
    const auto start = std::chrono::steady_clock::now();
    std::string held;
    auto d = opt.has("in-memory")
                 ? run_one<wechatpay::bill_download>(ioc,
                                                     [&](auto done) {
                                                         client->async_download_bill(*info, [&, done](auto r) mutable {
                                                             if (!r) return done(r.error());
                                                             held = std::move(*r);
                                                             done(wechatpay::bill_download{0, held.size(), "(in memory)", {}});
                                                         });
                                                     })
                 : run_one<wechatpay::bill_download>(
                       ioc, [&](auto done) { client->async_download_bill_to(*info, file, std::move(done)); });
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const std::size_t peak = bench::peak_rss_bytes();
    if (!d) return std::cerr << "bill_bench: download: " << d.error().to_string() << "\n", 1;
    const std::size_t growth = peak > before ? peak - before : 0;
    std::printf("bill: %ld records, %.1f MB (%.1f MiB)%s, SHA1 %s verified, in %.2f s\n", records,
                static_cast<double>(d->bill_bytes) / 1e6, static_cast<double>(d->bill_bytes) / mib,
                gzip ? (", received gzip: " + std::to_string(d->received_bytes / 1000000) + " MB").c_str() : "",
                d->sha1.c_str(), seconds);
    std::printf("resident memory: %.1f MiB before, peak %.1f MiB during the download: growth %.1f MiB (target <= 16 MiB)\n",
                static_cast<double>(before) / mib, static_cast<double>(peak) / mib, static_cast<double>(growth) / mib);
    if (!opt.has("keep")) std::filesystem::remove(file);
    if (opt.has("in-memory")) return 0;
    return growth <= target_growth ? 0 : 1;
} catch (const std::exception& e) {
    std::cerr << "bill_bench: " << e.what() << "\n";
    return 1;
}
