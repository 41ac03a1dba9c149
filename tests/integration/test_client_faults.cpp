// The fault matrix: every simulator fault × {query, APP prepay, refund, bill download}, on a
// client whose io_context runs on 2 threads. Each cell checks that the call ends within the
// bound its config promises, with the documented outcome (an error carrying the Request-ID
// whenever an answer arrived, or success after the documented retry), and that the next call
// on the same client succeeds. Labelled `concurrency`: CI runs it under TSan too.
#include "client_env.hpp"

using namespace wechatpay_test;
using wechatpay::errc;
using steady = std::chrono::steady_clock;

namespace {

constexpr auto request_timeout = 1000ms;  // generous: TSan on a loaded 2-core machine
constexpr auto connect_timeout = 2000ms;
constexpr unsigned max_attempts = 3;
constexpr auto longest_pause = 50ms;  // client_env: backoff ≤ 20 ms, at least 50 ms after a 429

void matrix_client(wechatpay::client_config& c) {
    c.timeouts.request = request_timeout;
    c.timeouts.connect = connect_timeout;
    c.retry.max_attempts = max_attempts;
}

// What the config promises for one call: every attempt's connect and request timeouts and the
// pauses between attempts. The checks add a second of slack for sanitizer builds.
constexpr auto call_bound = max_attempts * (connect_timeout + request_timeout) + (max_attempts - 1) * longest_pause;

using call_error = asio::awaitable<wechatpay::error>;

template <class T>
wechatpay::error error_of(const wechatpay::result<T>& r) {
    return r ? wechatpay::error() : r.error();
}

call_error query(wechatpay::client& c, std::string out_trade_no) {
    co_return error_of(co_await c.async_query_by_out_trade_no(std::move(out_trade_no)));
}

call_error prepay_app(wechatpay::client& c, wechatpay::prepay_request order) {
    auto r = co_await c.async_prepay_app(std::move(order));
    if (r && r->payment.sign.empty()) co_return wechatpay::error(errc::crypto_failure, "no payment signature");
    co_return error_of(r);
}

call_error refund(wechatpay::client& c, wechatpay::refund_request req) {
    co_return error_of(co_await c.async_refund(std::move(req)));
}

call_error download(wechatpay::client& c, wechatpay::bill_info bill) {
    auto file = co_await c.async_download_bill(std::move(bill));
    if (file && file->empty()) co_return wechatpay::error(errc::malformed_gzip, "empty bill");
    co_return error_of(file);
}

// An operation of the matrix: its endpoint (as the simulator's fault rules name it), and
// prepare(), which does on other endpoints whatever the call needs (an order, a payment, a
// bill) and returns the call itself, ready to be timed.
struct operation {
    std::string name, endpoint;
    std::function<std::function<call_error()>(client_env&)> prepare;
};

std::vector<operation> operations() {
    return {
        {"query", std::string(query_endpoint),
         [](client_env& env) {
             return [&c = env.client(), no = env.new_order()] { return query(c, no); };
         }},
        {"APP prepay", "/v3/pay/transactions/app",
         [](client_env& env) {
             return [&c = env.client(), order = client_env::order(trade_no("A"), 100, wechatpay::prepay_kind::app)] {
                 return prepay_app(c, order);
             };
         }},
        {"refund", "/v3/refund/domestic/refunds",
         [](client_env& env) {
             wechatpay::refund_request r;
             r.out_trade_no = env.new_order();
             REQUIRE(outcome(env.sim().pay(shared_keys::get().setup.mchid, r.out_trade_no,
                                           "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o")) == "ok");
             r.out_refund_no = "R" + r.out_trade_no;
             r.refund = 30;
             r.total = 100;
             return [&c = env.client(), r] { return refund(c, r); };
         }},
        {"bill download", "/v3/billdownload/file",
         [](client_env& env) {
             REQUIRE(outcome(env.sim().pay(shared_keys::get().setup.mchid, env.new_order())) == "ok");  // a bill needs a record
             const wechatpay::trade_bill_request req{today_cst(), "ALL", true};
             auto info = env.run(env.client().async_trade_bill(req));
             REQUIRE(outcome(info) == "ok");
             return [&c = env.client(), bill = *info] { return download(c, bill); };
         }},
    };
}

// The documented outcome of an operation whose every attempt meets `fault`.
struct expectation {
    errc code = ok;            // ok: the call succeeds
    bool transport = false;    // no answer: a transport error, without a Request-ID
    unsigned http_status = 0;  // an api_error's status and WeChat code
    std::string api_code;
};

expectation succeeds() { return {ok, false, 0, ""}; }
expectation fails_with(errc code) { return {code, false, 0, ""}; }

expectation expected(std::string_view fault, const operation& op) {
    const bool unsigned_answer = op.name == "bill download";  // WeChat does not sign files
    auto security = [&](errc code) { return unsigned_answer ? succeeds() : fails_with(code); };
    if (fault == "delay" || fault == "close_before_answer" || fault == "close_mid_body")
        return {foreign_error, true, 0, ""};
    if (fault == "system_error") return {errc::api_error, false, 500, "SYSTEM_ERROR"};
    if (fault == "frequency_limited") return {errc::api_error, false, 429, "FREQUENCY_LIMITED"};
    if (fault == "unsigned_error") return {errc::api_error, false, 502, "SERVICE_UNAVAILABLE"};
    if (fault == "bad_signature") return security(errc::bad_signature);
    if (fault == "probe_signature") return security(errc::probe_signature);
    if (fault == "stale_timestamp") return security(errc::stale_timestamp);
    if (fault == "unknown_serial") return security(errc::unknown_serial);
    if (fault == "malformed_json") return fails_with(unsigned_answer ? errc::malformed_gzip : errc::malformed_json);
    return succeeds();  // connection_close: answered; only the session is discarded
}

// Faults that a retry overcomes when they happen once: no answer, or a transient status.
// The others are final: a forged or broken answer is not retried, nor a download whose bytes
// already streamed to its file or sink (the bill download, cut mid-body).
bool retry_overcomes(std::string_view fault, const operation& op) {
    if (fault == "close_mid_body") return op.name != "bill download";
    return fault == "delay" || fault == "close_before_answer" || fault == "system_error" ||
           fault == "frequency_limited" || fault == "unsigned_error";
}

}  // namespace

