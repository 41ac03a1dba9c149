// One client shared by many coroutines on several io threads (run under ThreadSanitizer in CI):
// prepays and queries in parallel through a small pool, with and without transient faults, and
// cancellations racing the pool's waiters.
#include "client_env.hpp"

using namespace wechatpay_test;

namespace {

constexpr std::size_t pool_size = 8;
constexpr int concurrent_calls = 200;

// Even calls prepay a new order (two signatures), odd calls query a known one. Returns the
// call's error (none on success).
asio::awaitable<wechatpay::error> mixed_call(wechatpay::client& c, int i, std::string known_order) {
    if (i % 2 == 0) {
        auto r = co_await c.async_prepay_app(client_env::order(trade_no("CC"), 100 + i, wechatpay::prepay_kind::app));
        co_return r ? wechatpay::error() : r.error();
    }
    auto r = co_await c.async_query_by_out_trade_no(std::move(known_order));
    co_return r ? wechatpay::error() : r.error();
}

// Starts `n` calls at once and waits for all; returns the errors' descriptions.
std::vector<std::string> burst(client_env& env, int n, const std::string& known_order) {
    std::vector<std::future<wechatpay::error>> calls;
    for (int i = 0; i < n; ++i)
        calls.push_back(asio::co_spawn(env.ioc(), mixed_call(env.client(), i, known_order), asio::use_future));
    std::vector<std::string> errors;
    for (auto& f : calls)
        if (auto e = client_env::wait(f, 60s); e.code) errors.push_back(e.to_string());
    return errors;
}

client_env_options shared_client() {
    return {.client = [](wechatpay::client_config& c) {
                c.pool.max_sessions = pool_size;
                c.retry.max_attempts = 6;
            },
            .io_threads = 4};
}

}  // namespace

TEST_CASE("client concurrency: 200 parallel calls through a pool of 8", "[client][concurrency]") {
    client_env env(shared_client());
    const std::string known = env.new_order();
    const auto errors = burst(env, concurrent_calls, known);
    CHECK(errors.empty());
    if (!errors.empty()) FAIL_CHECK(errors.front());
    const auto st = env.client().stats();
    CHECK(st.connects <= pool_size);
    CHECK(st.sessions_in_use == 0);
    CHECK(st.calls == concurrent_calls + 1);
    CHECK(int_at(env.sim_stats(), "/connections_accepted") <= static_cast<std::int64_t>(pool_size));
}

TEST_CASE("client concurrency: parallel calls through transient faults all succeed", "[client][concurrency]") {
    client_env env(shared_client());
    const std::string known = env.new_order();
    env.faults(json::object{{"faults", json::array{fault("close_before_answer", "*", {{"probability", 0.05}}),
                                                   fault("system_error", "*", {{"probability", 0.05}}),
                                                   fault("connection_close", "*", {{"probability", 0.05}})}}});
    const auto errors = burst(env, concurrent_calls, known);
    CHECK(errors.empty());
    if (!errors.empty()) FAIL_CHECK(errors.front());
    const auto st = env.client().stats();
    CHECK(st.sessions_in_use == 0);
    CHECK(st.sessions_open <= pool_size);
    CHECK(st.discarded > 0);
}

