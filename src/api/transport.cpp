#include "api/client_impl.hpp"

#include "core/json_reader.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <random>

namespace wechatpay {

namespace json = boost::json;
namespace http = net::http;
using asio::awaitable;

namespace {

bool cancelled(const asio::cancellation_state& st) { return st.cancelled() != asio::cancellation_type::none; }

// Full jitter: a uniformly random delay in [0, min(max, base·2^attempt)].
std::chrono::milliseconds backoff(const retry_config& r, unsigned attempt) {
    const auto cap = std::min<std::int64_t>(r.max_delay.count(), r.base_delay.count() << std::min(attempt, 20u));
    thread_local std::minstd_rand rng{std::random_device{}()};
    return std::chrono::milliseconds(std::uniform_int_distribution<std::int64_t>(0, std::max<std::int64_t>(cap, 0))(rng));
}

// The peer closed a connection we thought alive (the usual fate of an idle keep-alive one):
// the request most likely never reached it. A timeout or a cancellation says nothing of that.
bool peer_closed(const boost::system::error_code& ec) {
    namespace ae = asio::error;
    return ec == net::http::error::end_of_stream || ec == ae::eof || ec == ae::connection_reset ||
           ec == ae::broken_pipe || ec == ae::connection_aborted || ec == asio::ssl::error::stream_truncated;
}

std::string host_header(const std::string& host, std::uint16_t port) {
    return port == 443 ? host : host + ":" + std::to_string(port);
}

std::string what_of(const call& c) {
    return std::string(http::to_string(c.method)) + " " + c.target.substr(0, c.target.find('?'));
}

// A path a server could resolve to another one: a "." or ".." segment, or an encoded '.', '/' or
// backslash. Such a path never takes the unsigned-download exemption, whatever its prefix.
bool resolvable_elsewhere(std::string_view path) {
    for (std::size_t start = 0; start <= path.size();) {
        const auto end = std::min(path.find('/', start), path.size());
        const auto segment = path.substr(start, end - start);
        if (segment == "." || segment == "..") return true;
        start = end + 1;
    }
    for (std::size_t i = path.find('%'); i != std::string_view::npos; i = path.find('%', i + 1)) {
        const auto code = path.substr(i + 1, 2);
        if (boost::beast::iequals(code, "2e") || boost::beast::iequals(code, "2f") || boost::beast::iequals(code, "5c"))
            return true;
    }
    return false;
}

}  // namespace

bool client::impl::unsigned_download(http::verb method, std::string_view target) const {
    if (method != http::verb::get) return false;
    const std::string_view path = target.substr(0, target.find('?'));
    if (resolvable_elsewhere(path)) return false;
    for (const std::string& prefix : cfg.unsigned_download_paths) {
        // A whole path, or one ending in '/' that names a folder: /v3/billdownload/file never
        // admits /v3/billdownload/files.
        if (prefix.empty() || !path.starts_with(prefix)) continue;
        if (path.size() == prefix.size() || prefix.back() == '/') return true;
    }
    return false;
}

namespace {
// WeChat's error body, each field read on its own: a wrong type in one loses no other.
struct error_body {
    std::string code, message;
    json::value detail;
};
void read(const detail::json_reader& r, error_body& b) {
    r("code", b.code);
    r("message", b.message);
    r("detail", b.detail);
}
}  // namespace

error api_error_from(const net::response& res, std::string_view what, bool verified) {
    error e(errc::api_error, std::string(what));
    e.http_status = res.result_int();
    e.request_id = std::string(res["Request-ID"]);
    e.unverified = !verified;
    boost::system::error_code ec;
    auto doc = json::parse(res.body(), ec);
    if (!ec && doc.is_object()) {
        error_body b;
        std::string unused;
        read(detail::json_reader(doc.get_object(), "", &unused, detail::json_reader::mode::skip_wrong_types), b);
        e.api_code = std::move(b.code);
        e.api_message = std::move(b.message);
        if (doc.get_object().contains("detail")) e.api_detail = json::serialize(b.detail);
    }
    if (e.api_code.empty() && !res.body().empty()) {
        e.detail += ": the body is not WeChat's {\"code\",\"message\"} JSON (" + std::to_string(res.body().size()) +
                    " bytes)";
        if (e.api_message.empty()) e.api_message = excerpt(res.body(), 200);
    }
    return e;
}

bool unsigned_error_answer(const net::response& res) {
    if (res.result_int() / 100 == 2) return false;
    for (std::string_view name : {"Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Signature", "Wechatpay-Serial"})
        if (res.find(name) != res.end()) return false;
    return true;
}

// On failure the answer is replaced by the error (which keeps its HTTP status).
awaitable<bool> client::impl::verify_answer(result<net::response>& answer) {
    const net::response& res = *answer;
    const auto headers = signature_headers::from_fields(res);
    const std::string_view body = res.body();
    auto ok = current_keys().verify(headers, body);
    // A serial we do not know may be a rotated platform certificate: refresh once (at most
    // once a minute) and look again.
    if (!ok && ok.error().is(errc::unknown_serial) && cfg.downloads_certificates()) {
        auto refreshed = co_await fresh_certificates(true);
        if (!refreshed && refreshed.error().code == asio::error::operation_aborted) {
            answer = refreshed.error();
            co_return false;
        }
        // Look again even when refused: another call's download may have just brought it.
        ok = current_keys().verify(headers, body);
        if (!ok && !refreshed) log(log_level::warning, "certificate download: " + refreshed.error().to_string());
    }
    if (!ok) {
        error e = ok.error();
        e.http_status = res.result_int();
        log(log_level::error, "answer failed verification: " + e.to_string(), e.request_id);
        answer = std::move(e);
        co_return false;
    }
    co_return true;
}

// In download mode, the first certificates (downloading since construction): the request
// names the serial it expects answers signed with, and the answer needs them. False (the
// error in `out`) when there are none.
awaitable<bool> client::impl::first_certificates(const call& c, result<net::response>& out) {
    auto ready = co_await fresh_certificates(true);
    if (ready || !current_keys().certificates().empty()) co_return true;
    error e = ready.error();
    e.detail = what_of(c) + ": no platform certificates: " + e.detail;
    out = std::move(e);
    co_return false;
}

// A session from the pool (connected by it) and one exchange on it. In its own coroutine
// frame, created once the call has a session, so that the thousands of calls that may wait for
// one in send() do not each carry room for a request, an answer and their temporaries.
awaitable<void> client::impl::exchange_on(net::pooled_session& lease, const call& c, bool first_round,
                                          attempt_result& r, result<net::response>& out) {
    net::session& s = *lease.get();
    const bool reused = lease.reused();
    const std::string_view signed_body = c.signed_body ? *c.signed_body : c.body;
    auto signed_req = merchant.sign_request(http::to_string(c.method), c.target, signed_body);
    if (!signed_req) {
        out = signed_req.error();
        r = attempt_result{false, false};
        co_return;
    }
    net::request req{c.method, c.target, 11};
    req.set(http::field::host, host_header(s.host, cfg.endpoint.port));
    req.set(http::field::authorization, signed_req->authorization);
    req.set(http::field::accept, "application/json");
    req.set(http::field::user_agent, cfg.user_agent);
    if (const auto serial = c.serial.empty() ? current_keys().preferred_serial() : c.serial; !serial.empty())
        req.set("Wechatpay-Serial", serial);
    if (!c.body.empty()) req.set(http::field::content_type, c.content_type);
    for (const auto& [name, value] : c.headers) req.set(name, value);
    if (!cfg.pool.keep_alive) req.keep_alive(false);  // the answer's Connection: close drops it
    req.body() = c.body;
    req.prepare_payload();

    // The exchange runs on the session's strand (Beast's operations and deadlines serialised
    // there); the answer comes back here, on the call's executor.
    // Only an unsigned download streams: any other body is verified before anyone sees it.
    const net::body_sink* sink = c.sink && unsigned_download(c.method, c.target) ? c.sink : nullptr;
    auto x = co_await net::async_exchange(s, req, cfg.timeouts.request, c.body_limit, sink, asio::use_awaitable);
    if (!x.answer) {
        const bool resend = c.retry_safe && reused && !x.got_answer_bytes && first_round &&
                            peer_closed(x.answer.error().code);  // retry at once on another session
        out = x.answer.error();
        // An answer over the size limit is the server's answer, not a transient failure: asking
        // again brings the same bytes.
        const bool too_large = x.answer.error().code == http::error::body_limit;
        r = attempt_result{!resend && !x.got_answer_bytes, !x.streamed && !too_large, resend};
        co_return;
    }
    if (cfg.pool.keep_alive && x.answer->keep_alive()) lease.keep();  // the pool remembers its TLS session
    out = std::move(*x.answer);
    r = attempt_result{false, true};
}

// A pool that gave no session: a refused server certificate is final (no retry, no
// failover); other connection failures may be retried or failed over; pool errors (exhausted,
// shut down, cancelled) not: waiting again won't help.
void client::impl::failed_to_acquire(net::acquire_error failed, attempt_result& r,
                                     result<net::response>& out) const {
    error e(failed.code, std::move(failed.detail));
    const bool refused = failed.connecting && net::certificate_refused(e);
    if (failed.connecting) log(refused ? log_level::error : log_level::warning, e.to_string());
    const bool may_retry = failed.connecting && !refused;
    out = std::move(e);
    r = attempt_result{may_retry, may_retry};
}

// After an attempt without an answer: whether to try again (and where, after what delay), or
// end with the failure (`out`, its detail naming the call).
bool client::impl::retry_after_failure(const call& c, unsigned n, const attempt_result& r,
                                       result<net::response>& out, bool& on_backup, std::chrono::milliseconds& delay) {
    error failure = out.error();
    failure.detail = what_of(c) + ": " + failure.detail;
    const bool can_retry = c.retry_safe && r.retryable && n < cfg.retry.max_attempts &&
                           failure.code != asio::error::operation_aborted && failure.kind() == error_kind::transport;
    if (can_retry) {
        // No HTTP answer at all: the other city's host may be reachable.
        if (r.network_failure && backup && !on_backup) {
            on_backup = true;
            ++failovers;
            delay = std::chrono::milliseconds(0);
            log(log_level::warning, failure.to_string() + "; failing over to " + cfg.endpoint.backup_host);
        } else {
            log(log_level::warning, failure.to_string() + ", retrying");
        }
    }
    out = std::move(failure);
    return can_retry;
}

awaitable<void> client::impl::pause(std::chrono::milliseconds delay) {
    asio::steady_timer timer(co_await asio::this_coro::executor, delay);
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
}

// One ask; a reserved turn is slept out here and never asked for again (rate_limiter.hpp).
awaitable<bool> client::impl::admitted(const call& c, result<net::response>& out) {
    const auto cls = classify_request(http::to_string(c.method), c.target);
    const auto patience = rate_limiter::usable_patience(std::chrono::duration_cast<rate_limiter::wait>(cfg.timeouts.request));
    auto wait = co_await cfg.rate_limiter->async_try_acquire(cls, patience, asio::use_awaitable);
    // The ask itself does not watch for cancellation: one that came meanwhile still counts.
    const auto aborted = [&] {
        out = error(asio::error::operation_aborted, what_of(c) + ": cancelled waiting for a request token");
        return false;
    };
    if (cancelled(co_await asio::this_coro::cancellation_state)) co_return aborted();
    if (!wait) {
        error e = wait.error();
        e.detail = what_of(c) + ": rate limiter: " + e.detail;
        out = std::move(e);
        co_return false;
    }
    if (wait->count() <= 0) co_return true;
    if (*wait > patience) {  // nothing reserved: fails at once rather than waiting in vain
        out = error(asio::error::timed_out, what_of(c) + ": no " + to_string(cls) + " request token within the " +
                                                std::to_string(patience.count()) + " ms request timeout");
        co_return false;
    }
    co_await pause(*wait);
    if (cancelled(co_await asio::this_coro::cancellation_state)) co_return aborted();
    co_return true;
}

// A verified body, given to the call's sink whole; the response keeps the header.
void client::impl::deliver_verified(const net::body_sink& sink, result<net::response>& out) {
    if (out->body().empty()) return;
    auto taken = sink(out->body());
    if (!taken) {
        error e = taken.error();
        e.request_id = std::string((*out)["Request-ID"]);
        out = std::move(e);
        return;
    }
    out->body().clear();
}

// One frame for the whole call: the first certificates, the attempts (each: a session from the
// pool, an exchange, the answer verified), retries and failover, the 2xx check. While the call
// waits for a session, this frame, the operation's and the pool's small acquire() frame are all
// it holds.
awaitable<void> client::impl::send(const call& c, result<net::response>& out) {
    // Cancellation is reported as operation_aborted, not thrown; the flag belongs to the
    // caller's coroutine, so it is restored on the way out.
    const bool caller_throws = co_await asio::this_coro::throw_if_cancelled();
    co_await asio::this_coro::throw_if_cancelled(false);
    attempt_result r;
    {
        ++calls;
        if (stopped) {
            out = error(asio::error::shut_down, what_of(c) + ": the client is shut down");
            goto done;
        }
        const bool verify = c.verify && !unsigned_download(c.method, c.target);
        if (verify && cfg.downloads_certificates() && current_keys().certificates().empty())
            if (!co_await first_certificates(c, out)) goto done;
        bool on_backup = false;
        for (unsigned n = 1;; ++n) {
            if (stopped) {
                out = error(asio::error::shut_down, what_of(c) + ": the client is shut down");
                goto done;
            }
            auto& pool = on_backup ? *backup : *primary;
            // A reused session the server closed while idle dies before any answer byte: for a
            // call that is safe to repeat, that one failure is retried at once on another
            // session, and does not count as an attempt (the server may have read the request).
            for (bool first_round = true;; first_round = false) {
                if (cfg.rate_limiter && !co_await admitted(c, out)) goto done;
                net::pooled_session lease;
                if (auto failed = co_await pool.acquire(lease)) {
                    failed_to_acquire(std::move(failed), r, out);
                    break;
                }
                co_await exchange_on(lease, c, first_round, r, out);
                if (!r.resend_at_once) break;
                // A server that closed this one idle (a restart, a load balancer's sweep) has most
                // likely closed every session idle as long: drop them all, so that the one resend
                // goes out on a fresh connection. The lease is discarded here.
                pool.close_idle();
            }
            if (cancelled(co_await asio::this_coro::cancellation_state)) {
                out = error(asio::error::operation_aborted, what_of(c) + ": cancelled");
                goto done;
            }

            std::chrono::milliseconds delay = backoff(cfg.retry, n - 1);
            if (out) {
                // The status first: an unsigned error answer is read (unverified), not refused.
                const bool unsigned_error = unsigned_error_answer(*out);
                const bool verified = verify && !unsigned_error;
                if (verified && !co_await verify_answer(out)) goto done;
                const net::response& res = *out;
                const unsigned status = res.result_int();
                const bool transient = status >= 500 || status == 429;
                if (!transient || !c.retry_safe || n >= cfg.retry.max_attempts) {
                    if (c.api_errors && status / 100 != 2) out = api_error_from(res, what_of(c), verified);
                    else if (c.sink && verified && status / 100 == 2) deliver_verified(*c.sink, out);
                    goto done;
                }
                if (status == 429) delay = std::max(delay, cfg.retry.rate_limited_delay);
                log(log_level::warning,
                    what_of(c) + ": HTTP " + std::to_string(status) + (unsigned_error ? " (unsigned)" : "") + ", retrying",
                    res["Request-ID"]);
            } else {
                if (!retry_after_failure(c, n, r, out, on_backup, delay)) goto done;
            }
            ++retries;
            co_await pause(delay);
            if (cancelled(co_await asio::this_coro::cancellation_state)) {
                out = error(asio::error::operation_aborted, what_of(c) + ": cancelled");
                goto done;
            }
        }
    }
done:
    co_await asio::this_coro::throw_if_cancelled(caller_throws);
}

}  // namespace wechatpay
