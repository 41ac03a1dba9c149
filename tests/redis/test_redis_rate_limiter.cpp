// The fleet-wide request rate limiter (wechatpay::redis::rate_limiter) against a real
// redis-server (redis_server.hpp) and the simulator over real TLS: several clients, each on its
// own io_context and thread as separate instances of a server would be, share one Redis bucket
// per endpoint class. The simulator refuses transfer-bill queries beyond transfer_query_qps in a
// fixed second (429 FREQUENCY_LIMITED, as WeChat does): counts, not timings, say the fleet kept
// under it. Also: asks from two limiters drawing on one bucket, a call cancelled or timed out
// while it waits (nothing sent), Redis down (fail-open sends with one warning, fail-closed
// refuses) and Redis restarted (buckets full again).
#include "client_env.hpp"
#include "io_threads.hpp"
#include "redis_server.hpp"

#include <wechatpay/redis/connection.hpp>
#include <wechatpay/redis/rate_limiter.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/use_future.hpp>

#include <atomic>
#include <future>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace redis = wechatpay::redis;
using wechatpay::endpoint_class;
using wechatpay::result;
using wechatpay::transfer_bill;
using namespace wechatpay_test;

namespace {

constexpr std::string_view transfer_query_endpoint = "/v3/fund-app/mch-transfer/transfer-bills/out-bill-no/{out_bill_no}";
constexpr auto tq = endpoint_class::transfer_query;

wechatpay::rate_table transfer_queries(double per_second, double burst) {
    wechatpay::rate_table t{};
    t[static_cast<std::size_t>(tq)] = {per_second, burst};
    return t;
}

// Warnings and errors the limiter logged (from any thread).
struct log_lines {
    std::mutex mutex;
    std::vector<std::string> lines;
    wechatpay::logger_function logger() {
        return [this](wechatpay::log_level l, std::string_view m, std::string_view) {
            if (l < wechatpay::log_level::warning) return;
            std::lock_guard lock(mutex);
            lines.emplace_back(m);
        };
    }
    std::size_t count() {
        std::lock_guard lock(mutex);
        return lines.size();
    }
};

// One instance of a merchant's server: its own io_context and thread, Redis connection,
// limiter (none when `with_limiter` is false) and client of the shared simulator.
struct instance {
    asio::io_context ioc;
    asio::executor_work_guard<asio::io_context::executor_type> work = asio::make_work_guard(ioc);
    std::shared_ptr<redis::connection> conn;
    std::shared_ptr<redis::rate_limiter> limiter;
    std::unique_ptr<wechatpay::client> client;
    std::thread thread;

    instance(const wechatpay::sim::simulator& sim, std::uint16_t redis_port, redis::rate_limiter_options opts,
             bool with_limiter = true, const client_tweak& tweak = {}) {
        auto cfg = client_config_for(sim, key_mode::both);
        cfg.retry.max_attempts = 1;  // a 429 comes back as it is, not retried
        if (with_limiter) {
            conn = std::make_shared<redis::connection>(ioc.get_executor(), local_redis(redis_port));
            limiter = std::make_shared<redis::rate_limiter>(conn, cfg.mchid, std::move(opts));
            cfg.rate_limiter = limiter;
        }
        if (tweak) tweak(cfg);
        client = UNWRAP(wechatpay::client::create(ioc.get_executor(), std::move(cfg)));
        thread = std::thread([this] { ioc.run(); });
    }
    ~instance() {  // the client and connection close on the running io_context, then it ends
        client.reset();
        limiter.reset();
        conn.reset();
        work.reset();
        thread.join();
    }

    std::future<result<transfer_bill>> query(std::string out_bill_no) {
        return client->async_query_transfer_by_out_bill_no(std::move(out_bill_no), asio::use_future);
    }
    result<std::chrono::milliseconds> ask(std::chrono::milliseconds patience = 0ms) {
        return limiter->async_try_acquire(tq, patience, asio::use_future).get();
    }
};

result<transfer_bill> wait_for(std::future<result<transfer_bill>>& f) { return client_env::wait(f, 60s); }

// What the simulator answered a query of a bill that does not exist: NOT_FOUND when it
// counted it within its rate, FREQUENCY_LIMITED beyond.
std::string answer_code(const result<transfer_bill>& r) {
    if (r) return "found?";
    return r.error().api_code.empty() ? r.error().to_string() : r.error().api_code;
}

std::int64_t sim_queries(const sim_env& sim) {
    const auto requests = sim.stats().at("requests").as_object();
    const auto it = requests.find(transfer_query_endpoint);
    return it == requests.end() ? 0 : it->value().to_number<std::int64_t>();
}

}  // namespace

