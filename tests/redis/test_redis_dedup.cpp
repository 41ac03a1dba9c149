// wechatpay::redis against a real redis-server started by the test (redis_server.hpp): the
// connection (replies, reconnects, timeouts, a server that is gone) and the shared notification
// store, alone and behind notification_handler, with several stores standing for several
// instances of a merchant's servers.
#include "checks.hpp"
#include "fake_wechatpay.hpp"
#include "io_threads.hpp"
#include "redis_server.hpp"
#include "vectors.hpp"

#include <wechatpay/crypto.hpp>
#include <wechatpay/notification.hpp>
#include <wechatpay/redis/connection.hpp>
#include <wechatpay/redis/dedup.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <mutex>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace redis = wechatpay::redis;
using wechatpay::errc;
using wechatpay::result;
using claim = wechatpay::notification_dedup::claim;
using namespace std::chrono_literals;
using namespace wechatpay_test;

namespace {


result<redis::reply> exec(redis::connection& c, std::vector<std::string> args) {
    return c.async_exec(std::move(args), asio::use_future).get();
}

result<claim> try_claim(wechatpay::notification_dedup& d, std::string id) {
    std::promise<result<claim>> p;
    d.async_claim(std::move(id), [&p](result<claim> r) { p.set_value(std::move(r)); });
    return p.get_future().get();
}
claim claim_of(wechatpay::notification_dedup& d, std::string id) {
    auto r = try_claim(d, std::move(id));
    REQUIRE(r);
    return *r;
}
result<void> complete(wechatpay::notification_dedup& d, std::string id) {
    std::promise<result<void>> p;
    d.async_complete(std::move(id), [&p](result<void> r) { p.set_value(std::move(r)); });
    return p.get_future().get();
}
result<void> release(wechatpay::notification_dedup& d, std::string id) {
    std::promise<result<void>> p;
    d.async_release(std::move(id), [&p](result<void> r) { p.set_value(std::move(r)); });
    return p.get_future().get();
}

// One instance of a merchant's receivers: its own connection and store.
struct instance {
    std::shared_ptr<redis::connection> conn;
    std::shared_ptr<redis::dedup> store;
    instance(asio::io_context& ioc, std::uint16_t port, redis::dedup_options o = {})
        : conn(std::make_shared<redis::connection>(ioc.get_executor(), local_redis(port))),
          store(std::make_shared<redis::dedup>(conn, "1900000109", o)) {}
};

std::string text_of(redis::connection& c, const std::string& key) {
    auto r = exec(c, {"GET", key});
    REQUIRE(r);
    return r->kind == redis::reply::type::nil ? "(nil)" : r->str;
}

}  // namespace

TEST_CASE("redis connection: replies of each type, binary-safe, and an error reply as an error", "[redis]") {
    redis_server server;
    io_threads io;
    redis::connection c(io.ioc.get_executor(), local_redis(server.port()));

    const std::string binary("a\0b\r\nc", 6);
    auto set = exec(c, {"SET", "k", binary});
    REQUIRE(set);
    CHECK(set->kind == redis::reply::type::status);
    CHECK(set->str == "OK");
    auto got = exec(c, {"GET", "k"});
    REQUIRE(got);
    CHECK(got->kind == redis::reply::type::string);
    CHECK(got->str == binary);
    CHECK(exec(c, {"GET", "absent"})->kind == redis::reply::type::nil);
    auto incr = exec(c, {"INCRBY", "n", "41"});
    REQUIRE(incr);
    CHECK(incr->integer == 41);
    exec(c, {"RPUSH", "l", "x", "y"});
    auto list = exec(c, {"LRANGE", "l", "0", "-1"});
    REQUIRE(list);
    REQUIRE(list->elements.size() == 2);
    CHECK(list->elements[1].str == "y");

    auto wrong = exec(c, {"INCR", "k"});
    REQUIRE_FALSE(wrong);
    CHECK(wrong.error().detail.find("redis: ERR") != std::string::npos);
    CHECK(exec(c, {"PING"})->str == "PONG");  // the connection survives an error reply
    CHECK(c.connects() == 1);
}

