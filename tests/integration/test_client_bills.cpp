// Bills of any size, streamed: into a file (temporary, renamed once verified) or a sink, gzip
// inflated and SHA1 checked on the way; every failure (wrong hash, corrupt gzip, a connection
// dropped mid-body, cancellation, a sink's error) leaves no file and a healthy pool; unsigned
// answers only on the allowlisted download paths.
#include "client_env.hpp"
#include "temp_dir.hpp"

#include "core/url.hpp"

#include <fstream>

using namespace wechatpay_test;
using wechatpay::errc;

namespace {

// A synthetic day of `records` payments, a few days back (its bill exists even without
// bills_at_once), and the trade bill's download info.
wechatpay::bill_info synthetic_bill(client_env& env, std::int64_t records, bool gzip, const std::string& date) {
    REQUIRE(outcome(env.sim().add_synthetic_bill(json::serialize(json::object{{"bill_date", date},
                                                                             {"records", records}}))) == "ok");
    auto info = env.run(env.client().async_trade_bill(wechatpay::trade_bill_request{date, "ALL", gzip}), 30s);
    REQUIRE(outcome(info) == "ok");
    return *info;
}

std::string read_all(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// The simulator hashes a synthetic bill before it answers: give large ones time (sanitizers).
const client_env_options bill_env{.client = [](wechatpay::client_config& c) { c.timeouts.request = 60s; }};

std::size_t entries(const temp_dir& dir) {
    return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(dir.path()), {}));
}

using download_result = wechatpay::result<wechatpay::bill_download>;

// The download in a coroutine of the test's own, so that a cancellation is emitted on the
// strand where the call runs.
asio::awaitable<download_result> to_sink(wechatpay::client& c, wechatpay::bill_info info, wechatpay::download_sink sink) {
    co_return co_await c.async_download_bill_to(std::move(info), std::move(sink));
}
asio::awaitable<download_result> to_file(wechatpay::client& c, wechatpay::bill_info info, std::filesystem::path file) {
    co_return co_await c.async_download_bill_to(std::move(info), std::move(file));
}

}  // namespace

TEST_CASE("client: a bill streams into a file, inflated and checked, with nothing else left", "[client][bill]") {
    client_env env;
    temp_dir dir;
    const std::string date = days_ago_cst(2);
    for (bool gzip : {true, false}) {
        CAPTURE(gzip);
        const auto info = synthetic_bill(env, 20000, gzip, date);
        const auto file = dir / (gzip ? "gzip.csv" : "plain.csv");
        auto d = env.run(env.client().async_download_bill_to(info, file), 60s);
        REQUIRE(outcome(d) == "ok");
        const std::string bill = read_all(file);
        CHECK(wechatpay::sha1_hex(bill) == info.hash_value);
        CHECK(d->sha1 == info.hash_value);
        CHECK(d->bill_bytes == bill.size());
        CHECK(bill.size() > 20000 * 200);
        CHECK(!d->request_id.empty());
        if (gzip) CHECK(d->received_bytes < d->bill_bytes / 3);
        else CHECK(d->received_bytes == d->bill_bytes);
        CHECK(std::count(bill.begin(), bill.end(), '\n') == 20000 + 3);
    }
    CHECK(entries(dir) == 2);  // the two bills, no temporary file
    const auto st = env.client().stats();
    CHECK(st.sessions_in_use == 0);
    CHECK(st.discarded == 0);  // a body read to its end leaves the session reusable
}