TEST_CASE("redis rate limiter: three instances share one limit; the simulator never refuses them",
          "[redis][limiter][fleet]") {
    redis_server server;
    constexpr int per_instance = 20, instances = 3;
    SECTION("with the shared limiter: every query within WeChat's rate") {
        // The simulator's fixed second admits 40; the bucket at most 2 + 8·(1 + d) in any
        // second that arrivals spread over 1 + d seconds: under 40 while d < 3.75 s (room for a
        // sanitizer build on a busy machine).
        sim_env sim([](wechatpay::sim::config& c) {
            client_test_sim(c);
            c.transfer_query_qps = 40;
        });
        redis::rate_limiter_options opts;
        opts.rates = transfer_queries(8, 2);
        // 60 calls at 8/s queue up to 7.25 s: room for that in the request timeout.
        const auto patient = [](wechatpay::client_config& c) { c.timeouts.request = 60s; };
        std::vector<std::unique_ptr<instance>> fleet;
        for (int i = 0; i < instances; ++i)
            fleet.push_back(std::make_unique<instance>(sim.sim(), server.port(), opts, true, patient));
        std::vector<std::future<result<transfer_bill>>> calls;
        for (int n = 0; n < per_instance; ++n)
            for (auto& in : fleet) calls.push_back(in->query("B" + std::to_string(calls.size())));
        std::map<std::string, int> codes;
        for (auto& f : calls) ++codes[answer_code(wait_for(f))];
        CHECK(codes["NOT_FOUND"] == instances * per_instance);
        CHECK(codes.count("FREQUENCY_LIMITED") == 0);
        CHECK(sim_queries(sim) == instances * per_instance);
        // One ask per send however many wait (turns are reserved): no herd asking again. (A send
        // on a pooled session found closed is sent again at once, and asks again.)
        const auto asks = command_calls(*fleet[0]->conn, "eval");
        CHECK(asks >= instances * per_instance);
        CHECK(asks <= instances * per_instance + 3);
    }
    SECTION("without it (the control): the same fleet, three times the calls, is refused") {
        sim_env sim([](wechatpay::sim::config& c) {
            client_test_sim(c);
            c.transfer_query_qps = 10;  // 180 queries pass unrefused only if spread over 18 s
        });
        std::vector<std::unique_ptr<instance>> fleet;
        for (int i = 0; i < instances; ++i)
            fleet.push_back(std::make_unique<instance>(sim.sim(), server.port(), redis::rate_limiter_options{}, false));
        std::vector<std::future<result<transfer_bill>>> calls;
        for (int n = 0; n < 3 * per_instance; ++n)
            for (auto& in : fleet) calls.push_back(in->query("B" + std::to_string(calls.size())));
        std::map<std::string, int> codes;
        for (auto& f : calls) ++codes[answer_code(wait_for(f))];
        CHECK(codes["FREQUENCY_LIMITED"] > 0);
        CHECK(codes["NOT_FOUND"] + codes["FREQUENCY_LIMITED"] == 3 * instances * per_instance);
    }
}

// The client awaits the ask on its own strand: the answer must come back there, not on the
// thread that runs the Redis connection (another io_context here).
TEST_CASE("redis rate limiter: an answer completes on the asker's executor, not the connection's",
          "[redis][limiter]") {
    redis_server server;
    // The caller's io_context outlives the Redis side's threads: the connection's thread may
    // still be destroying the bound handler (and its strand) just after the caller was answered.
    io_threads caller_side, redis_side;
    auto conn = std::make_shared<redis::connection>(redis_side.ioc.get_executor(), local_redis(server.port()));
    redis::rate_limiter_options opts;
    opts.rates = transfer_queries(1, 1);
    auto limiter = std::make_shared<redis::rate_limiter>(conn, "1900000109", opts);
    auto strand = asio::make_strand(caller_side.ioc);
    for (int i = 0; i < 3; ++i) {  // a token, then waits
        std::promise<std::pair<bool, bool>> where;
        limiter->async_try_acquire(tq, 0ms, asio::bind_executor(strand, [&](result<std::chrono::milliseconds> r) {
                                       where.set_value({r.has_value(), strand.running_in_this_thread()});
                                   }));
        const auto [answered, on_strand] = where.get_future().get();
        CHECK(answered);
        CHECK(on_strand);
    }
    limiter.reset();
    conn.reset();
}

