// The client's insides: the signed, pooled, retried and verified call (transport.cpp) and the
// WeChat Pay keys it verifies with, refreshed in certificate-download mode (certificates.cpp).
//
// Where each piece runs (read this first):
// - Caller's executor: the operation's coroutine (client.cpp: build the request, map the
//   answer) when awaited with the default token; with any other token, launch() co_spawns it
//   on the client's executor (on a strand of its own when the token has a cancellation slot,
//   so that a cancellation never runs beside it). The completion goes through the token's
//   associated executor.
// - The same coroutine, no hop: impl::send() (one frame per call: certificates wait, attempts,
//   retries, failover, 2xx check), session_pool::acquire() (an idle session at once, or a
//   waiter), exchange_on() (sign, build the request, verify the answer), all plain awaits.
// - Session strand: every connection lives on a strand of its own, made by the pool when it
//   connects. net::connect() and each net::exchange() run there (one co_spawn hop each), so a
//   session's Beast operations and its deadline timer never run at once on two threads. The
//   pool connects (resolve + TCP + TLS under one deadline, resuming its remembered TLS session,
//   counting connects/handshakes) and hands out connected sessions only.
// - Pool mutex: the pool's state (idle list, waiters, counters, the TLS session to resume) is
//   touched under session_pool::mutex_ from any thread; waiters are woken by a post to their
//   own executor, never inline. Pool strand: only the pool's one deadline timer, which times
//   out the oldest waiters (a waiter has no timer, channel or coroutine of its own).
// - Refresh strand: certificate downloads (the background loop and on-demand ones) and the
//   state they share (download_in_flight, last_on_demand); calls join a download there.
// - Anywhere, lock-free or under keys_mutex: signing (immutable key) and the verifier copy.
#pragma once

#include <wechatpay/client.hpp>
#include <wechatpay/signer.hpp>

#include "http/session_pool.hpp"

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <map>
#include <mutex>
#include <optional>

namespace wechatpay {

namespace asio = boost::asio;

struct call {
    net::http::verb method = net::http::verb::get;
    std::string target;  // path?query, exactly as signed
    std::string body;
    bool verify = true;      // false only where the caller verifies the answer itself (/v3/certificates)
    bool retry_safe = true;  // may be sent again after a failure
    bool api_errors = false; // a non-2xx answer becomes errc::api_error (send_ok)
    std::uint64_t body_limit = 4 * 1024 * 1024;
    std::string content_type = "application/json";  // of a non-empty body
    std::optional<std::string> signed_body;         // what the signature covers, if not the body (an upload's meta)
    std::string serial;                             // Wechatpay-Serial; empty: the preferred key
    std::vector<std::pair<std::string, std::string>> headers;  // checked extra headers
    // A 2xx answer's body goes here as it arrives (an unsigned download: see
    // client_config::unsigned_download_paths), or once verified; the response keeps the header.
    // Once it was given bytes, the call is not repeated.
    const net::body_sink* sink = nullptr;
};

inline call get(std::string target) {
    call c;
    c.target = std::move(target);
    return c;
}

inline call&& with_api_errors(call&& c) {
    c.api_errors = true;
    return std::move(c);
}

inline call post(std::string target, std::string body) {
    call c;
    c.method = net::http::verb::post;
    c.target = std::move(target);
    c.body = std::move(body);
    return c;
}

struct client::impl : std::enable_shared_from_this<client::impl> {
    impl(asio::any_io_executor executor, client_config config, signer s);

    asio::any_io_executor ex;
    client_config cfg;
    signer merchant;
    asio::ssl::context tls{asio::ssl::context::tls_client};
    std::shared_ptr<net::session_pool> primary, backup;

    mutable std::mutex keys_mutex;
    verifier keys;  // WeChat Pay's keys; replaced whole on refresh
    // The /v3/certificates answer they came from (under keys_mutex): a shared answer older than
    // it is refused, and a fetch asks the certificate source for another one than it.
    std::string installed_signature;
    std::int64_t installed_timestamp = 0;

    // Certificate downloads run one at a time; calls that need one while it runs wait for it
    // instead of failing or downloading again. Touched on refresh_strand only.
    struct certificate_download;
    std::shared_ptr<certificate_download> download_in_flight;
    std::chrono::steady_clock::time_point last_on_demand{};
    std::optional<error> last_download_error;

    std::atomic<std::uint64_t> calls{0}, retries{0}, failovers{0}, refreshes{0};
    std::atomic<bool> stopped{false};  // shutdown(): later calls fail with asio::error::shut_down
    void shutdown();
    asio::strand<asio::any_io_executor> refresh_strand;
    std::shared_ptr<asio::cancellation_signal> stop_refresh = std::make_shared<asio::cancellation_signal>();

    // Signs, sends on a pooled session (retrying as the policy allows), verifies the answer,
    // into `out`. Any HTTP status comes back as a response, unless c.api_errors: then WeChat's
    // error body becomes errc::api_error with its fields. `c` and `out` belong to the caller's
    // frame (they outlive the co_await): send()'s own frame, alive while the call waits for a
    // session, holds neither a copy of the request nor room for an answer.
    asio::awaitable<void> send(const call& c, result<net::response>& out);