TEST_CASE("client: a bill streams into a sink in bounded pieces", "[client][bill]") {
    client_env env;
    const auto info = synthetic_bill(env, 20000, true, days_ago_cst(3));
    std::string got;
    std::size_t largest = 0, pieces = 0;
    wechatpay::download_sink sink = [&](std::string_view piece) -> wechatpay::result<void> {
        largest = std::max(largest, piece.size());
        ++pieces;
        got += piece;
        return {};
    };
    auto d = env.run(env.client().async_download_bill_to(info, sink), 60s);
    REQUIRE(outcome(d) == "ok");
    CHECK(wechatpay::sha1_hex(got) == info.hash_value);
    CHECK(largest <= 64 * 1024);
    CHECK(pieces > 50);

    // The sink's own error ends the download with it, and the call is not repeated.
    const auto again = synthetic_bill(env, 20000, false, days_ago_cst(3));
    const auto before = env.sim_requests("/v3/billdownload/file");
    wechatpay::download_sink full = [](std::string_view) -> wechatpay::result<void> {
        return wechatpay::error(errc::file_unreadable, "disk full");
    };
    auto refused = env.run(env.client().async_download_bill_to(again, full), 60s);
    CHECK(errc_of(refused) == errc::file_unreadable);
    CHECK(env.sim_requests("/v3/billdownload/file") == before + 1);
    CHECK(env.client().stats().sessions_in_use == 0);
}

TEST_CASE("client: a sink that throws ends its download with an error, the session discarded", "[client][bill]") {
    client_env env;
    for (bool gzip : {false, true}) {
        CAPTURE(gzip);
        const auto info = synthetic_bill(env, 20000, gzip, days_ago_cst(3));
        const auto before = env.client().stats();
        const auto downloads = env.sim_requests("/v3/billdownload/file");
        std::size_t pieces = 0;
        wechatpay::download_sink throws = [&pieces](std::string_view) -> wechatpay::result<void> {
            if (++pieces == 3) throw std::runtime_error("database gone");
            return {};
        };
        auto d = env.run(env.client().async_download_bill_to(info, throws), 60s);
        REQUIRE(errc_of(d) == errc::callback_exception);
        CHECK(d.error().detail.find("download sink threw \"database gone\"") != std::string::npos);
        CHECK(d.error().request_id.size() > 0);
        CHECK(pieces == 3);
        CHECK(env.sim_requests("/v3/billdownload/file") == downloads + 1);  // not repeated
        const auto after = env.client().stats();
        CHECK(after.discarded == before.discarded + 1);  // its body unread: closed, not pooled
        CHECK(after.sessions_in_use == 0);
    }
    // A wechatpay::exception keeps its error; the callback token form completes with it too.
    const auto info = synthetic_bill(env, 2000, false, days_ago_cst(3));
    wechatpay::download_sink full = [](std::string_view) -> wechatpay::result<void> {
        throw wechatpay::exception(wechatpay::error(errc::file_unreadable, "disk full"));
    };
    auto future = env.client().async_download_bill_to(info, full, asio::use_future);
    const auto got = client_env::wait(future, 60s);
    CHECK(errc_of(got) == errc::file_unreadable);
    if (!got) CHECK(got.error().detail.find("download sink: disk full") != std::string::npos);
    // The pool is healthy: the next download goes through.
    const auto fresh = synthetic_bill(env, 2000, true, days_ago_cst(3));
    std::string bill;
    wechatpay::download_sink keep = [&bill](std::string_view s) -> wechatpay::result<void> {
        bill += s;
        return {};
    };
    REQUIRE(outcome(env.run(env.client().async_download_bill_to(fresh, keep), 60s)) == "ok");
    CHECK(wechatpay::sha1_hex(bill) == fresh.hash_value);
}

TEST_CASE("client: a wrong hash or a corrupt gzip is an error and leaves no complete-looking file",
          "[client][bill]") {
    client_env env;
    temp_dir dir;
    const auto file = dir / "bill.csv";
    const std::string date = days_ago_cst(2);

    auto tampered = synthetic_bill(env, 3000, true, date);
    tampered.hash_value = wechatpay::sha1_hex("another bill");
    auto d = env.run(env.client().async_download_bill_to(tampered, file), 60s);
    CHECK(errc_of(d) == errc::hash_mismatch);
    if (!d) CHECK(!d.error().request_id.empty());
    CHECK(entries(dir) == 0);

    // An older file of that name stays as it was.
    std::ofstream(file) << "yesterday";
    auto not_gzip = synthetic_bill(env, 3000, false, date);
    not_gzip.gzip = true;
    CHECK(errc_of(env.run(env.client().async_download_bill_to(not_gzip, file), 60s)) == errc::malformed_gzip);
    CHECK(read_all(file) == "yesterday");
    CHECK(entries(dir) == 1);

    // The sink form reports the same failure after giving its bytes.
    auto wrong = synthetic_bill(env, 3000, false, date);
    wrong.hash_value = wechatpay::sha1_hex("another bill");
    std::size_t given = 0;
    wechatpay::download_sink count = [&given](std::string_view s) -> wechatpay::result<void> {
        given += s.size();
        return {};
    };
    CHECK(errc_of(env.run(env.client().async_download_bill_to(wrong, count), 60s)) == errc::hash_mismatch);
    CHECK(given > 0);
}

