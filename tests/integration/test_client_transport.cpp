// The client's transport against the simulator's faults: retries, timeouts, cancellation, the
// session pool and certificate rotation.
#include "client_env.hpp"

#include <map>

using namespace wechatpay_test;
using wechatpay::errc;
using steady = std::chrono::steady_clock;

namespace {

// `n` queries one after the other; returns how many failed.
asio::awaitable<int> sequential_queries(wechatpay::client& c, std::string out_trade_no, int n) {
    int failures = 0;
    for (int i = 0; i < n; ++i)
        if (!(co_await c.async_query_by_out_trade_no(out_trade_no))) ++failures;
    co_return failures;
}

// One query; its error (default: none).
asio::awaitable<wechatpay::error> query_error(wechatpay::client& c, std::string out_trade_no) {
    auto r = co_await c.async_query_by_out_trade_no(std::move(out_trade_no));
    co_return r ? wechatpay::error() : r.error();
}

// `n` queries at once, each to end within `deadline`: what went wrong, as "count × error"
// lines; "" when nothing did.
std::string concurrent_query_errors(client_env& env, const std::string& out_trade_no, std::size_t n,
                                    std::chrono::milliseconds deadline = 30s) {
    std::vector<std::future<wechatpay::error>> calls;
    for (std::size_t i = 0; i < n; ++i)
        calls.push_back(asio::co_spawn(env.ioc(), query_error(env.client(), out_trade_no), asio::use_future));
    std::map<std::string, int> errors;
    for (auto& f : calls)
        if (auto e = client_env::wait(f, deadline); e.code) ++errors[e.to_string()];
    std::string summary;
    for (const auto& [what, count] : errors) summary += std::to_string(count) + " × " + what + "\n";
    return summary;
}

std::chrono::milliseconds since(steady::time_point start) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - start);
}

bool is_transport(const wechatpay::error& e) { return e.kind() == wechatpay::error_kind::transport; }

}  // namespace

// ---- retries ------------------------------------------------------------------------------

TEST_CASE("client: a connection closed once is retried and the call succeeds", "[client][retry]") {
    const char* kind = GENERATE("close_before_answer", "close_mid_body");
    INFO(kind);
    client_env env;
    const std::string no = env.new_order();
    env.faults(fault(kind, query_endpoint, {{"times", 1}}));
    auto r = env.run(env.client().async_query_by_out_trade_no(no));
    CHECK(outcome(r) == "ok");
    CHECK(env.sim_requests(query_endpoint) == 2);
    CHECK(env.client().stats().sessions_in_use == 0);
}

TEST_CASE("client: a connection closed every time fails with a transport error after max_attempts", "[client][retry]") {
    const char* kind = GENERATE("close_before_answer", "close_mid_body");
    INFO(kind);
    client_env env({.client = [](wechatpay::client_config& c) { c.retry.max_attempts = 3; }});
    const std::string no = env.new_order();
    env.faults(fault(kind, query_endpoint, {{"every", 1}}));
    auto r = env.run(env.client().async_query_by_out_trade_no(no));
    REQUIRE_FALSE(r);
    INFO(r.error().to_string());
    CHECK(is_transport(r.error()));
    CHECK(env.client().stats().retries == 2);
    // Three attempts, and perhaps one more: the first one's reused session may have died idle.
    CHECK(env.sim_requests(query_endpoint) >= 3);
    CHECK(env.sim_requests(query_endpoint) <= 4);
    CHECK(env.client().stats().sessions_in_use == 0);
}

TEST_CASE("client: SYSTEM_ERROR is retried; always SYSTEM_ERROR is api_error 500 after max_attempts", "[client][retry]") {
    client_env env;
    const std::string no = env.new_order();
    SECTION("once") {
        env.faults(fault("system_error", query_endpoint, {{"times", 1}}));
        CHECK(outcome(env.run(env.client().async_query_by_out_trade_no(no))) == "ok");
        CHECK(env.client().stats().retries == 1);
    }
    SECTION("always") {
        env.faults(fault("system_error", query_endpoint, {{"every", 1}}));
        auto r = env.run(env.client().async_query_by_out_trade_no(no));
        REQUIRE(errc_of(r) == errc::api_error);
        CHECK(r.error().http_status == 500);
        CHECK(r.error().api_code == "SYSTEM_ERROR");
        CHECK(!r.error().request_id.empty());
        CHECK(env.client().stats().retries == 2);
        CHECK(env.sim_requests(query_endpoint) == 3);
    }
}

