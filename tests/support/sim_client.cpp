#include "sim_client.hpp"

#include <wechatpay/crypto.hpp>
#include <wechatpay/sim/simulator.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json/parse.hpp>

#include <openssl/ssl.h>

#include <algorithm>

namespace wechatpay_test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;
using wechatpay::errc;
using wechatpay::error;

bool sim_answer::has_header(std::string_view name) const { return raw.find(name) != raw.end(); }

std::string sim_answer::header(std::string_view name) const { return std::string(raw[name]); }

boost::json::value sim_answer::json() const { return boost::json::parse(body); }

bool is_closed_by_peer(const error_code& ec) {
    return ec == asio::error::eof || ec == asio::ssl::error::stream_truncated ||
           ec == http::error::end_of_stream || ec == asio::error::connection_reset;
}

struct sim_client::connection {
    beast::ssl_stream<beast::tcp_stream> stream;
    beast::flat_buffer buffer;
    bool reusable = true;

    connection(asio::io_context& ioc, asio::ssl::context& tls) : stream(ioc, tls) {}
    beast::tcp_stream& tcp() { return stream.next_layer(); }
};

sim_client::sim_client(std::string host, std::uint16_t port, const std::filesystem::path& ca_file,
                       std::optional<wechatpay::signer> signer, std::chrono::milliseconds timeout)
    : host_(std::move(host)),
      port_(port),
      signer_(std::move(signer)),
      timeout_(timeout),
      tls_(asio::ssl::context::tls_client) {
    tls_.load_verify_file(ca_file.string());
    tls_.set_verify_mode(asio::ssl::verify_peer);
}

sim_client::sim_client(const wechatpay::sim::simulator& sim, std::optional<wechatpay::signer> signer,
                       std::chrono::milliseconds timeout)
    : sim_client(sim.host(), sim.port(), sim.ca_file(), std::move(signer), timeout) {}

sim_client::~sim_client() = default;

void sim_client::run() {
    // Every operation runs under the tcp_stream's deadline (expires_after), so this returns.
    ioc_.restart();
    ioc_.run();
}

void sim_client::disconnect() {
    if (!conn_) return;
    // A polite close (close_notify), bounded: OpenSSL marks the session of a connection freed
    // without one as not resumable, and the next connection could not offer it.
    conn_->tcp().expires_after(std::min(timeout_, std::chrono::milliseconds(1000)));
    conn_->stream.async_shutdown([](error_code) {});
    run();
    conn_.reset();
}

bool sim_client::connected() const noexcept { return conn_ != nullptr; }

wechatpay::result<void> sim_client::connect() {
    error_code address_ec;
    const auto address = asio::ip::make_address(host_, address_ec);
    if (address_ec) return error(address_ec, "connect: bad host " + host_);
    conn_ = std::make_unique<connection>(ioc_, tls_);
    connection& c = *conn_;
    SSL* ssl = c.stream.native_handle();
    // SSL_set_tlsext_host_name, without the macro's C-style cast.
    SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, const_cast<char*>(host_.c_str()));
    c.stream.set_verify_callback(asio::ssl::host_name_verification(host_));
    if (resume_ && session_) SSL_set_session(ssl, static_cast<SSL_SESSION*>(session_.get()));

    error_code ec;
    c.tcp().expires_after(timeout_);
    c.tcp().async_connect(asio::ip::tcp::endpoint(address, port_), [&](error_code e) { ec = e; });
    run();
    if (!ec) {
        c.tcp().expires_after(timeout_);
        c.stream.async_handshake(asio::ssl::stream_base::client, [&](error_code e) { ec = e; });
        run();
    }
    if (ec) {
        conn_.reset();
        return error(ec, "connect / TLS handshake");
    }
    ++connections_opened_;
    last_resumed_ = SSL_session_reused(ssl) == 1;
    return {};
}