TEST_CASE("redis rate limiter: two limiters draw on one bucket; keys per merchant and class",
          "[redis][limiter]") {
    redis_server server;
    sim_env sim([](wechatpay::sim::config& c) { client_test_sim(c); });
    redis::rate_limiter_options opts;
    opts.rates = transfer_queries(0.1, 5);  // one token every 10 s: none comes back during the test
    instance a(sim.sim(), server.port(), opts), b(sim.sim(), server.port(), opts);
    CHECK(a.limiter->key(tq) == "wechatpay:{" + shared_keys::get().setup.mchid + "}:rate:transfer_query");

    int admitted = 0;
    std::vector<std::chrono::milliseconds> waits;
    for (int i = 0; i < 4; ++i)
        for (auto* in : {&a, &b}) {
            auto r = in->ask();
            REQUIRE(r);
            if (*r == 0ms) ++admitted;
            else waits.push_back(*r);
        }
    CHECK(admitted == 5);  // the burst, across both instances, in the order they asked
    REQUIRE(waits.size() == 3);
    for (auto w : waits) {
        CHECK(w > 0ms);
        CHECK(w <= 10s);
    }
    // Another class without a rate never asks Redis, and is never limited.
    auto other = a.limiter->async_try_acquire(endpoint_class::payment_query, 0ms, asio::use_future).get();
    REQUIRE(other);
    CHECK(*other == 0ms);
}

TEST_CASE("redis rate limiter: a call waiting for a token is cancelled or times out, sending nothing",
          "[redis][limiter][cancel]") {
    redis_server server;
    sim_env sim([](wechatpay::sim::config& c) { client_test_sim(c); });
    redis::rate_limiter_options opts;
    opts.rates = transfer_queries(0.1, 1);  // after the first call, the next token in 10 s

    SECTION("cancelled while waiting: operation_aborted") {
        instance in(sim.sim(), server.port(), opts);
        auto first = in.query("B1");
        CHECK(answer_code(wait_for(first)) == "NOT_FOUND");
        asio::cancellation_signal signal;
        auto waiting = in.client->async_query_transfer_by_out_bill_no(
            "B2", asio::bind_cancellation_slot(signal.slot(), asio::use_future));
        std::this_thread::sleep_for(300ms);
        CHECK(waiting.wait_for(0s) == std::future_status::timeout);  // it waits for its token
        asio::post(in.ioc.get_executor(), [&signal] { signal.emit(asio::cancellation_type::terminal); });
        auto r = wait_for(waiting);
        REQUIRE_FALSE(r);
        CHECK(r.error().code == asio::error::operation_aborted);
        CHECK(sim_queries(sim) == 1);
    }
    SECTION("cancelled while the ask is out (Redis stuck, then failing open): nothing sent") {
        instance in(sim.sim(), server.port(), opts);
        auto first = in.query("B1");
        CHECK(answer_code(wait_for(first)) == "NOT_FOUND");
        server.pause();
        asio::cancellation_signal signal;
        auto waiting = in.client->async_query_transfer_by_out_bill_no(
            "B2", asio::bind_cancellation_slot(signal.slot(), asio::use_future));
        std::this_thread::sleep_for(200ms);  // the ask is out until Redis's command timeout
        asio::post(in.ioc.get_executor(), [&signal] { signal.emit(asio::cancellation_type::terminal); });
        auto r = wait_for(waiting);
        REQUIRE_FALSE(r);
        CHECK(r.error().code == asio::error::operation_aborted);
        CHECK(sim_queries(sim) == 1);
        server.resume();
    }
    SECTION("a wait beyond the request timeout: timed_out at once") {
        instance in(sim.sim(), server.port(), opts, true,
                    [](wechatpay::client_config& c) { c.timeouts.request = 2s; });
        auto first = in.query("B1");
        CHECK(answer_code(wait_for(first)) == "NOT_FOUND");
        auto second = in.query("B2");
        auto r = wait_for(second);
        REQUIRE_FALSE(r);
        CHECK(r.error().code == asio::error::timed_out);
        CHECK(r.error().detail.find("transfer_query request token") != std::string::npos);
        CHECK(sim_queries(sim) == 1);
    }
}