TEST_CASE("client: FREQUENCY_LIMITED waits at least rate_limited_delay, then retries", "[client][retry]") {
    client_env env({.client = [](wechatpay::client_config& c) { c.retry.rate_limited_delay = 150ms; }});
    const std::string no = env.new_order();
    env.faults(fault("frequency_limited", query_endpoint, {{"times", 1}}));
    const auto start = steady::now();
    CHECK(outcome(env.run(env.client().async_query_by_out_trade_no(no))) == "ok");
    CHECK(since(start) >= 150ms);
    CHECK(env.client().stats().retries == 1);
}

// A gateway in front of WeChat Pay answers 502 or 429 without signing: retried like WeChat's own.
TEST_CASE("client: an unsigned 502 or 429 is retried by its status; once, the later answer returns",
          "[client][retry][unsigned]") {
    client_env env({.client = [](wechatpay::client_config& c) { c.retry.rate_limited_delay = 150ms; }});
    const std::string no = env.new_order();
    SECTION("502, WeChat's JSON, once") {
        env.faults(fault("unsigned_error", query_endpoint, {{"times", 1}}));
        auto r = env.run(env.client().async_query_by_out_trade_no(no));
        REQUIRE(outcome(r) == "ok");
        CHECK(r->out_trade_no == no);
        CHECK(env.client().stats().retries == 1);
        CHECK(env.sim_requests(query_endpoint) == 2);
    }
    SECTION("429 without a body, once: after at least rate_limited_delay") {
        env.faults(fault("unsigned_error", query_endpoint, {{"times", 1}, {"status", 429}, {"body", "none"}}));
        const auto start = steady::now();
        CHECK(outcome(env.run(env.client().async_query_by_out_trade_no(no))) == "ok");
        CHECK(since(start) >= 150ms);
        CHECK(env.client().stats().retries == 1);
    }
    SECTION("502 every time: an unverified api_error after max_attempts") {
        env.faults(fault("unsigned_error", query_endpoint, {{"every", 1}}));
        auto r = env.run(env.client().async_query_by_out_trade_no(no));
        REQUIRE(errc_of(r) == errc::api_error);
        CHECK(r.error().http_status == 502);
        CHECK(r.error().api_code == "SERVICE_UNAVAILABLE");
        CHECK_FALSE(r.error().verified());
        CHECK_FALSE(r.error().request_id.empty());
        CHECK(env.client().stats().retries == 2);
        CHECK(env.sim_requests(query_endpoint) == 3);
    }
    SECTION("a gateway's HTML 502 every time: the api_error quotes the page") {
        env.faults(fault("unsigned_error", query_endpoint, {{"every", 1}, {"body", "html"}}));
        auto r = env.run(env.client().async_query_by_out_trade_no(no));
        REQUIRE(errc_of(r) == errc::api_error);
        INFO(r.error().to_string());
        CHECK(r.error().http_status == 502);
        CHECK(r.error().api_code.empty());
        CHECK(r.error().api_message.find("502 Bad Gateway") != std::string::npos);
        CHECK(r.error().detail.find("not WeChat's") != std::string::npos);
        CHECK(env.sim_requests(query_endpoint) == 3);
    }
    SECTION("POST is not sent again: the unsigned 502 is the prepay's answer") {
        env.faults(fault("unsigned_error", "/v3/pay/transactions/native", {{"every", 1}}));
        auto r = env.run(env.client().async_request("POST", "/v3/pay/transactions/native",
                                                    json::serialize(json::object{{"mchid", "1"}})));
        REQUIRE(outcome(r) == "ok");
        CHECK(r->status == 502);
        CHECK_FALSE(r->verified);
        CHECK(env.sim_requests("/v3/pay/transactions/native") == 2);  // new_order's, and this one
    }
}

TEST_CASE("client: a 4xx answer is never retried", "[client][retry]") {
    client_env env;
    const std::string no = env.new_order();
    auto r = env.run(env.client().async_query_by_out_trade_no("NO_SUCH_ORDER_9"));
    CHECK(errc_of(r) == errc::api_error);
    CHECK(env.client().stats().retries == 0);
    CHECK(env.sim_requests(query_endpoint) == 1);
}

