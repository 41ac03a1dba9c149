#include "http/session.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <optional>
#include <vector>

namespace wechatpay::net {

namespace {
constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);

using tcp = asio::ip::tcp;

// A step that ran out of time is timed_out, whoever noticed (the stream's deadline reports
// beast::error::timeout), as the pool's acquire timeout is.
error step_error(boost::system::error_code ec, const char* step, const std::string& host) {
    if (ec == beast::error::timeout) ec = asio::error::timed_out;
    return error(ec, std::string(step) + " " + host);
}

// Resolves host:port, completing with timed_out at `deadline`. getaddrinfo cannot be
// interrupted (cancelling the resolver only spares a lookup not yet started), so a lookup
// still running then is abandoned: it ends in the background, and its result is dropped.
// Both inner handlers run on the caller's executor (the session's strand), one at a time.
template <class Token>
auto async_resolve_until(asio::any_io_executor ex, std::string host, std::string service, clock::time_point deadline,
                         Token&& token) {
    using signature = void(boost::system::error_code, tcp::resolver::results_type);
    auto init = [](auto handler, asio::any_io_executor io, std::string name, std::string port,
                   clock::time_point until) {
        using handler_type = decltype(handler);
        struct race {
            race(const asio::any_io_executor& e, handler_type h) : resolver(e), timer(e), handler(std::move(h)) {}
            tcp::resolver resolver;
            asio::steady_timer timer;
            std::optional<handler_type> handler;  // empty once the race is decided

            void finish(boost::system::error_code ec, tcp::resolver::results_type endpoints) {
                if (!handler) return;
                auto h = std::move(*handler);
                handler.reset();
                timer.cancel();
                resolver.cancel();
                std::move(h)(ec, std::move(endpoints));  // already on its executor
            }
        };
        const auto on = asio::get_associated_executor(handler, io);
        auto r = std::make_shared<race>(io, std::move(handler));
        r->timer.expires_at(until);
        r->timer.async_wait(asio::bind_executor(on, [r](boost::system::error_code ec) {
            if (ec != asio::error::operation_aborted) r->finish(asio::error::timed_out, {});
        }));
        r->resolver.async_resolve(name, port, asio::bind_executor(on, [r](boost::system::error_code ec,
                                                                            tcp::resolver::results_type endpoints) {
            r->finish(ec, std::move(endpoints));
        }));
    };
    return asio::async_initiate<Token, signature>(init, token, std::move(ex), std::move(host), std::move(service),
                                                  deadline);
}
}  // namespace

asio::any_io_executor make_strand(const asio::any_io_executor& ex) {
    if (const auto* io = ex.target<asio::io_context::executor_type>()) return asio::make_strand(*io);
    return asio::make_strand(ex);
}

asio::awaitable<result<std::shared_ptr<session>>> connect(asio::any_io_executor ex, asio::ssl::context& tls,
                                                          connect_options o) {
    co_await asio::this_coro::throw_if_cancelled(false);  // report cancellation as a result
    auto s = std::make_shared<session>(ex, tls);
    s->host = o.host;
    SSL* ssl = s->stream.native_handle();

    boost::system::error_code ec;
    const auto literal = asio::ip::make_address(o.host, ec);
    const bool is_ip = !ec;
    if (!is_ip) {
        // SNI, for host names only (RFC 6066 forbids IP literals). The macro's C cast is avoided.
        SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, const_cast<char*>(o.host.c_str()));
    }
    s->stream.set_verify_mode(asio::ssl::verify_peer);
    s->stream.set_verify_callback(asio::ssl::host_name_verification(o.host));
    if (o.resume) {
        // A copy again, so that this connection's end cannot spoil the pool's session.
        if (SSL_SESSION* copy = SSL_SESSION_dup(static_cast<SSL_SESSION*>(o.resume.get()))) {
            SSL_set_session(ssl, copy);
            SSL_SESSION_free(copy);  // SSL_set_session took its own reference
        }
    }

    // One deadline for the whole of it: resolve, TCP connect and TLS handshake.
    const auto deadline = clock::now() + o.timeout;
    auto& stream = s->stream.next_layer();
    if (is_ip) {
        stream.expires_at(deadline);
        auto [cec] = co_await stream.async_connect(tcp::endpoint(literal, o.port), tuple_awaitable);
        if (cec) co_return step_error(cec, "connect to", o.host);
    } else {
        auto [rec, endpoints] =
            co_await async_resolve_until(ex, o.host, std::to_string(o.port), deadline, tuple_awaitable);
        if (rec) co_return step_error(rec, "resolve", o.host);
        stream.expires_at(deadline);
        auto [cec, ep] = co_await stream.async_connect(endpoints, tuple_awaitable);
        if (cec) co_return step_error(cec, "connect to", o.host);
    }
    stream.socket().set_option(tcp::no_delay(true), ec);

    stream.expires_at(deadline);
    auto [hec] = co_await s->stream.async_handshake(asio::ssl::stream_base::client, tuple_awaitable);
    // OpenSSL's verdict on the chain decides, not the handshake's error: Asio reports the oldest
    // error queued, which for a certificate signed by another key under a trusted CA's name is
    // the RSA check's "invalid padding", not "certificate verify failed". When the chain was
    // fine, the host name check (our verify callback) refused, which OpenSSL reports as
    // unspecified. A refusal gets the one error code certificate_refused() knows.
    const long verdict = hec ? SSL_get_verify_result(ssl) : X509_V_OK;
    if (verdict != X509_V_OK || (hec && certificate_refused(error(hec)))) {
        const std::string why = verdict != X509_V_OK && verdict != X509_V_ERR_UNSPECIFIED
                                    ? X509_verify_cert_error_string(verdict)
                                    : "it does not name " + o.host;
        const boost::system::error_code refused(
            static_cast<int>(ERR_PACK(ERR_LIB_SSL, 0, SSL_R_CERTIFICATE_VERIFY_FAILED)), asio::error::get_ssl_category());
        co_return error(refused, "TLS handshake with " + o.host + ": server certificate refused: " + why);
    }
    if (hec) co_return step_error(hec, "TLS handshake with", o.host);
    stream.expires_never();
    s->resumed = SSL_session_reused(ssl) == 1;
    s->created = s->last_used = clock::now();
    co_return s;
}

