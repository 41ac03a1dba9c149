// The client as an Asio asynchronous operation: every token style, cancellation through the
// token's slot, shutdown(), and the client object destroyed while its calls run.
#include "client_env.hpp"

#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/parallel_group.hpp>

using namespace wechatpay_test;
using wechatpay::errc;
using wechatpay::result;
using wechatpay::transaction;
using steady = std::chrono::steady_clock;

namespace {

std::string trade_state(const result<transaction>& r) { return r ? r->trade_state : outcome(r); }

// A promise for a callback's result, with the thread the callback ran on.
template <class T>
struct callback_result {
    std::promise<std::pair<result<T>, std::thread::id>> promise;
    std::future<std::pair<result<T>, std::thread::id>> future = promise.get_future();
    auto handler() {
        return [this](result<T> r) { promise.set_value({std::move(r), std::this_thread::get_id()}); };
    }
};

}  // namespace

TEST_CASE("async: a plain callback gets the result on an io thread", "[client][async]") {
    client_env env;  // two io threads
    const std::string no = env.new_order();
    callback_result<transaction> got;
    env.client().async_query_by_out_trade_no(no, got.handler());
    auto [r, thread] = client_env::wait(got.future, 10s);
    CHECK(trade_state(r) == "NOTPAY");
    CHECK(thread != std::this_thread::get_id());

    // The whole error reaches a callback: kind, code, status, WeChat's code, Request-ID.
    callback_result<transaction> missing;
    env.client().async_query_by_out_trade_no("NO_SUCH_ORDER_1", missing.handler());
    auto [e, t2] = client_env::wait(missing.future, 10s);
    REQUIRE_FALSE(e);
    CHECK(e.error().is(errc::api_error));
    CHECK(e.error().http_status == 404);
    CHECK(e.error().api_code == "ORDER_NOT_EXIST");
    CHECK_FALSE(e.error().request_id.empty());
}

TEST_CASE("async: use_future from a thread that is not an io thread", "[client][async]") {
    client_env env;
    const std::string no = env.new_order();
    auto f = env.client().async_query_by_out_trade_no(no, asio::use_future);
    REQUIRE(f.wait_for(10s) == std::future_status::ready);
    CHECK(trade_state(f.get()) == "NOTPAY");
    auto closed = env.client().async_close_order(no, asio::use_future);
    REQUIRE(closed.wait_for(10s) == std::future_status::ready);
    CHECK(outcome(closed.get()) == "ok");
}

namespace {

asio::awaitable<std::vector<std::string>> awaited_three_ways(wechatpay::client& c, std::string no) {
    std::vector<std::string> states;
    // No token: the default, an awaitable.
    result<transaction> a = co_await c.async_query_by_out_trade_no(no);
    states.push_back(trade_state(a));
    // use_awaitable given explicitly.
    auto b = co_await c.async_query_by_out_trade_no(no, asio::use_awaitable);
    states.push_back(trade_state(b));
    // deferred: an operation object, started by co_await.
    auto deferred_query = c.async_query_by_out_trade_no(no, asio::deferred);
    auto d = co_await std::move(deferred_query);
    states.push_back(trade_state(d));
    co_return states;
}

}  // namespace

TEST_CASE("async: co_await without a token, with use_awaitable and with deferred", "[client][async]") {
    client_env env;
    const std::string no = env.new_order();
    CHECK(env.run(awaited_three_ways(env.client(), no)) == std::vector<std::string>{"NOTPAY", "NOTPAY", "NOTPAY"});

    // A deferred operation started later with a callback.
    auto op = env.client().async_query_by_out_trade_no(no, asio::deferred);
    callback_result<transaction> got;
    std::move(op)(got.handler());
    CHECK(trade_state(client_env::wait(got.future, 10s).first) == "NOTPAY");
}

TEST_CASE("async: parallel_group waits for both queries, or for the first with the other cancelled",
          "[client][async][cancel]") {
    client_env env;
    auto& c = env.client();
    const std::string a = env.new_order(), b = env.new_order();
    SECTION("wait_for_all") {
        auto group = asio::experimental::make_parallel_group(c.async_query_by_out_trade_no(a, asio::deferred),
                                                             c.async_query_by_out_trade_no(b, asio::deferred));
        auto f = group.async_wait(asio::experimental::wait_for_all(), asio::use_future);
        REQUIRE(f.wait_for(10s) == std::future_status::ready);
        auto [order, ra, rb] = f.get();
        CHECK(ra->out_trade_no == a);
        CHECK(rb->out_trade_no == b);
    }
    SECTION("wait_for_one: the slow query loses and is cancelled") {
        env.faults(fault("delay", query_endpoint, {{"times", 1}, {"delay_ms", 3000}}));
        // The delayed one is sent first (the only one the fault meets), then the fast one.
        auto slow = c.async_query_by_out_trade_no(a, asio::deferred);
        auto fast = c.async_query_by_transaction_id("4200000000000000000000000001", asio::deferred);
        const auto start = steady::now();
        auto f = asio::experimental::make_parallel_group(std::move(slow), std::move(fast))
                     .async_wait(asio::experimental::wait_for_one(), asio::use_future);
        REQUIRE(f.wait_for(10s) == std::future_status::ready);
        auto [order, r_slow, r_fast] = f.get();
        CHECK(order[0] == 1);  // the fast one (a 404) completed first
        CHECK(r_fast.error().http_status == 404);
        REQUIRE_FALSE(r_slow);
        CHECK(r_slow.error().code == asio::error::operation_aborted);
        CHECK(steady::now() - start < 2500ms);
        // The cancelled call's connection was discarded; the pool serves the next call.
        CHECK(trade_state(env.run(c.async_query_by_out_trade_no(a))) == "NOTPAY");
        CHECK(c.stats().sessions_in_use == 0);
    }
}