// ---- timeouts and cancellation ------------------------------------------------------------

TEST_CASE("client: an answer slower than timeouts.request is a transport timeout", "[client][timeout]") {
    client_env env({.client = [](wechatpay::client_config& c) {
        c.timeouts.request = 300ms;
        c.retry.max_attempts = 1;
    }});
    const std::string no = env.new_order();
    env.faults(fault("delay", query_endpoint, {{"every", 1}, {"delay_ms", 1000}}));
    const auto start = steady::now();
    auto r = env.run(env.client().async_query_by_out_trade_no(no), 5s);
    const auto took = since(start);
    REQUIRE_FALSE(r);
    INFO(r.error().to_string());
    CHECK(is_transport(r.error()));
    CHECK(took < 1000ms);
    CHECK(env.client().stats().sessions_in_use == 0);
}

TEST_CASE("client: with max_attempts 1 a timed-out request is not sent again", "[client][timeout]") {
    // transport.cpp treats any failure without answer bytes on a reused session as a session
    // that died idle, and resends at once, uncounted: a timeout is resent too (twice the
    // timeout, and a second delivery of a request the server has already received).
    client_env env({.client = [](wechatpay::client_config& c) {
        c.timeouts.request = 300ms;
        c.retry.max_attempts = 1;
    }});
    const std::string no = env.new_order();  // the query reuses this session
    env.faults(fault("delay", query_endpoint, {{"every", 1}, {"delay_ms", 3000}}));
    const auto start = steady::now();
    auto r = env.run(env.client().async_query_by_out_trade_no(no), 5s);
    const auto took = since(start);
    CHECK_FALSE(r);
    CHECK(env.sim_requests(query_endpoint) == 1);
    CHECK(took < 2000ms);  // the 300 ms timeout, not the 3 s answer (room for a sanitizer build)
}

TEST_CASE("client: a cancelled call ends with operation_aborted and the pool stays healthy", "[client][cancel]") {
    client_env env;
    auto& c = env.client();
    const std::string no = env.new_order();
    env.faults(fault("delay", query_endpoint, {{"times", 1}, {"delay_ms", 2000}}));

    asio::cancellation_signal signal;
    auto strand = asio::make_strand(env.ioc());
    auto cancellable = asio::bind_cancellation_slot(signal.slot(), asio::use_future);
    const auto start = steady::now();
    auto f = asio::co_spawn(strand, query_error(c, no), cancellable);
    std::this_thread::sleep_for(200ms);
    auto cancel = [&signal] { signal.emit(asio::cancellation_type::terminal); };
    asio::post(strand, cancel);  // the signal is emitted where the call's coroutine runs
    const auto e = client_env::wait(f, 5s);
    INFO(e.to_string());
    CHECK(e.code == asio::error::operation_aborted);
    CHECK(since(start) < 1500ms);

    CHECK(outcome(env.run(c.async_query_by_out_trade_no(no))) == "ok");
    const auto st = c.stats();
    CHECK(st.sessions_in_use == 0);
    CHECK(st.discarded >= 1);
}

// ---- the pool -----------------------------------------------------------------------------

TEST_CASE("client: sequential calls reuse one session", "[client][pool]") {
    client_env env;
    const std::string no = env.new_order();
    CHECK(env.run(sequential_queries(env.client(), no, 500), 30s) == 0);
    const auto st = env.client().stats();
    CHECK(st.connects == 1);
    CHECK(st.reuses >= 500);
    CHECK(st.sessions_open == 1);
    CHECK(st.sessions_in_use == 0);
    const auto s = env.sim_stats();
    CHECK(int_at(s, "/tls_handshakes/full") + int_at(s, "/tls_handshakes/resumed") == 1);
    CHECK(int_at(s, "/connections_accepted") == 1);
}