TEST_CASE("client: a connection dropped mid-body fails the download, discards the session, leaves no file",
          "[client][bill]") {
    client_env env;
    temp_dir dir;
    const auto info = synthetic_bill(env, 20000, true, days_ago_cst(2));
    env.faults(fault("close_mid_body", "/v3/billdownload/file", {{"times", 1}}));
    const auto before = env.client().stats().discarded;
    auto d = env.run(env.client().async_download_bill_to(info, dir / "bill.csv"), 60s);
    INFO(outcome(d));
    CHECK(!d);
    if (!d) CHECK(d.error().kind() == wechatpay::error_kind::transport);
    CHECK(entries(dir) == 0);
    CHECK(env.sim_requests("/v3/billdownload/file") == 1);  // bytes were taken: never repeated
    const auto st = env.client().stats();
    CHECK(st.discarded == before + 1);
    CHECK(st.sessions_in_use == 0);
    // The pool is healthy: the same bill (a new URL) downloads.
    const auto fresh = synthetic_bill(env, 20000, true, days_ago_cst(2));
    CHECK(outcome(env.run(env.client().async_download_bill_to(fresh, dir / "bill.csv"), 60s)) == "ok");
}

TEST_CASE("client: a download cancelled mid-body ends with operation_aborted and leaves no file",
          "[client][bill][cancel]") {
    client_env env(bill_env);
    temp_dir dir;
    // Large enough (gzip, deflated as it is served) to be mid-body when the cancellation comes.
    const auto info = synthetic_bill(env, 300000, true, days_ago_cst(2));
    asio::cancellation_signal signal;
    auto strand = asio::make_strand(env.ioc());
    std::atomic<bool> started{false};
    wechatpay::download_sink sink = [&started](std::string_view) -> wechatpay::result<void> {
        started = true;
        return {};
    };
    auto f = asio::co_spawn(strand, to_sink(env.client(), info, sink),
                            asio::bind_cancellation_slot(signal.slot(), asio::use_future));
    const auto until = std::chrono::steady_clock::now() + 30s;
    while (!started && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(1ms);
    REQUIRE(started);
    auto cancel = [&signal] { signal.emit(asio::cancellation_type::terminal); };
    asio::post(strand, cancel);  // emitted where the call's coroutine runs
    const auto r = client_env::wait(f, 30s);
    REQUIRE(!r);
    CHECK(r.error().code == asio::error::operation_aborted);
    CHECK(env.client().stats().sessions_in_use == 0);

    // Into a file: cancelled once its temporary file has bytes; nothing is left.
    const auto again = synthetic_bill(env, 300000, true, days_ago_cst(2));
    asio::cancellation_signal signal2;
    auto f2 = asio::co_spawn(strand, to_file(env.client(), again, dir / "bill.csv"),
                             asio::bind_cancellation_slot(signal2.slot(), asio::use_future));
    auto has_bytes = [&] {
        std::error_code ec;
        for (const auto& e : std::filesystem::directory_iterator(dir.path(), ec))
            if (std::filesystem::file_size(e.path(), ec) > 0 && !ec) return true;
        return false;
    };
    while (!has_bytes() && std::chrono::steady_clock::now() < until + 30s) std::this_thread::sleep_for(1ms);
    REQUIRE(has_bytes());
    auto cancel2 = [&signal2] { signal2.emit(asio::cancellation_type::terminal); };
    asio::post(strand, cancel2);
    const auto r2 = client_env::wait(f2, 30s);
    REQUIRE(!r2);
    CHECK(r2.error().code == asio::error::operation_aborted);
    CHECK(entries(dir) == 0);
    // The next download on the same client succeeds.
    const auto fresh = synthetic_bill(env, 1000, true, days_ago_cst(2));
    CHECK(outcome(env.run(env.client().async_download_bill_to(fresh, dir / "bill.csv"), 60s)) == "ok");
}

TEST_CASE("client: async_download_bill keeps small bills in memory and refuses large ones", "[client][bill]") {
    client_env env(bill_env);
    const auto small = synthetic_bill(env, 100, false, days_ago_cst(2));
    auto text = env.run(env.client().async_download_bill(small), 30s);
    REQUIRE(outcome(text) == "ok");
    CHECK(wechatpay::sha1_hex(*text) == small.hash_value);
    // About 240 bytes a row: 300,000 rows pass the 64 MiB cap.
    const auto large = synthetic_bill(env, 300000, true, days_ago_cst(2));
    CHECK(errc_of(env.run(env.client().async_download_bill(large), 60s)) == errc::body_too_large);
}

TEST_CASE("client: unsigned answers are accepted on the allowlisted download paths only", "[client][bill]") {
    SECTION("default: bill files download unsigned, and async_request says so") {
        client_env env;
        const auto info = synthetic_bill(env, 10, false, days_ago_cst(2));
        const std::string target = info.download_url.substr(info.download_url.find("/v3/"));
        auto raw = env.run(env.client().async_request("GET", target, ""));
        REQUIRE(outcome(raw) == "ok");
        CHECK(raw->status == 200);
        CHECK_FALSE(raw->verified);
        CHECK(wechatpay::sha1_hex(raw->body) == info.hash_value);
    }
    SECTION("a path off the list must verify: the unsigned bill is refused") {
        client_env env({.client = [](wechatpay::client_config& c) {
            c.unsigned_download_paths = {"/v3/billdownload/files", "/v3/merchant-service/images/"};
        }});
        temp_dir dir;
        const auto info = synthetic_bill(env, 10, false, days_ago_cst(2));
        auto d = env.run(env.client().async_download_bill_to(info, dir / "bill.csv"), 30s);
        CHECK(errc_of(d) == errc::missing_header);
        CHECK(entries(dir) == 0);
        const auto again = synthetic_bill(env, 10, false, days_ago_cst(2));
        const std::string target = again.download_url.substr(again.download_url.find("/v3/"));
        CHECK(errc_of(env.run(env.client().async_request("GET", target, ""))) == errc::missing_header);
    }
    SECTION("the list is checked by the config") {
        client_env env;
        auto cfg = client_config_for(env.sim(), key_mode::both);
        for (const char* bad : {"v3/billdownload/file", "/v3/billdownload/file?token=", "/v3/bill download"}) {
            CAPTURE(bad);
            cfg.unsigned_download_paths = {bad};
            CHECK(errc_of(wechatpay::client::create(env.ioc().get_executor(), cfg)) == errc::invalid_argument);
        }
    }
}

TEST_CASE("client: a download_url off the configured WeChat Pay host is refused before any request", "[client][bill]") {
    client_env env;
    temp_dir dir;
    const auto info = synthetic_bill(env, 10, false, days_ago_cst(2));
    const auto url = wechatpay::detail::parse_http_url(info.download_url);
    REQUIRE(url);
    const std::string host = url->host, port = std::to_string(url->port), target = url->target;
    const std::int64_t before = env.sim_requests();
    // Each would send our signature (or take an unsigned file) from somewhere else than WeChat Pay.
    for (const std::string& bad :
         {"http://" + host + ":" + port + target, "https://evil.example:" + port + target,
          "https://" + host + ".evil.example:" + port + target, "https://" + host + ":1" + port + target,
          "https://" + host + target, "https://user@" + host + ":" + port + target,
          "https://" + host + ":" + port + target + "#x", "https://" + host + ":" + port + "/v3/a b",
          "https://" + host + ":" + port + "/v3/%zz", std::string("//") + host + ":" + port + target, target,
          std::string()}) {
        CAPTURE(bad);
        auto copy = info;
        copy.download_url = bad;
        CHECK(errc_of(env.run(env.client().async_download_bill_to(copy, dir / "bill.csv"))) == errc::invalid_argument);
        CHECK(errc_of(env.run(env.client().async_download_bill(copy))) == errc::invalid_argument);
    }
    CHECK(env.sim_requests() == before);
    CHECK(entries(dir) == 0);
    // Scheme and host compare without case, as URLs do.
    auto upper = info;
    upper.download_url = "HTTPS://" + host + ":" + port + target;
    CHECK(outcome(env.run(env.client().async_download_bill(upper))) == "ok");
}

TEST_CASE("client: request --out's operation streams a download into a file", "[client][bill]") {
    client_env env;
    temp_dir dir;
    const auto info = synthetic_bill(env, 20000, false, days_ago_cst(2));
    const std::string target = info.download_url.substr(info.download_url.find("/v3/"));
    auto r = env.run(env.client().async_download_to(target, dir / "raw.csv"), 60s);
    REQUIRE(outcome(r) == "ok");
    CHECK(r->status == 200);
    CHECK(r->body.empty());
    CHECK_FALSE(r->verified);
    CHECK(wechatpay::sha1_hex(read_all(dir / "raw.csv")) == info.hash_value);
    // A verified endpoint's answer goes to the file once verified; an error status writes none.
    const std::string no = env.new_order();
    auto q = env.run(env.client().async_download_to(
        "/v3/pay/transactions/out-trade-no/" + no + "?mchid=" + shared_keys::get().setup.mchid, dir / "order.json"));
    REQUIRE(outcome(q) == "ok");
    CHECK(q->verified);
    CHECK(read_all(dir / "order.json").find(no) != std::string::npos);
    auto missing = env.run(env.client().async_download_to(
        "/v3/pay/transactions/out-trade-no/NOSUCHORDER1?mchid=" + shared_keys::get().setup.mchid, dir / "none.json"));
    REQUIRE(outcome(missing) == "ok");
    CHECK(missing->status == 404);
    CHECK(missing->body.find("ORDER_NOT_EXIST") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(dir / "none.json"));
}

TEST_CASE("client: realistic bills exist from 10:00 the next day, and their URL expires after 30 s",
          "[client][bill]") {
    client_env env({.sim = [](wechatpay::sim::config& c) { c.bills_at_once = false; }});
    const std::string no = env.new_order(120);
    REQUIRE(outcome(env.sim().pay(shared_keys::get().setup.mchid, no)) == "ok");
    const wechatpay::trade_bill_request today{today_cst(), "ALL", true};
    auto early = env.run(env.client().async_trade_bill(today));
    REQUIRE(errc_of(early) == errc::api_error);
    CHECK(early.error().http_status == 400);
    CHECK(early.error().api_code == "STATEMENT_CREATING");

    // Today 00:00 + 34 h is 10:00 tomorrow: whatever the hour now, the bill exists then.
    REQUIRE(outcome(env.sim().advance_clock(std::chrono::hours(34))) == "ok");
    auto info = env.run(env.client().async_trade_bill(today));
    REQUIRE(outcome(info) == "ok");
    REQUIRE(outcome(env.sim().advance_clock(std::chrono::seconds(31))) == "ok");
    temp_dir dir;
    auto late = env.run(env.client().async_download_bill_to(*info, dir / "bill.csv"));
    REQUIRE(errc_of(late) == errc::api_error);
    CHECK(late.error().http_status == 400);
    CHECK(late.error().api_code == "INVALID_REQUEST");
    CHECK(entries(dir) == 0);
    // Asked again, the bill comes with a fresh URL.
    auto again = env.run(env.client().async_trade_bill(today));
    REQUIRE(outcome(again) == "ok");
    auto d = env.run(env.client().async_download_bill_to(*again, dir / "bill.csv"));
    REQUIRE(outcome(d) == "ok");
    CHECK(read_all(dir / "bill.csv").find(no) != std::string::npos);
}
