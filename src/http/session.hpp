// One keep-alive HTTPS connection to WeChat Pay, and the two things done with it: open it
// (TCP + TLS with SNI, certificate and host name verification, session resumption) and run one
// request/answer exchange. Every step has a deadline; cancellation comes from the caller.
#pragma once

#include <wechatpay/error.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace wechatpay::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

using request = http::request<http::string_body>;
using response = http::response<http::string_body>;
using clock = std::chrono::steady_clock;

struct session {
    session(asio::any_io_executor ex, asio::ssl::context& tls) : stream(std::move(ex), tls) {}

    beast::ssl_stream<beast::tcp_stream> stream;
    beast::flat_buffer buffer;
    std::string host;
    clock::time_point created{}, last_used{};
    std::uint64_t exchanges = 0;
    bool resumed = false;  // the TLS handshake resumed an earlier session
};

// An owned TLS session for resumption (SSL_SESSION, reference counted by OpenSSL).
using tls_session = std::shared_ptr<void>;

struct connect_options {
    std::string host;
    std::uint16_t port = 443;
    std::chrono::milliseconds timeout{5000};  // name resolution, TCP connect and TLS handshake, together
    tls_session resume;                       // offered to the server when set
};

// A new strand on `ex`, as small as it can be: over io_context::executor_type when `ex` is an
// io_context's plain executor, so that it fits any_io_executor's small buffer and the dozens of
// executor copies Asio and Beast make per exchange are not heap allocations.
asio::any_io_executor make_strand(const asio::any_io_executor& ex);

// Opens a connection. Errors: asio/ssl error codes with `detail` saying which step failed
// ("resolve HOST", "connect to HOST", "TLS handshake with HOST"), asio::error::timed_out when
// the timeout ran out in that step; a server certificate that fails verification says why
// (untrusted, expired, another host). `ex` must be a strand: the session's operations and
// deadlines are serialised on it.
asio::awaitable<result<std::shared_ptr<session>>> connect(asio::any_io_executor ex,
                                                          asio::ssl::context& tls,
                                                          connect_options options);

// The TLS handshake failed because the server's certificate was refused: another attempt
// cannot help, and the error must not be hidden behind retries.
bool certificate_refused(const error& e) noexcept;

// The session's current TLS session, to resume later connections with.
tls_session current_tls_session(session& s);

// What an exchange got: the answer, or an error, and whether any answer byte had arrived
// (a reused connection that died before that can be retried safely on a new one).
struct exchange_result {
    result<response> answer;
    bool got_answer_bytes = false;
    bool streamed = false;  // the body sink was given bytes: the exchange cannot be repeated
};

// Takes a 2xx answer's body piece by piece (at most 64 KiB each, in order) instead of the
// response; an error from it ends the exchange with that error.
using body_sink = std::function<result<void>(std::string_view)>;

// The most of a non-2xx answer's body any exchange reads (WeChat's error JSON is a few hundred
// bytes; a gateway's page a few KiB).
inline constexpr std::uint64_t max_error_body = 4 * 1024 * 1024;

// Writes `req` and reads the answer, each within `timeout` (asio::error::timed_out
// otherwise): a 2xx body up to body_limit, any other up to max_error_body (and body_limit),
// http::error::body_limit beyond, seen from the Content-Length before the body is read. With
// a sink, a 2xx answer's body goes to it as it arrives (each read within `timeout`), and the
// response holds the header only; other answers are read whole. A session whose body was not
// read to its end must be discarded, never returned to the pool.
asio::awaitable<exchange_result> exchange(session& s, request& req, std::chrono::milliseconds timeout,
                                          std::uint64_t body_limit, const body_sink* sink = nullptr);

// exchange() on the session's strand (its stream's executor), completing through the token.
template <class Token>
auto async_exchange(session& s, request& req, std::chrono::milliseconds timeout, std::uint64_t body_limit,
                    const body_sink* sink, Token&& token) {
    return asio::co_spawn(s.stream.get_executor(), exchange(s, req, timeout, body_limit, sink),
                          std::forward<Token>(token));
}

}  // namespace wechatpay::net