TEST_CASE("client: 1000 concurrent calls share a bounded pool", "[client][pool]") {
    constexpr std::size_t pool_size = 8;
    client_env env({.client = [](wechatpay::client_config& c) { c.pool.max_sessions = pool_size; },
                    .io_threads = 4});
    const std::string no = env.new_order();
    CHECK(concurrent_query_errors(env, no, 1000) == "");
    const auto st = env.client().stats();
    CHECK(st.connects <= pool_size);
    CHECK(st.sessions_open <= pool_size);
    CHECK(st.sessions_in_use == 0);
    CHECK(st.waits > 0);
    // Every session was opened once and then reused: as many TLS handshakes as sessions.
    const auto s = env.sim_stats();
    CHECK(st.connects == pool_size);
    CHECK(int_at(s, "/connections_accepted") == static_cast<std::int64_t>(pool_size));
    CHECK(int_at(s, "/tls_handshakes/full") + int_at(s, "/tls_handshakes/resumed") ==
          static_cast<std::int64_t>(pool_size));
}

TEST_CASE("client: waiting longer than acquire_timeout for a session is timed_out", "[client][pool]") {
    client_env env({.client = [](wechatpay::client_config& c) {
        c.pool.max_sessions = 1;
        c.pool.acquire_timeout = 100ms;
    }});
    const std::string no = env.new_order();
    env.faults(fault("delay", query_endpoint, {{"times", 1}, {"delay_ms", 2000}}));
    auto slow = asio::co_spawn(env.ioc(), query_error(env.client(), no), asio::use_future);
    // The slow call holds the only session once the simulator has its request.
    REQUIRE(eventually([&] { return env.sim_requests(query_endpoint) == 1; }, 5s));
    auto waiting = asio::co_spawn(env.ioc(), query_error(env.client(), no), asio::use_future);
    const auto waited = client_env::wait(waiting, 5s);
    const auto first = client_env::wait(slow, 5s);
    CHECK(first.to_string() == wechatpay::error().to_string());
    INFO(waited.to_string());
    CHECK(waited.code == asio::error::timed_out);
    // A pool timeout counts as a transport failure, so the call retried it max_attempts times.
    CHECK(env.client().stats().acquire_timeouts >= 1);
    CHECK(outcome(env.run(env.client().async_query_by_out_trade_no(no))) == "ok");
}

TEST_CASE("client: sessions the server closed while idle are replaced transparently", "[client][pool]") {
    client_env env({.sim = [](wechatpay::sim::config& c) { c.idle_timeout = 200ms; }});
    const std::string no = env.new_order();
    std::this_thread::sleep_for(400ms);  // the simulator drops the idle connection
    CHECK(outcome(env.run(env.client().async_query_by_out_trade_no(no))) == "ok");
    CHECK(outcome(env.run(env.client().async_query_by_out_trade_no(no))) == "ok");
    const auto st = env.client().stats();
    CHECK(st.connects == 2);
    CHECK(st.retries == 0);
    CHECK(st.sessions_in_use == 0);
}

TEST_CASE("client: an answer with Connection: close discards its session", "[client][pool]") {
    client_env env;
    const std::string no = env.new_order();
    const auto before = env.client().stats();
    env.faults(fault("connection_close", query_endpoint, {{"times", 1}}));
    CHECK(outcome(env.run(env.client().async_query_by_out_trade_no(no))) == "ok");
    CHECK(outcome(env.run(env.client().async_query_by_out_trade_no(no))) == "ok");
    const auto after = env.client().stats();
    CHECK(after.discarded == before.discarded + 1);
    CHECK(after.connects == before.connects + 1);
    CHECK(after.sessions_open == 1);
}

// ---- certificate rotation -----------------------------------------------------------------

TEST_CASE("client: in download mode a rotated platform certificate is fetched on its first use",
          "[client][certificates]") {
    // The first download starts with the client; the rotated serial prompts the one on-demand
    // download a minute allows.
    client_env env({.keys = key_mode::download});
    const std::string no = env.new_order();  // waits for the first download
    const auto& k = shared_keys::get();
    REQUIRE(env.client().current_verifier().preferred_serial() == k.platform_cert.serial());

    auto control = env.control();
    auto rotated = UNWRAP(control.unsigned_call("POST", "/sim/certificates/rotate"));
    REQUIRE(rotated.status == 200);
    const std::string new_serial = str_at(rotated, "/serial_no");
    REQUIRE(new_serial != k.platform_cert.serial());
    REQUIRE(UNWRAP(control.unsigned_call("POST", "/sim/clock", R"({"advance_s":86400})")).status == 200);  // it signs

    auto r = env.run(env.client().async_query_by_out_trade_no(no));
    CHECK(outcome(r) == "ok");
    CHECK(env.client().stats().certificate_refreshes >= 2);
    bool knows_new = false;
    for (const auto& cert : env.client().current_verifier().certificates()) knows_new |= cert.serial() == new_serial;
    CHECK(knows_new);
}

