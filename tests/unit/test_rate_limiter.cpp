// The request classes (rate_limiter.hpp) and the in-process token bucket, on a clock the test
// moves: no waiting, no sockets.
#include "checks.hpp"

#include <wechatpay/rate_limiter.hpp>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <optional>
#include <vector>

using wechatpay::endpoint_class;
using wechatpay::classify_request;
using namespace std::chrono_literals;

TEST_CASE("rate limiter: requests map to their endpoint class") {
    const auto cls = [](const char* m, const char* t) { return classify_request(m, t); };
    CHECK(cls("POST", "/v3/pay/transactions/native") == endpoint_class::prepay);
    CHECK(cls("POST", "/v3/pay/partner/transactions/jsapi") == endpoint_class::prepay);
    CHECK(cls("POST", "/v3/combine-transactions/app") == endpoint_class::prepay);
    CHECK(cls("GET", "/v3/pay/transactions/out-trade-no/T1?mchid=1900000001") == endpoint_class::payment_query);
    CHECK(cls("GET", "/v3/pay/transactions/id/4200000001") == endpoint_class::payment_query);
    CHECK(cls("GET", "/v3/pay/partner/transactions/out-trade-no/T1?sp_mchid=1&sub_mchid=2") ==
          endpoint_class::payment_query);
    CHECK(cls("GET", "/v3/combine-transactions/out-trade-no/C1") == endpoint_class::payment_query);
    CHECK(cls("POST", "/v3/pay/transactions/out-trade-no/T1/close") == endpoint_class::other);
    CHECK(cls("GET", "/v3/pay/transactions/out-trade-no/") == endpoint_class::other);
    CHECK(cls("POST", "/v3/refund/domestic/refunds") == endpoint_class::refund);
    CHECK(cls("GET", "/v3/refund/domestic/refunds/R1") == endpoint_class::refund);
    CHECK(cls("POST", "/v3/fund-app/mch-transfer/transfer-bills") == endpoint_class::transfer_create);
    CHECK(cls("GET", "/v3/fund-app/mch-transfer/transfer-bills/out-bill-no/B1") == endpoint_class::transfer_query);
    CHECK(cls("GET", "/v3/fund-app/mch-transfer/transfer-bills/transfer-bill-no/1330000") ==
          endpoint_class::transfer_query);
    CHECK(cls("POST", "/v3/fund-app/mch-transfer/transfer-bills/out-bill-no/B1/cancel") == endpoint_class::other);
    CHECK(cls("GET", "/v3/fund-app/mch-transfer/transfer-billsX/out-bill-no/B1") == endpoint_class::other);
    CHECK(cls("GET", "/v3/fund-app/mch-transfer/elecsign/out-bill-no/B1") == endpoint_class::other);
    CHECK(cls("POST", "/v3/profitsharing/orders") == endpoint_class::profit_sharing);
    CHECK(cls("GET", "/v3/profitsharing/bills?bill_date=2026-01-01") == endpoint_class::profit_sharing);
    CHECK(cls("GET", "/v3/certificates") == endpoint_class::certificates);
    CHECK(cls("GET", "/v3/bill/tradebill?bill_date=2026-01-01") == endpoint_class::other);
    CHECK(std::string(to_string(endpoint_class::transfer_query)) == "transfer_query");
}

TEST_CASE("rate limiter: the documented rates sit under WeChat's figures") {
    const auto t = wechatpay::documented_rates();
    const auto& q = t[static_cast<std::size_t>(endpoint_class::transfer_query)];
    CHECK(q.per_second == Approx(70));
    CHECK(q.burst == Approx(10));
    CHECK(q.per_second + q.burst <= 100);  // WeChat: 100 a second, counted per fixed second
    const auto& c = t[static_cast<std::size_t>(endpoint_class::transfer_create)];
    CHECK(c.per_second + c.burst <= 100);
    const auto& p = t[static_cast<std::size_t>(endpoint_class::profit_sharing)];
    CHECK(p.per_second + p.burst <= 30);
    CHECK_FALSE(t[static_cast<std::size_t>(endpoint_class::payment_query)].limited());
    CHECK(wechatpay::rate::under(5).burst == 1);  // never below one token
}