TEST_CASE("redis connection: many commands from many threads, pipelined in order", "[redis]") {
    redis_server server;
    io_threads io;
    redis::connection c(io.ioc.get_executor(), local_redis(server.port()));
    std::vector<std::thread> threads;
    std::atomic<int> ok{0};
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            std::vector<std::future<result<redis::reply>>> answers;
            for (int i = 0; i < 250; ++i)
                answers.push_back(c.async_exec({"RPUSH", "t" + std::to_string(t), std::to_string(i)}, asio::use_future));
            for (int i = 0; i < 250; ++i)
                if (auto r = answers[static_cast<std::size_t>(i)].get(); r && r->integer == i + 1) ++ok;
        });
    for (auto& t : threads) t.join();
    CHECK(ok == 1000);
    CHECK(c.connects() == 1);
}

TEST_CASE("redis connection: no server, a stuck server, a restarted server", "[redis][errors]") {
    redis_server server;
    io_threads io;
    redis::connection c(io.ioc.get_executor(), local_redis(server.port()));
    REQUIRE(exec(c, {"SET", "k", "v"}));

    // Stuck: the command times out (no hang) and the connection is dropped.
    server.pause();
    const auto start = std::chrono::steady_clock::now();
    auto stuck = exec(c, {"GET", "k"});
    REQUIRE_FALSE(stuck);
    CHECK(stuck.error().code == asio::error::timed_out);
    CHECK(std::chrono::steady_clock::now() - start < 5s);
    server.resume();
    CHECK(exec(c, {"GET", "k"})->str == "v");  // reconnected
    CHECK(c.connects() == 2);

    // Gone: an error at once, every time, never a hang.
    server.stop();
    for (int i = 0; i < 3; ++i) {
        auto gone = exec(c, {"GET", "k"});
        REQUIRE_FALSE(gone);
        CHECK(gone.error().detail.find("redis:") == 0);
    }
    // Back, empty (no persistence): the next command reconnects.
    server.start();
    auto back = exec(c, {"GET", "k"});
    REQUIRE(back);
    CHECK(back->kind == redis::reply::type::nil);
}

TEST_CASE("redis dedup: two instances, one effect per id; keys namespaced per merchant with WeChat's span",
          "[redis][dedup]") {
    redis_server server;
    io_threads io;
    instance a(io.ioc, server.port()), b(io.ioc, server.port());

    CHECK(claim_of(*a.store, "EV-1") == claim::first);
    CHECK(claim_of(*b.store, "EV-1") == claim::in_progress);
    CHECK(claim_of(*a.store, "EV-1") == claim::in_progress);  // a second delivery to the same instance
    REQUIRE(complete(*a.store, "EV-1"));
    CHECK(claim_of(*b.store, "EV-1") == claim::done);
    CHECK(claim_of(*a.store, "EV-1") == claim::done);

    const std::string key = a.store->key("EV-1");
    CHECK(key == "wechatpay:{1900000109}:notification:EV-1");
    CHECK(text_of(*a.conn, key) == "done");
    auto ttl = exec(*a.conn, {"TTL", key});
    REQUIRE(ttl);
    CHECK(ttl->integer > wechatpay::notification_redelivery_span.count());

    // A failed effect releases the id: the next delivery, on any instance, runs it again.
    CHECK(claim_of(*a.store, "EV-2") == claim::first);
    REQUIRE(release(*a.store, "EV-2"));
    CHECK(claim_of(*b.store, "EV-2") == claim::first);
    REQUIRE(complete(*b.store, "EV-2"));
    CHECK(a.store->leases_lost() == 0);
    CHECK(b.store->leases_lost() == 0);
}

TEST_CASE("redis dedup: many deliveries of many ids racing on two instances give one first claim each",
          "[redis][dedup][concurrency]") {
    redis_server server;
    io_threads io;
    instance a(io.ioc, server.port()), b(io.ioc, server.port());
    constexpr int ids = 200;
    std::atomic<int> firsts{0}, other{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            auto& store = t % 2 ? *a.store : *b.store;
            for (int i = 0; i < ids; ++i) {
                auto c = try_claim(store, "EV-race-" + std::to_string(i));
                if (c && *c == claim::first) ++firsts;
                else if (c) ++other;
            }
        });
    for (auto& t : threads) t.join();
    CHECK(firsts == ids);
    CHECK(other == 3 * ids);
}