wechatpay::result<sim_answer> sim_client::signed_call(std::string_view method, std::string_view target,
                                                      std::string_view body, const header_list& extra) {
    if (!signer_) return error(errc::invalid_argument, "signed_call: this client has no signer");
    header_list headers = extra;
    if (auto signed_request = signer_->sign_request(method, target, body)) {
        headers.emplace_back("Authorization", signed_request->authorization);
    } else {
        // A target our signer refuses (a malformed %-escape…) is still what other clients may
        // send: sign its bytes by hand, so that the simulator's own answer can be tested.
        const std::int64_t ts = wechatpay::system_unix_time();
        const std::string nonce = wechatpay::random_nonce(32);
        auto signature = signer_->sign(wechatpay::request_message(method, target, ts, nonce, body));
        if (!signature) return signature.error();
        headers.emplace_back("Authorization", "WECHATPAY2-SHA256-RSA2048 mchid=\"" + signer_->mchid() +
                                                  "\",nonce_str=\"" + nonce + "\",timestamp=\"" +
                                                  std::to_string(ts) + "\",serial_no=\"" + signer_->serial() +
                                                  "\",signature=\"" + *signature + "\"");
    }
    return exchange(method, target, body, headers);
}

wechatpay::result<sim_answer> sim_client::unsigned_call(std::string_view method, std::string_view target,
                                                        std::string_view body, const header_list& extra) {
    return exchange(method, target, body, extra);
}

wechatpay::result<sim_answer> sim_client::exchange(std::string_view method, std::string_view target,
                                                   std::string_view body, const header_list& extra) {
    if (conn_ && !conn_->reusable) disconnect();
    if (!conn_)
        if (auto c = connect(); !c) return c.error();
    connection& c = *conn_;

    http::request<http::string_body> req;
    req.method_string(method);
    req.target(target);
    req.version(11);
    req.set(http::field::host, host_ + ":" + std::to_string(port_));
    req.set(http::field::user_agent, "wechatpay-asio-integration-tests");
    req.set(http::field::accept, "application/json");
    if (!body.empty()) req.set(http::field::content_type, "application/json");
    for (const auto& [name, value] : extra) req.set(name, value);
    req.body() = std::string(body);
    req.prepare_payload();

    // Write and read at the same time: a server may answer before it has read the whole
    // request (413 for an oversized body), and then stop reading.
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    error_code write_ec, read_ec;
    bool read_done = false;
    c.tcp().expires_after(timeout_);
    http::async_write(c.stream, req, [&](error_code e, std::size_t) {
        write_ec = e;
    });
    http::async_read(c.stream, c.buffer, parser, [&](error_code e, std::size_t) {
        read_ec = e;
        read_done = true;
        c.tcp().cancel();  // a write still stuck behind an early answer is abandoned
    });
    run();
    if (!read_done || read_ec) {
        conn_.reset();
        return error(read_done ? read_ec : error_code(beast::error::timeout), "read answer");
    }

    sim_answer a;
    a.raw = parser.release();
    a.status = a.raw.result_int();
    a.body = a.raw.body();
    a.headers = wechatpay::signature_headers::from_fields(a.raw);
    a.request_id = a.headers.request_id;
    c.reusable = a.raw.keep_alive() && !write_ec;
    if (SSL_SESSION* s = SSL_get1_session(c.stream.native_handle())) {
        if (SSL_SESSION_is_resumable(s)) session_.reset(s, [](void* p) { SSL_SESSION_free(static_cast<SSL_SESSION*>(p)); });
        else SSL_SESSION_free(s);
    }
    return a;
}

error_code sim_client::wait_for_server_close(std::chrono::milliseconds within) {
    if (!conn_) return make_error_code(errc::invalid_argument);
    connection& c = *conn_;
    if (c.buffer.size() != 0) return make_error_code(errc::invalid_argument);
    char byte = 0;
    error_code ec;
    std::size_t n = 0;
    c.tcp().expires_after(within);
    c.stream.async_read_some(asio::buffer(&byte, 1), [&](error_code e, std::size_t k) {
        ec = e;
        n = k;
    });
    run();
    conn_.reset();
    return n != 0 ? make_error_code(errc::invalid_argument) : ec;
}

}  // namespace wechatpay_test