TEST_CASE("rate limiter: the in-process token bucket") {
    auto now = std::chrono::steady_clock::time_point{} + 1h;
    wechatpay::rate_table rates{};
    rates[static_cast<std::size_t>(endpoint_class::transfer_query)] = {8, 3};  // 8/s, burst 3 (exact in binary)
    wechatpay::memory_rate_limiter limiter(rates, [&now] { return now; });
    const auto q = endpoint_class::transfer_query;

    SECTION("a full bucket admits its burst, then tells the wait until the next token") {
        for (int i = 0; i < 3; ++i) CHECK(limiter.take(q) == 0ms);
        CHECK(limiter.take(q) == 125ms);  // one token every 125 ms
        now += 62500us;
        CHECK(limiter.take(q) == 63ms);   // rounded up; an ask that waits takes nothing
        now += 62500us;
        CHECK(limiter.take(q) == 0ms);
        CHECK(limiter.take(q) == 125ms);
    }
    SECTION("over a known number of refills it admits burst + rate·time, not one more") {
        int admitted = 0;
        for (int step = 0; step < 80; ++step) {  // 10 s in 125 ms steps, asking 5 times each
            for (int k = 0; k < 5; ++k)
                if (limiter.take(q) == 0ms) ++admitted;
            now += 125ms;
        }
        CHECK(admitted == 3 + 8 * 10 - 1);  // the burst, then one per refill (79 of them)
    }
    SECTION("an idle bucket fills up to its burst only") {
        for (int i = 0; i < 3; ++i) CHECK(limiter.take(q) == 0ms);
        now += 1h;
        for (int i = 0; i < 3; ++i) CHECK(limiter.take(q) == 0ms);
        CHECK(limiter.take(q) > 0ms);
    }
    SECTION("classes without a rate are never limited, and classes do not share tokens") {
        for (int i = 0; i < 1000; ++i) REQUIRE(limiter.take(endpoint_class::payment_query) == 0ms);
        for (int i = 0; i < 3; ++i) CHECK(limiter.take(q) == 0ms);
    }
    SECTION("a wait within the patience reserves the token: the next one queues behind it") {
        for (int i = 0; i < 3; ++i) CHECK(limiter.take(q, 1s) == 0ms);
        CHECK(limiter.take(q, 1s) == 125ms);  // reserved for in 125 ms
        CHECK(limiter.take(q, 1s) == 250ms);  // then the one after
        CHECK(limiter.take(q, 300ms) == 375ms);  // beyond its patience: nothing reserved
        CHECK(limiter.take(q, 375ms) == 375ms);  // exactly its patience: reserved
        now += 375ms;  // three refills: the three reservations are due, nothing else is
        CHECK(limiter.take(q) == 125ms);
    }
    SECTION("reservations never admit more than burst + rate·time") {
        // 10 s; each 125 ms step, 5 callers ask with 2 s of patience and count as admitted at
        // the time they were given.
        std::vector<std::chrono::steady_clock::time_point> sends;
        for (int step = 0; step < 80; ++step) {
            for (int k = 0; k < 5; ++k) {
                const auto w = limiter.take(q, 2s);
                if (w <= 2s) sends.push_back(now + w);
            }
            now += 125ms;
        }
        std::sort(sends.begin(), sends.end());
        // Any window of T seconds holds at most 3 + 8·T sends.
        for (std::size_t a = 0; a < sends.size(); ++a)
            for (std::size_t b = a; b < sends.size(); ++b) {
                const double t = std::chrono::duration<double>(sends[b] - sends[a]).count();
                REQUIRE(static_cast<double>(b - a + 1) <= 3 + 8 * t + 1e-9);
            }
        CHECK(sends.size() >= 3 + 8 * 10 - 1);  // and a queue that long is never starved
    }
    SECTION("the asynchronous ask gives the same answers, on the handler's executor") {
        std::optional<wechatpay::result<std::chrono::milliseconds>> got;
        for (int i = 0; i < 3; ++i) limiter.take(q);
        limiter.async_try_acquire(q, 0ms, [&got](wechatpay::result<std::chrono::milliseconds> r) { got = r; });
        REQUIRE(got);  // no associated executor: inline
        REQUIRE(*got);
        CHECK(**got == 125ms);

        boost::asio::io_context ioc;
        auto strand = boost::asio::make_strand(ioc);
        bool on_strand = false;
        got.reset();
        limiter.async_try_acquire(q, 0ms, boost::asio::bind_executor(strand, [&](wechatpay::result<std::chrono::milliseconds> r) {
                                      got = r;
                                      on_strand = strand.running_in_this_thread();
                                  }));
        CHECK_FALSE(got);  // not run on the asker's thread outside its strand
        ioc.run();
        REQUIRE(got);
        CHECK(on_strand);
    }
}