TEST_CASE("redis dedup: a slow effect keeps its claim; a dead instance's claim lapses after the lease",
          "[redis][dedup]") {
    redis_server server;
    io_threads io;
    redis::dedup_options short_lease;
    short_lease.lease = 300ms;
    instance a(io.ioc, server.port(), short_lease), b(io.ioc, server.port(), short_lease);

    // Still running after three leases: renewed, so no other instance takes it.
    REQUIRE(claim_of(*a.store, "EV-slow") == claim::first);
    std::this_thread::sleep_for(1s);
    CHECK(claim_of(*b.store, "EV-slow") == claim::in_progress);
    REQUIRE(complete(*a.store, "EV-slow"));
    CHECK(claim_of(*b.store, "EV-slow") == claim::done);
    CHECK(a.store->leases_lost() == 0);

    // Dead mid-effect (no more renewals): within the lease, another instance may handle it.
    REQUIRE(claim_of(*a.store, "EV-dead") == claim::first);
    a.store->abandon_claims();
    CHECK(claim_of(*b.store, "EV-dead") == claim::in_progress);
    std::this_thread::sleep_for(600ms);
    CHECK(claim_of(*b.store, "EV-dead") == claim::first);
    REQUIRE(complete(*b.store, "EV-dead"));
    // Had the dead instance finished after all, its completion is counted as a lost lease.
    REQUIRE(complete(*a.store, "EV-dead"));
    CHECK(a.store->leases_lost() == 0);  // already done: nothing was lost
    REQUIRE(claim_of(*a.store, "EV-late") == claim::first);
    a.store->abandon_claims();
    std::this_thread::sleep_for(600ms);
    REQUIRE(claim_of(*b.store, "EV-late") == claim::first);
    REQUIRE(complete(*a.store, "EV-late"));
    CHECK(a.store->leases_lost() == 1);
}

TEST_CASE("redis dedup: Redis down at a claim refuses the delivery; down at completion, it is recorded later",
          "[redis][dedup][errors]") {
    redis_server server;
    io_threads io;
    redis::dedup_options fast_retry;
    fast_retry.retry_interval = 50ms;
    instance a(io.ioc, server.port(), fast_retry), b(io.ioc, server.port(), fast_retry);

    server.stop();
    auto refused = try_claim(*a.store, "EV-down");
    REQUIRE_FALSE(refused);
    CHECK(refused.error().detail.find("claiming notification EV-down") != std::string::npos);
    server.start();

    REQUIRE(claim_of(*a.store, "EV-done-later") == claim::first);
    server.stop();
    auto unrecorded = complete(*a.store, "EV-done-later");
    REQUIRE_FALSE(unrecorded);
    CHECK(unrecorded.error().detail.find("will retry") != std::string::npos);
    CHECK(a.store->pending_completions() == 1);
    server.start();  // empty: the claim is gone with the restart
    for (int i = 0; i < 200 && a.store->pending_completions() > 0; ++i) std::this_thread::sleep_for(20ms);
    CHECK(a.store->pending_completions() == 0);
    CHECK(claim_of(*b.store, "EV-done-later") == claim::done);
}