namespace {

using namespace asio::experimental::awaitable_operators;

// A query raced against a timer: the variant's index says which won.
asio::awaitable<std::variant<result<transaction>, std::monostate>> raced(wechatpay::client& c, std::string no,
                                                                         std::chrono::milliseconds limit) {
    asio::steady_timer timer(co_await asio::this_coro::executor, limit);
    auto r = co_await (c.async_query_by_out_trade_no(no) || timer.async_wait(asio::use_awaitable));
    if (r.index() == 0) co_return std::get<0>(std::move(r));
    co_return std::monostate{};
}

}  // namespace

TEST_CASE("async: a call raced against a timer with awaitable operators", "[client][async][cancel]") {
    client_env env;
    const std::string no = env.new_order();
    auto won = env.run(raced(env.client(), no, 5s));
    REQUIRE(won.index() == 0);
    CHECK(trade_state(std::get<0>(won)) == "NOTPAY");

    env.faults(fault("delay", query_endpoint, {{"times", 1}, {"delay_ms", 3000}}));
    const auto start = steady::now();
    auto lost = env.run(raced(env.client(), no, 200ms));
    CHECK(lost.index() == 1);
    CHECK(steady::now() - start < 2500ms);
    CHECK(trade_state(env.run(env.client().async_query_by_out_trade_no(no))) == "NOTPAY");
}

TEST_CASE("async: bind_cancellation_slot cancels one call (terminal); others are untouched", "[client][async][cancel]") {
    client_env env;
    auto& c = env.client();
    const std::string no = env.new_order();
    env.faults(fault("delay", query_endpoint, {{"times", 1}, {"delay_ms", 3000}}));

    asio::cancellation_signal signal;
    callback_result<transaction> cancelled;
    c.async_query_by_out_trade_no(no, asio::bind_cancellation_slot(signal.slot(), cancelled.handler()));
    std::this_thread::sleep_for(300ms);
    auto emit = [&signal] { signal.emit(asio::cancellation_type::terminal); };
    // Signals are not thread-safe: emitted on the client's executor, where the call was started.
    asio::post(env.ioc().get_executor(), emit);
    auto [r, thread] = client_env::wait(cancelled.future, 5s);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == asio::error::operation_aborted);
    CHECK(trade_state(env.run(c.async_query_by_out_trade_no(no))) == "NOTPAY");
    CHECK(c.stats().discarded >= 1);
}

// ---- lifecycle ------------------------------------------------------------------------------

TEST_CASE("async: after shutdown() calls fail at once with shut_down and run() returns, in download mode",
          "[client][async][lifecycle]") {
    client_env env;  // for its simulator
    asio::io_context ioc;
    auto c = UNWRAP(wechatpay::client::create(ioc.get_executor(), client_config_for(env.sim(), key_mode::download)));
    std::optional<result<transaction>> first, after;
    const std::string no = env.new_order();
    auto on_first = [&](result<transaction> r) {
        first = std::move(r);
        c->shutdown();
        c->async_query_by_out_trade_no(no, [&](result<transaction> r2) { after = std::move(r2); });
    };
    c->async_query_by_out_trade_no(no, on_first);
    // No work guard: run() returns once the call, the first download and the refresh loop
    // (12 h timer) are done — which only shutdown() allows.
    const auto start = steady::now();
    std::thread runner([&] { ioc.run(); });
    runner.join();
    CHECK(steady::now() - start < 10s);
    REQUIRE(first);
    CHECK(trade_state(*first) == "NOTPAY");
    REQUIRE(after);
    REQUIRE_FALSE(*after);
    CHECK(after->error().code == asio::error::shut_down);
    CHECK(after->error().kind() == wechatpay::error_kind::transport);
    CHECK(c->stats().sessions_open == 0);
    c->shutdown();  // idempotent
}