bool certificate_refused(const error& e) noexcept {
    const auto code = static_cast<unsigned long>(e.code.value());
    return e.code.category() == asio::error::get_ssl_category() && ERR_GET_LIB(code) == ERR_LIB_SSL &&
           ERR_GET_REASON(code) == SSL_R_CERTIFICATE_VERIFY_FAILED;
}

tls_session current_tls_session(session& s) {
    SSL_SESSION* live = SSL_get1_session(s.stream.native_handle());
    if (!live) return {};
    // A copy: OpenSSL marks a connection's own session not resumable when the connection is
    // freed without a close_notify — the fate of every discarded session — and the pool's copy
    // must outlive the connection it came from.
    SSL_SESSION* sess = SSL_SESSION_is_resumable(live) == 1 ? SSL_SESSION_dup(live) : nullptr;
    SSL_SESSION_free(live);
    if (!sess) return {};
    return tls_session(sess, [](void* p) { SSL_SESSION_free(static_cast<SSL_SESSION*>(p)); });
}

namespace {
// The body of a 2xx answer, piece by piece into `sink`, through a buffer of its own: memory
// stays one buffer whatever the body's size.
asio::awaitable<result<void>> stream_body(session& s, http::response_parser<http::buffer_body>& p,
                                          std::chrono::milliseconds timeout, const body_sink& sink,
                                          exchange_result& out) {
    std::vector<char> buf(64 * 1024);
    while (!p.is_done()) {
        p.get().body().data = buf.data();
        p.get().body().size = buf.size();
        s.stream.next_layer().expires_after(timeout);
        auto [ec, n] = co_await http::async_read(s.stream, s.buffer, p, tuple_awaitable);
        if (ec == http::error::need_buffer) ec = {};
        const std::size_t got = buf.size() - p.get().body().size;
        if (got > 0) {
            out.streamed = true;
            if (auto taken = sink(std::string_view(buf.data(), got)); !taken) {
                error e = taken.error();  // the answer's: it names the answer
                e.http_status = p.get().result_int();
                e.request_id = std::string(p.get()["Request-ID"]);
                co_return e;
            }
        }
        if (ec) co_return step_error(ec, "read answer from", s.host);
        // A cancellation between reads (the sink's work) is seen before the next one.
        if ((co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none)
            co_return step_error(asio::error::operation_aborted, "read answer from", s.host);
    }
    co_return result<void>{};
}
}  // namespace

asio::awaitable<exchange_result> exchange(session& s, request& req, std::chrono::milliseconds timeout,
                                          std::uint64_t body_limit, const body_sink* sink) {
    co_await asio::this_coro::throw_if_cancelled(false);
    exchange_result out{error(errc::invalid_argument)};
    auto& tcp = s.stream.next_layer();
    tcp.expires_after(timeout);
    auto [wec, written] = co_await http::async_write(s.stream, req, tuple_awaitable);
    if (wec) {
        out.answer = step_error(wec, "send request to", s.host);
        co_return out;
    }
    tcp.expires_after(timeout);
    http::response_parser<http::empty_body> head;
    head.body_limit(body_limit);
    auto [hec, hn] = co_await http::async_read_header(s.stream, s.buffer, head, tuple_awaitable);
    out.got_answer_bytes = head.got_some();
    if (hec) {
        out.answer = step_error(hec, "read answer from", s.host);
        co_return out;
    }
    if (sink && head.get().result_int() / 100 == 2) {
        http::response_parser<http::buffer_body> p(std::move(head));
        p.body_limit(body_limit);
        if (auto streamed = co_await stream_body(s, p, timeout, *sink, out); !streamed) {
            out.answer = streamed.error();
            co_return out;
        }
        out.answer = response(std::move(p.release().base()));
    } else {
        // An error answer is small whatever the call's limit (a streamed download has none).
        // Beast holds a Content-Length to the limit only while it reads the header, under the
        // call's limit then, so the smaller one is checked here: a bigger body is never read.
        const bool success = head.get().result_int() / 100 == 2;
        const std::uint64_t limit = success ? body_limit : std::min(body_limit, max_error_body);
        if (const auto length = head.content_length(); length && *length > limit) {
            out.answer = step_error(http::error::body_limit, "read answer from", s.host);
            co_return out;
        }
        http::response_parser<http::string_body> p(std::move(head));
        p.body_limit(limit);
        auto [rec, read] = co_await http::async_read(s.stream, s.buffer, p, tuple_awaitable);
        if (rec) {
            out.answer = step_error(rec, "read answer from", s.host);
            co_return out;
        }
        out.answer = p.release();
    }
    tcp.expires_never();  // an idle session must not be closed by a stale deadline
    s.last_used = clock::now();
    ++s.exchanges;
    co_return out;
}

}  // namespace wechatpay::net