TEST_CASE("fault matrix: every fault × query, APP prepay, refund, bill download, on 2 io threads",
          "[client][faults][concurrency]") {
    const std::string fault_kind = GENERATE("delay", "close_before_answer", "close_mid_body", "system_error",
                                            "frequency_limited", "bad_signature", "probe_signature",
                                            "stale_timestamp", "unknown_serial", "malformed_json", "connection_close",
                                            "unsigned_error");
    const bool once = GENERATE(false, true);
    client_env env({.client = matrix_client, .io_threads = 2});

    for (const auto& op : operations()) {
        INFO(op.name << " meets " << fault_kind << (once ? " once" : " on every attempt"));
        auto call = op.prepare(env);

        json::object extra{{"every", 1}};
        if (fault_kind == "delay") extra["delay_ms"] = 2 * request_timeout.count();
        if (once) extra["times"] = 1;
        env.faults(fault(fault_kind, op.endpoint, extra));
        const auto requests_before = env.sim_requests(op.endpoint);

        const auto start = steady::now();
        const wechatpay::error e = env.run(call(), call_bound + 5s);
        const auto took = steady::now() - start;
        const auto sent = env.sim_requests(op.endpoint) - requests_before;
        env.clear_faults();

        INFO("outcome: " << (e.code ? e.to_string() : "ok") << "; " << sent << " request(s) sent");
        CHECK(took < call_bound + 1s);
        const bool retried = retry_overcomes(fault_kind, op);
        const auto want = once && retried ? succeeds() : expected(fault_kind, op);
        if (want.transport) {
            CHECK(e.kind() == wechatpay::error_kind::transport);
            CHECK(e.http_status == 0);
        } else {
            CHECK(errc_name(errc_of(e)) == errc_name(want.code));
        }
        if (want.code == errc::api_error) {
            CHECK(e.http_status == want.http_status);
            CHECK(e.api_code == want.api_code);
            // Unverified: an unsigned answer, or any error answer of a download (never verified).
            CHECK(e.verified() == (fault_kind != "unsigned_error" && op.name != "bill download"));
        }
        // An error after an answer names the answer's Request-ID.
        if (e.code && !want.transport) CHECK_FALSE(e.request_id.empty());
        // Retries: transient failures are tried max_attempts times (a connection closed before
        // any answer byte on a reused session is resent once more at once, uncounted), a single
        // one is overcome by the second request, and final ones are sent once.
        if (!retried) {
            CHECK(sent == 1);
        } else if (once) {
            CHECK(sent == 2);
        } else {
            CHECK(sent >= max_attempts);
            CHECK(sent <= max_attempts + 1);
        }

        // The same client carries on: the next call succeeds.
        const wechatpay::error next = env.run(op.prepare(env)(), call_bound + 5s);
        CHECK((next.code ? next.to_string() : "ok") == "ok");
        CHECK(env.client().stats().sessions_in_use == 0);
    }
    CHECK(env.client().stats().sessions_open <= env.client().config().pool.max_sessions);
}