TEST_CASE("client: calls that meet a rotated certificate together share one download; forged serials get none",
          "[client][certificates]") {
    client_env env({.keys = key_mode::download});
    const std::string no = env.new_order();
    REQUIRE(env.sim_requests("/v3/certificates") == 1);  // the download the client starts with
    auto control = env.control();
    REQUIRE(UNWRAP(control.unsigned_call("POST", "/sim/certificates/rotate")).status == 200);
    REQUIRE(UNWRAP(control.unsigned_call("POST", "/sim/clock", R"({"advance_s":86400})")).status == 200);  // it signs

    CHECK(concurrent_query_errors(env, no, 200) == "");
    CHECK(env.sim_requests("/v3/certificates") == 2);  // one more, for all 200

    // Within a minute of it, an unknown serial prompts no download: answers with forged serials
    // cannot make the client download in a loop.
    env.faults(fault("unknown_serial", query_endpoint, {{"every", 1}}));
    for (int i = 0; i < 3; ++i) CHECK(errc_of(env.run(env.client().async_query_by_out_trade_no(no))) == errc::unknown_serial);
    CHECK(env.sim_requests("/v3/certificates") == 2);
}

TEST_CASE("client: in download mode certificates are downloaded at once, then every certificate_refresh",
          "[client][certificates]") {
    const auto start = steady::now();
    client_env env({.client = [](wechatpay::client_config& c) { c.certificate_refresh = 1s; },
                    .keys = key_mode::download});
    CHECK(eventually([&] { return env.client().stats().certificate_refreshes >= 1; }));  // before any call
    auto control = env.control();
    auto rotated = UNWRAP(control.unsigned_call("POST", "/sim/certificates/rotate"));
    const std::string new_serial = str_at(rotated, "/serial_no");
    auto knows_new = [&] {
        for (const auto& cert : env.client().current_verifier().certificates())
            if (cert.serial() == new_serial) return true;
        return false;
    };
    CHECK(eventually(knows_new, 5s));  // the background refresh, with no call to prompt it
    // Periods of 1 s ± 10%: never more downloads than that allows.
    const auto downloads = env.sim_requests("/v3/certificates");
    CHECK(downloads >= 2);
    CHECK(downloads <= 1 + since(start).count() / 900);

    env.destroy_client();  // stops the refreshes
    std::this_thread::sleep_for(300ms);  // a refresh already on its way may still be counted
    const auto at_end = env.sim_requests("/v3/certificates");
    std::this_thread::sleep_for(1500ms);
    CHECK(env.sim_requests("/v3/certificates") == at_end);
}

// ---- failover -----------------------------------------------------------------------------

TEST_CASE("client: a host that refuses connections fails over to backup_host; an HTTP answer never does",
          "[client][retry]") {
    SECTION("connection refused: the backup answers") {
        client_env env({.client = [](wechatpay::client_config& c) {
            c.endpoint.backup_host = c.endpoint.host;  // the simulator
            c.endpoint.host = "127.0.0.2";               // loopback too, but nothing listens there
        }});
        const std::string no = env.new_order();
        CHECK(outcome(env.run(env.client().async_query_by_out_trade_no(no))) == "ok");
        const auto st = env.client().stats();
        CHECK(st.failovers == 2);
        CHECK(st.retries == 2);
        CHECK(env.sim_requests("*") == 2);
    }
    SECTION("500 answers: retried on the primary host only") {
        client_env env({.client = [](wechatpay::client_config& c) {
            c.endpoint.backup_host = "127.0.0.2";
            c.retry.max_attempts = 3;
        }});
        const std::string no = env.new_order();
        env.faults(fault("system_error", query_endpoint, {{"every", 1}}));
        auto r = env.run(env.client().async_query_by_out_trade_no(no));
        REQUIRE(errc_of(r) == errc::api_error);
        CHECK(r.error().http_status == 500);
        CHECK(r.error().api_code == "SYSTEM_ERROR");
        CHECK(env.client().stats().failovers == 0);
        CHECK(env.sim_requests(query_endpoint) == 3);
    }
}