TEST_CASE("redis rate limiter: Redis down (fail-open sends, fail-closed refuses) and restarted",
          "[redis][limiter][failure]") {
    redis_server server;
    sim_env sim([](wechatpay::sim::config& c) { client_test_sim(c); });
    log_lines log;
    redis::rate_limiter_options opts;
    opts.rates = transfer_queries(0.1, 2);
    opts.logger = log.logger();

    SECTION("fail-open (the default): calls go out unchecked, with one warning") {
        instance in(sim.sim(), server.port(), opts);
        server.stop();
        for (int i = 0; i < 3; ++i) {
            auto f = in.query("B" + std::to_string(i));
            CHECK(answer_code(wait_for(f)) == "NOT_FOUND");
        }
        CHECK(sim_queries(sim) == 3);
        CHECK(in.limiter->admitted_unchecked() == 3);
        CHECK(log.count() == 1);
    }
    SECTION("fail-closed: calls fail with Redis's error and send nothing") {
        opts.fail_open = false;
        instance in(sim.sim(), server.port(), opts);
        server.stop();
        for (int i = 0; i < 2; ++i) {
            auto f = in.query("B" + std::to_string(i));
            auto r = wait_for(f);
            REQUIRE_FALSE(r);
            CHECK(r.error().api_code.empty());
            CHECK(r.error().detail.find("rate limiter: redis:") != std::string::npos);
        }
        CHECK(sim_queries(sim) == 0);
        CHECK(in.limiter->admitted_unchecked() == 0);
        CHECK(log.count() == 1);
    }
    SECTION("restarted without its data: the bucket is full again, the limiter goes on") {
        opts.fail_open = false;
        instance in(sim.sim(), server.port(), opts);
        for (int i = 0; i < 2; ++i) {
            auto r = in.ask();
            REQUIRE(r);
            CHECK(*r == 0ms);
        }
        auto spent = in.ask();
        REQUIRE(spent);
        CHECK(*spent > 0ms);
        server.stop();
        server.start();  // empty: the bucket's key is gone
        // The first ask may find the old connection dead (an error, fail-closed); the next reconnects.
        result<std::chrono::milliseconds> r = wechatpay::error(wechatpay::errc::invalid_argument);
        for (int tries = 0; tries < 5 && !r; ++tries) r = in.ask();
        REQUIRE(r);
        CHECK(*r == 0ms);
        auto second = in.ask(), third = in.ask();
        REQUIRE(second);
        REQUIRE(third);
        CHECK(*second == 0ms);
        CHECK(*third > 0ms);
    }
}

namespace {
// Admits every ask and counts them.
class counting_limiter final : public wechatpay::rate_limiter {
public:
    std::atomic<int> asks{0};

protected:
    void try_acquire(endpoint_class c, wait, handler_type handler) override {
        if (c == tq) ++asks;
        complete(std::move(handler), wait(0));
    }
};
}  // namespace

TEST_CASE("rate limiter: a retry asks for a token again", "[limiter][retry]") {
    sim_env sim([](wechatpay::sim::config& c) { client_test_sim(c); });
    auto counter = std::make_shared<counting_limiter>();
    instance in(sim.sim(), 0, {}, false, [&counter](wechatpay::client_config& c) {
        c.retry.max_attempts = 2;
        c.rate_limiter = counter;
    });
    auto control = sim.control();
    json::object rule{{"kind", "system_error"}, {"endpoint", transfer_query_endpoint}, {"times", 1}};
    REQUIRE(UNWRAP(control.unsigned_call("POST", "/sim/faults", json::serialize(rule))).status == 200);
    auto f = in.query("B1");
    CHECK(answer_code(wait_for(f)) == "NOT_FOUND");  // the 500, then the retry's answer
    CHECK(sim_queries(sim) == 2);
    CHECK(counter->asks == 2);
}