TEST_CASE("async: shutdown() wakes a call waiting for a session", "[client][async][lifecycle]") {
    client_env env({.client = [](wechatpay::client_config& cfg) {
        cfg.pool.max_sessions = 1;
        cfg.pool.acquire_timeout = std::chrono::seconds(30);
    }});
    auto& c = env.client();
    const std::string no = env.new_order();
    env.faults(fault("delay", query_endpoint, {{"times", 1}, {"delay_ms", 3000}}));
    auto busy = c.async_query_by_out_trade_no(no, asio::use_future);  // holds the one session
    REQUIRE(eventually([&] { return env.sim_requests(query_endpoint) == 1; }, 5s));
    auto waiting = c.async_query_by_out_trade_no(no, asio::use_future);
    std::this_thread::sleep_for(200ms);
    const auto start = steady::now();
    c.shutdown();
    REQUIRE(waiting.wait_for(5s) == std::future_status::ready);
    CHECK(steady::now() - start < 2000ms);  // at once, not when the busy call's answer comes
    CHECK(waiting.get().error().code == asio::error::shut_down);
    // The call already sending finishes.
    REQUIRE(busy.wait_for(5s) == std::future_status::ready);
    CHECK(trade_state(busy.get()) == "NOTPAY");
    CHECK(c.stats().sessions_open == 0);
}

TEST_CASE("async: the client object destroyed between initiation and completion", "[client][async][lifecycle]") {
    // Each call is initiated, then the client object is destroyed before the io_context runs:
    // the operation holds what it needs, completes (with shut_down: destruction shuts down),
    // and nothing is read through the dead object (ASan checks).
    client_env env;
    const std::string no = env.new_order();
    auto config = client_config_for(env.sim(), key_mode::both);
    SECTION("callback") {
        asio::io_context ioc;
        std::optional<result<transaction>> got;
        {
            wechatpay::client c(ioc.get_executor(), config);
            c.async_query_by_out_trade_no(no, [&](result<transaction> r) { got = std::move(r); });
        }
        ioc.run_for(10s);
        REQUIRE(got);
        CHECK(got->error().code == asio::error::shut_down);
    }
    SECTION("use_future") {
        asio::io_context ioc;
        std::future<result<transaction>> f;
        {
            wechatpay::client c(ioc.get_executor(), config);
            f = c.async_query_by_out_trade_no(no, asio::use_future);
        }
        ioc.run_for(10s);
        REQUIRE(f.wait_for(0s) == std::future_status::ready);
        CHECK(f.get().error().code == asio::error::shut_down);
    }
    SECTION("coroutine (default token), co_spawned before the client goes") {
        asio::io_context ioc;
        std::future<result<transaction>> f;
        {
            wechatpay::client c(ioc.get_executor(), config);
            f = asio::co_spawn(ioc, c.async_query_by_out_trade_no(no), asio::use_future);
        }
        ioc.run_for(10s);
        REQUIRE(f.wait_for(0s) == std::future_status::ready);
        CHECK(f.get().error().code == asio::error::shut_down);
    }
    SECTION("deferred, started after the client is gone") {
        asio::io_context ioc;
        std::optional<result<transaction>> got;
        std::optional<decltype(std::declval<wechatpay::client&>().async_query_by_out_trade_no(no, asio::deferred))> op;
        {
            wechatpay::client c(ioc.get_executor(), config);
            op.emplace(c.async_query_by_out_trade_no(no, asio::deferred));
        }
        std::move (*op)([&](result<transaction> r) { got = std::move(r); });
        ioc.run_for(10s);
        REQUIRE(got);
        CHECK(got->error().code == asio::error::shut_down);
    }
}

TEST_CASE("async: a moved client keeps working; the moved-to one shuts down the one it replaces",
          "[client][async][lifecycle]") {
    client_env env;
    const std::string no = env.new_order();
    asio::io_context ioc;
    auto guard = asio::make_work_guard(ioc);
    std::thread runner([&] { ioc.run(); });
    wechatpay::client a(ioc.get_executor(), client_config_for(env.sim(), key_mode::both));
    wechatpay::client b(std::move(a));
    CHECK(trade_state(b.async_query_by_out_trade_no(no, asio::use_future).get()) == "NOTPAY");
    wechatpay::client c(ioc.get_executor(), client_config_for(env.sim(), key_mode::both));
    auto c_future = c.async_query_by_out_trade_no(no, asio::deferred);
    c = std::move(b);
    CHECK(trade_state(c.async_query_by_out_trade_no(no, asio::use_future).get()) == "NOTPAY");
    std::promise<result<transaction>> replaced;
    std::move(c_future)([&](result<transaction> r) { replaced.set_value(std::move(r)); });
    CHECK(replaced.get_future().get().error().code == asio::error::shut_down);
    c.shutdown();
    guard.reset();
    runner.join();
}
