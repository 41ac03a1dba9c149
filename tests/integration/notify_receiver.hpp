// A merchant's notification endpoint for the integration tests: a real HTTP(S) server on
// loopback, on its own thread, recording every delivery the simulator makes.
#pragma once

#include "sim_env.hpp"

#include <wechatpay/notification.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace wechatpay_test {

namespace receiver_detail {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using namespace std::chrono_literals;

// A server certificate chain and its key, for an https receiver.
struct tls_files {
    std::filesystem::path chain, key;
};

// A merchant's notification endpoint on 127.0.0.1, on its own thread: plain HTTP (the simulator
// allows http for loopback notify_urls), or HTTPS when given `tls`. Records every request;
// answers `fail_status` (500 unless told) to the first `fail_first` of them and 204 afterwards.
class notify_receiver {
public:
    struct delivery {
        std::string target, content_type, body;
        wechatpay::signature_headers headers;
        unsigned answered = 0;
        std::chrono::steady_clock::time_point at;
    };

    explicit notify_receiver(const tls_files& tls) : notify_receiver(0, 500, tls) {}
    explicit notify_receiver(unsigned fail_first = 0, unsigned fail_status = 500,
                             const std::optional<tls_files>& tls = std::nullopt)
        : fail_first_(fail_first), fail_status_(fail_status) {
        if (tls) {
            tls_.emplace(asio::ssl::context::tls_server);
            tls_->use_certificate_chain_file(tls->chain.string());
            tls_->use_private_key_file(tls->key.string(), asio::ssl::context::pem);
        }
        acceptor_.open(tcp::v4());
        acceptor_.bind({asio::ip::make_address("127.0.0.1"), 0});
        acceptor_.listen();
        asio::co_spawn(ioc_, accept_loop(), asio::detached);
        thread_ = std::thread([this] { ioc_.run(); });
    }
    ~notify_receiver() {
        ioc_.stop();
        thread_.join();
    }
    notify_receiver(const notify_receiver&) = delete;
    notify_receiver& operator=(const notify_receiver&) = delete;

    std::string url() const {
        return (tls_ ? "https" : "http") + std::string("://127.0.0.1:") + std::to_string(acceptor_.local_endpoint().port()) + "/wechatpay/notify";
    }

    // The deliveries so far, once there are at least `n` of them or `within` has passed.
    std::vector<delivery> wait_for(std::size_t n, std::chrono::milliseconds within = 5s) {
        std::unique_lock lock(mutex_);
        arrived_.wait_for(lock, within, [&] { return got_.size() >= n; });
        return got_;
    }

    // TLS handshakes that failed so far, once there are at least `n` or `within` has passed.
    unsigned wait_for_failed_handshakes(unsigned n, std::chrono::milliseconds within = 5s) {
        std::unique_lock lock(mutex_);
        arrived_.wait_for(lock, within, [&] { return failed_handshakes_ >= n; });
        return failed_handshakes_;
    }
    std::string last_handshake_error() {
        std::lock_guard lock(mutex_);
        return last_handshake_error_;
    }

private:
    asio::awaitable<void> accept_loop() {
        for (;;) {
            auto [ec, socket] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
            if (ec) co_return;
            asio::co_spawn(ioc_, serve(std::move(socket)), asio::detached);
        }
    }

    asio::awaitable<void> serve(tcp::socket socket) {
        beast::tcp_stream tcp(std::move(socket));
        tcp.expires_after(5s);
        if (!tls_) co_return co_await exchange(tcp);
        beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp), *tls_);
        auto [hec] = co_await stream.async_handshake(asio::ssl::stream_base::server, asio::as_tuple(asio::use_awaitable));
        if (hec) {
            std::lock_guard lock(mutex_);
            ++failed_handshakes_;
            last_handshake_error_ = hec.message();
            arrived_.notify_all();
            co_return;
        }
        co_await exchange(stream);
        // A clean close_notify, so the simulator's own shutdown ends at once; bounded apart.
        beast::get_lowest_layer(stream).expires_after(1s);
        co_await stream.async_shutdown(asio::as_tuple(asio::use_awaitable));
    }

    template <class Stream>
    asio::awaitable<void> exchange(Stream& stream) {
        beast::flat_buffer buffer;
        for (;;) {
            http::request<http::string_body> req;
            beast::get_lowest_layer(stream).expires_after(5s);
            auto [rec, rn] = co_await http::async_read(stream, buffer, req, asio::as_tuple(asio::use_awaitable));
            if (rec) co_return;
            const unsigned status = record(req);
            http::response<http::string_body> res{static_cast<http::status>(status), req.version()};
            if (status != 204) {
                res.set(http::field::content_type, "application/json");
                res.body() = R"({"code":"FAIL","message":"失败"})";
            }
            res.keep_alive(req.keep_alive());
            res.prepare_payload();
            auto [wec, wn] = co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
            if (wec || !res.keep_alive()) co_return;
        }
    }

    unsigned record(const http::request<http::string_body>& req) {
        delivery d;
        d.target = std::string(req.target());
        d.content_type = std::string(req[http::field::content_type]);
        d.body = req.body();
        d.headers = wechatpay::signature_headers::from_fields(req);
        d.at = std::chrono::steady_clock::now();
        std::lock_guard lock(mutex_);
        d.answered = got_.size() < fail_first_ ? fail_status_ : 204;
        got_.push_back(d);
        arrived_.notify_all();
        return d.answered;
    }

    unsigned fail_first_, fail_status_;
    std::optional<asio::ssl::context> tls_;  // before ioc_: outlives the streams its frames hold
    asio::io_context ioc_;
    tcp::acceptor acceptor_{ioc_};
    std::mutex mutex_;
    std::condition_variable arrived_;
    std::vector<delivery> got_;
    unsigned failed_handshakes_ = 0;
    std::string last_handshake_error_;
    std::thread thread_;
};

}  // namespace receiver_detail

using receiver_detail::notify_receiver;
using receiver_detail::tls_files;

}  // namespace wechatpay_test