namespace {

// A TRANSACTION.SUCCESS notification for `out_trade_no`, signed now by the fake WeChat Pay.
struct delivery {
    wechatpay::signature_headers headers;
    std::string body;
};
delivery notification_for(const std::string& id, const std::string& out_trade_no) {
    const auto key = UNWRAP(wechatpay::apiv3_key::from(test_apiv3_key));
    boost::json::object resource{{"mchid", "1900000109"},       {"appid", "wxd678efh567hg6787"},
                                 {"out_trade_no", out_trade_no}, {"transaction_id", "42000" + out_trade_no},
                                 {"trade_type", "JSAPI"},        {"trade_state", "SUCCESS"},
                                 {"amount", {{"total", 100}, {"payer_total", 100}, {"currency", "CNY"}}}};
    const std::string plain = boost::json::serialize(resource);
    boost::json::object envelope{
        {"id", id},
        {"create_time", "2026-12-07T10:00:00+08:00"},
        {"resource_type", "encrypt-resource"},
        {"event_type", "TRANSACTION.SUCCESS"},
        {"summary", "支付成功"},
        {"resource",
         {{"original_type", "transaction"},
          {"algorithm", "AEAD_AES_256_GCM"},
          {"ciphertext", UNWRAP(wechatpay::aead_encrypt(key, "fdasflkja484", "transaction", plain))},
          {"associated_data", "transaction"},
          {"nonce", "fdasflkja484"}}}};
    std::string body = boost::json::serialize(envelope);
    auto headers = fake_wechatpay::instance().sign(body, wechatpay::system_unix_time(), wechatpay::random_nonce());
    return {std::move(headers), std::move(body)};
}

}  // namespace

TEST_CASE("redis dedup behind notification_handler: redeliveries spread over three instances, one effect each; "
          "Redis down means a 500 and a later delivery", "[redis][dedup]") {
    redis_server server;
    io_threads io;
    const auto key = UNWRAP(wechatpay::apiv3_key::from(test_apiv3_key));
    std::vector<instance> instances;
    std::vector<wechatpay::notification_handler> receivers;
    for (int i = 0; i < 3; ++i) {
        instances.emplace_back(io.ioc, server.port());
        receivers.emplace_back(fake_wechatpay::instance().certificate_verifier(), key, instances.back().store);
    }
    std::mutex mutex;
    std::map<std::string, int> effects;  // out_trade_no → business effects
    const wechatpay::notification_effect effect =
        [&](const wechatpay::notification& n) -> asio::awaitable<result<void>> {
        const auto ex = co_await asio::this_coro::executor;
        asio::steady_timer slow(ex, 20ms);  // a database round trip
        co_await slow.async_wait(asio::use_awaitable);
        const auto t = n.transaction();
        std::lock_guard lock(mutex);
        ++effects[t ? t->out_trade_no : "?"];
        co_return result<void>();
    };
    auto deliver = [&](int to, const delivery& d) {
        return asio::co_spawn(io.ioc, receivers[static_cast<std::size_t>(to)].async_handle(d.headers, d.body, effect),
                              asio::use_future);
    };

    // 30 payments, each delivered to every instance at once, then once more to each.
    std::vector<std::future<wechatpay::notification_reply>> answers;
    for (int p = 0; p < 30; ++p) {
        const auto d = notification_for("EV-" + std::to_string(p), "order-" + std::to_string(p));
        for (int to = 0; to < 3; ++to) answers.push_back(deliver(to, d));
    }
    for (auto& a : answers) a.get();
    for (int p = 0; p < 30; ++p) {
        const auto d = notification_for("EV-" + std::to_string(p), "order-" + std::to_string(p));
        for (int to = 0; to < 3; ++to) CHECK(deliver(to, d).get().status == 204);
    }
    CHECK(effects.size() == 30);
    for (const auto& [order, count] : effects) CHECK(count == 1);

    // Round trips, as Redis counted them: one per delivery (the claim) and one per effect (done).
    auto stats = exec(*instances[0].conn, {"INFO", "commandstats"});
    REQUIRE(stats);
    const auto at = stats->str.find("cmdstat_eval:calls=");
    REQUIRE(at != std::string::npos);
    const long evals = std::stol(stats->str.substr(at + 19));
    CHECK(evals == 6 * 30 + 30);
    UNSCOPED_INFO("redis round trips: " << evals << " for 30 notifications delivered 6 times each");

    // Redis down: a failure for WeChat (it delivers again later), with the reason, no effect.
    server.stop();
    const auto d = notification_for("EV-down", "order-down");
    const auto refused = deliver(1, d).get();
    CHECK(refused.status == 500);
    REQUIRE(refused.reason);
    CHECK(refused.reason->detail.find("could not claim") != std::string::npos);
    CHECK(effects.count("order-down") == 0);
    server.start();
    CHECK(deliver(2, d).get().status == 204);
    CHECK(deliver(0, d).get().status == 204);
    CHECK(effects["order-down"] == 1);
}