    verifier current_keys() const;
    // Whether the answer comes unsigned from WeChat (a file download): a GET of a path under one
    // of cfg.unsigned_download_paths (an upload to one, a POST, is answered signed). Every other
    // answer must verify.
    bool unsigned_download(net::http::verb method, std::string_view target) const;
    // Gets /v3/certificates' answer through cfg.certificate_source (a download, or another
    // instance's answer) and installs its certificates (the answer must verify with them or with
    // a certificate already trusted). A shared answer the checks refuse is asked for again,
    // replaced; `on_demand` (an unknown serial) also refuses one that brings no new certificate.
    asio::awaitable<result<std::vector<certificate>>> refresh_certificates(bool on_demand);
    // GET /v3/certificates; the answer only once it verified.
    static asio::awaitable<result<certificates_answer>> download_certificates(std::shared_ptr<impl> self);
    asio::awaitable<result<certificates_answer>> fetch_certificates(std::string replaces);
    // The certificates an answer brings, if it verifies: a download within the signature window,
    // a shared answer at its own timestamp (see certificates_answer::shared).
    result<std::vector<certificate>> open_answer(const certificates_answer& answer) const;
    // Fresh certificates installed, from the download in flight or a new one. An `on_demand`
    // download (an unknown serial, none known yet) starts at most once a minute, so forged
    // serials cannot make the client download in a loop.
    asio::awaitable<result<void>> fresh_certificates(bool on_demand);
    static asio::awaitable<result<void>> join_download(std::shared_ptr<impl> self, bool on_demand);
    static asio::awaitable<void> run_download(std::shared_ptr<impl> self,
                                              std::shared_ptr<certificate_download> download);
    void start_refresh_loop();
    void stop_refresh_loop();
    static asio::awaitable<void> refresh_loop(std::weak_ptr<impl> self,
                                              std::shared_ptr<asio::cancellation_signal> keep_alive);

    void log(log_level level, std::string_view message, std::string_view request_id = {}) const {
        if (cfg.logger) cfg.logger(level, message, request_id);
    }

private:
    struct attempt_result {           // the answer itself goes to send()'s `out`
        bool network_failure = false;  // no HTTP answer at all (may fail over)
        bool retryable = true;         // false when another attempt cannot help
        bool resend_at_once = false;   // a reused session was found closed before any answer byte
    };
    // One exchange on a session from the pool, into `r`. Helpers take out-parameters so that
    // send()'s frame, alive while a call waits for a session, has no room for their results.
    asio::awaitable<void> exchange_on(net::pooled_session& lease, const call& c, bool first_round,
                                      attempt_result& r, result<net::response>& out);
    asio::awaitable<bool> first_certificates(const call& c, result<net::response>& out);
    void failed_to_acquire(net::acquire_error failed, attempt_result& r, result<net::response>& out) const;
    bool retry_after_failure(const call& c, unsigned n, const attempt_result& r, result<net::response>& out,
                             bool& on_backup, std::chrono::milliseconds& delay);
    static asio::awaitable<void> pause(std::chrono::milliseconds delay);
    // Waits for a token of the call's class from cfg.rate_limiter; false (the error in `out`)
    // when the limiter fails, the wait would pass the request timeout, or the call is cancelled.
    asio::awaitable<bool> admitted(const call& c, result<net::response>& out);
    asio::awaitable<bool> verify_answer(result<net::response>& answer);
    static void deliver_verified(const net::body_sink& sink, result<net::response>& out);
};

// A download_url WeChat gave (a bill's, a receipt's) as a request target: only ever sent with our
// signature to WeChat Pay's own hosts (https, the configured host or backup host and port).
result<std::string> wechatpay_host_target(const client_config& cfg, std::string_view download_url);

// WeChat's error body {"code","message","detail"} as an error with diagnostics; `verified`
// says whether the answer's signature was checked (error::unverified otherwise). A body that
// is not that JSON (a gateway's HTML page) gives an api_error all the same, its start escaped.
error api_error_from(const net::response& res, std::string_view what, bool verified);

// A non-2xx answer carrying none of the four signature headers (Wechatpay-Timestamp, -Nonce,
// -Signature, -Serial): WeChat's refusal of a request it could not verify (401 SIGN_ERROR), or
// a gateway's 5xx/429. It is read unverified. An answer with any of them, even only some, is
// verified like any other and fails as a security error: a partial set is no sign of an honest
// unsigned answer, and a forger must not be able to downgrade a signed answer by dropping one.
// A 2xx answer is always verified.
bool unsigned_error_answer(const net::response& res);

// One non-empty string field of a JSON answer (prepay_id, code_url, h5_url…); malformed_json
// with the Request-ID otherwise.
result<std::string> answer_field(const net::response& res, std::string_view name);

// An error of `r` with the answer's Request-ID and status.
template <class T>
result<T> with_request_id(result<T> r, const net::response& res) {
    if (r) return r;
    error e = r.error();
    e.request_id = std::string(res["Request-ID"]);
    e.http_status = res.result_int();
    return e;
}

// Binds `var` to a result and returns its error from the coroutine when it has one.
#define WECHATPAY_TRY(var, expr) \
    auto var = (expr);           \
    if (!var) co_return var.error()

// Sends `call` (a 2xx answer expected) with the answer in `var`, an error returned. The answer
// lives here, in the operation's frame, not in a result of send()'s (see send()). `self` is
// the operation's impl_ptr.
#define WECHATPAY_SEND_OK(var, ...)                                   \
    result<net::response> var;                                       \
    co_await self->send(with_api_errors(__VA_ARGS__), var);           \
    if (!var) co_return var.error()

}  // namespace wechatpay