TEST_CASE("client concurrency: cancellations racing the pool leave it healthy", "[client][concurrency]") {
    client_env env({.client = [](wechatpay::client_config& c) { c.pool.max_sessions = 2; }, .io_threads = 4});
    const std::string known = env.new_order();
    env.faults(fault("delay", query_endpoint, {{"probability", 0.5}, {"delay_ms", 50}}));

    constexpr int n = 60;
    std::vector<std::unique_ptr<asio::cancellation_signal>> signals;
    std::vector<asio::strand<asio::io_context::executor_type>> strands;
    std::vector<std::future<wechatpay::error>> calls;
    for (int i = 0; i < n; ++i) {
        signals.push_back(std::make_unique<asio::cancellation_signal>());
        strands.push_back(asio::make_strand(env.ioc()));
        auto token = asio::bind_cancellation_slot(signals.back()->slot(), asio::use_future);
        calls.push_back(asio::co_spawn(strands.back(), mixed_call(env.client(), 2 * i + 1, known), token));
    }
    std::this_thread::sleep_for(30ms);
    for (int i = 0; i < n; i += 2) {
        auto* signal = signals[static_cast<std::size_t>(i)].get();
        auto cancel = [signal] { signal->emit(asio::cancellation_type::terminal); };
        asio::post(strands[static_cast<std::size_t>(i)], cancel);
    }
    std::vector<std::string> unexpected;
    for (auto& f : calls)
        if (auto e = client_env::wait(f, 30s); e.code && e.code != asio::error::operation_aborted)
            unexpected.push_back(e.to_string());
    CHECK(unexpected.empty());
    if (!unexpected.empty()) FAIL_CHECK(unexpected.front());

    env.clear_faults();
    CHECK(burst(env, 20, known).empty());
    const auto st = env.client().stats();
    INFO("open " << st.sessions_open << ", idle " << st.sessions_idle << ", discarded " << st.discarded
                 << ", connects " << st.connects << ", waits " << st.waits);
    // Every call has returned: nothing may still hold a session.
    CHECK(st.sessions_in_use == 0);
    CHECK(eventually([&env] { return env.client().stats().sessions_in_use == 0; }, 1s));
    CHECK(st.sessions_open <= 2);
}

TEST_CASE("client concurrency: the pool opens exactly one connection per place under load", "[client][concurrency]") {
    client_env env(shared_client());
    const std::string known = env.new_order();  // one call: one connection, idle now
    CHECK(burst(env, concurrent_calls, known).empty());
    const auto st = env.client().stats();
    // The pool connects (not the caller): every place filled once, none opened twice, and
    // every call that found the pool full waited instead of connecting.
    CHECK(st.connects == pool_size);
    CHECK(st.handshakes == st.connects);
    CHECK(st.waits > 0);
    CHECK(st.acquire_timeouts == 0);
    CHECK(st.sessions_open == pool_size);
    CHECK(st.sessions_in_use == 0);
}

TEST_CASE("client concurrency: a call cancelled while waiting for a session opens no connection",
          "[client][concurrency][cancel]") {
    client_env env({.client = [](wechatpay::client_config& c) { c.pool.max_sessions = 1; }, .io_threads = 2});
    const std::string known = env.new_order();
    env.faults(fault("delay", query_endpoint, {{"delay_ms", 400}}));

    // The only session is busy with a slow query; a second call waits for it and is cancelled.
    auto busy = asio::co_spawn(env.ioc(), mixed_call(env.client(), 1, known), asio::use_future);
    REQUIRE(eventually([&env] { return env.client().stats().sessions_in_use == 1; }, 2s));
    asio::cancellation_signal signal;
    auto strand = asio::make_strand(env.ioc());
    auto waiting = asio::co_spawn(strand, mixed_call(env.client(), 3, known),
                                  asio::bind_cancellation_slot(signal.slot(), asio::use_future));
    REQUIRE(eventually([&env] { return env.client().stats().waits == 1; }, 2s));
    auto cancel = [&signal] { signal.emit(asio::cancellation_type::terminal); };
    asio::post(strand, cancel);
    const auto cancelled = client_env::wait(waiting, 5s);
    CHECK(cancelled.code == asio::error::operation_aborted);
    CHECK(client_env::wait(busy, 5s).code == wechatpay::error().code);

    env.clear_faults();
    CHECK(burst(env, 4, known).empty());  // the pool still works, on its one session
    const auto st = env.client().stats();
    CHECK(st.connects == 1);
    CHECK(st.sessions_open == 1);
    CHECK(st.sessions_in_use == 0);
    CHECK(st.discarded == 0);
}