TEST_CASE("client: after the server closed every idle session, calls reconnect without a retry or a failover",
          "[client][pool]") {
    constexpr std::size_t pool_size = 8;
    client_env env({.sim = [](wechatpay::sim::config& c) { c.idle_timeout = 300ms; },
                    .client = [](wechatpay::client_config& c) {
                        c.pool.max_sessions = pool_size;
                        c.endpoint.backup_host = "127.0.0.2";  // a failover would fail
                    }});
    const std::string no = env.new_order();
    // Eight slow calls at once open the whole pool.
    env.faults(fault("delay", query_endpoint, {{"times", 8}, {"delay_ms", 100}}));
    CHECK(concurrent_query_errors(env, no, pool_size, 10s) == "");
    REQUIRE(env.client().stats().sessions_idle == pool_size);

    std::this_thread::sleep_for(700ms);  // the simulator closes all eight, as a restart would
    const auto before = env.client().stats();
    for (int i = 0; i < 3; ++i) CHECK(outcome(env.run(env.client().async_query_by_out_trade_no(no))) == "ok");
    const auto st = env.client().stats();
    CHECK(st.retries == before.retries);
    CHECK(st.failovers == 0);
    // One dead session was tried (the resend), then one new connection served the three.
    CHECK(st.connects == before.connects + 1);
    CHECK(st.sessions_open == 1);
}

TEST_CASE("client: a server that never answers the TLS handshake is timed_out within timeouts.connect",
          "[client][timeout]") {
    // A plain TCP listener that accepts and then says nothing: the connections it holds stay
    // open to the end, so the client meets a real stall, not a reset.
    asio::io_context listener_ioc;
    asio::ip::tcp::acceptor acceptor(listener_ioc, {asio::ip::make_address("127.0.0.1"), 0});
    const auto port = acceptor.local_endpoint().port();
    std::vector<asio::ip::tcp::socket> accepted;
    std::function<void()> accept_next = [&] {
        acceptor.async_accept([&](boost::system::error_code ec, asio::ip::tcp::socket s) {
            if (ec) return;
            accepted.push_back(std::move(s));
            accept_next();
        });
    };
    accept_next();
    std::thread listener([&] { listener_ioc.run(); });
    struct stop_listener {
        asio::io_context& ioc;
        std::thread& t;
        ~stop_listener() {
            ioc.stop();
            t.join();
        }
    } stop{listener_ioc, listener};

    client_env env({.client = [port](wechatpay::client_config& c) {
        c.endpoint.host = "127.0.0.1";
        c.endpoint.port = port;
        c.endpoint.backup_host = "";
        c.timeouts.connect = 300ms;
        c.retry.max_attempts = 2;
    }});
    const auto start = steady::now();
    auto r = env.run(env.client().async_query_by_out_trade_no("C_STALLED_HANDSHAKE"), 5s);
    const auto took = since(start);
    REQUIRE_FALSE(r);
    INFO(r.error().to_string());
    CHECK(is_transport(r.error()));
    CHECK(r.error().code == asio::error::timed_out);
    CHECK(r.error().detail.find("TLS handshake") != std::string::npos);
    CHECK(took >= 600ms);
    CHECK(took < 300ms * 2 + 1500ms);
    const auto st = env.client().stats();
    CHECK(st.retries == 1);
    CHECK(st.sessions_in_use == 0);
    CHECK(st.sessions_open == 0);
}

TEST_CASE("client: destroyed during its first certificate download, it leaves nothing running",
          "[client][certificates]") {
    client_env env;  // for its simulator
    env.faults(fault("delay", "/v3/certificates", {{"every", 1}, {"delay_ms", 300}}));
    asio::io_context ioc;
    {
        auto c = UNWRAP(wechatpay::client::create(ioc.get_executor(), client_config_for(env.sim(), key_mode::download)));
        // Until the download the client starts with is under way (reached the simulator).
        for (int i = 0; i < 500 && env.sim_requests("/v3/certificates") == 0; ++i) ioc.run_for(10ms);
        REQUIRE(env.sim_requests("/v3/certificates") == 1);
    }
    // The download ends, and with it every piece of work: no refresh timer stays armed.
    ioc.run_for(5s);
    CHECK(ioc.stopped());
    CHECK(env.sim_requests("/v3/certificates") == 1);
}
