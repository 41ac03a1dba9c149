// A merchant's notify_url: a small HTTP server on 127.0.0.1 that hands each POST from WeChat
// Pay to notification_handler::async_handle() — verify, check the time window, decrypt, run the
// business effect once per notification id — and answers what it says (204, or a 500 that
// makes WeChat deliver again; the client's logger hears why). Put it behind your
// TLS-terminating proxy in production.
#pragma once

#include <wechatpay/client.hpp>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <string>

namespace examples {

namespace asio = boost::asio;
namespace http = boost::beast::http;

class notify_receiver {
public:
    // Hears each delivery's body and the answer it got (the Redis demo's transcript).
    using observer = std::function<void(const std::string& body, const wechatpay::notification_reply&)>;

    notify_receiver(asio::io_context& ioc, const wechatpay::client& c, wechatpay::notification_effect effect)
        : notify_receiver(ioc, c.notifications(), std::move(effect)) {}
    notify_receiver(asio::io_context& ioc, wechatpay::notification_handler handler, wechatpay::notification_effect effect,
                    observer watch = {})
        : io_(ioc.get_executor()), acceptor_(asio::make_strand(ioc), {asio::ip::make_address("127.0.0.1"), 0}),
          handler_(std::move(handler)), effect_(std::move(effect)), watch_(std::move(watch)) {}

    std::string url() const {
        return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + "/notify";
    }
    // The acceptor lives on its own strand: stop() never closes it while the loop re-arms it.
    void start() { asio::co_spawn(acceptor_.get_executor(), accept_loop(), asio::detached); }
    // Closes the acceptor on its strand and waits for that: the io threads must be running.
    void stop() { asio::post(acceptor_.get_executor(), asio::use_future([this] { acceptor_.close(); })).get(); }
    int deliveries() const { return deliveries_; }  // POSTs answered, whatever the answer

private:
    static constexpr auto no_throw = asio::as_tuple(asio::use_awaitable);

    asio::awaitable<void> accept_loop() {
        for (;;) {
            // Each connection on its own strand: its timeout timer and its reads and writes never
            // run at once on two io threads.
            auto strand = asio::make_strand(io_);
            auto [ec, socket] = co_await acceptor_.async_accept(strand, no_throw);
            if (ec) co_return;
            asio::co_spawn(strand, serve(asio::ip::tcp::socket(std::move(socket))), asio::detached);
        }
    }

    asio::awaitable<void> serve(asio::ip::tcp::socket socket) {
        boost::beast::tcp_stream stream(std::move(socket));
        boost::beast::flat_buffer buffer;
        http::request<http::string_body> req;
        stream.expires_after(std::chrono::seconds(5));
        auto [ec, n] = co_await http::async_read(stream, buffer, req, no_throw);
        if (ec) co_return;
        const auto headers = wechatpay::signature_headers::from_fields(req);  // repeats noted
        // The client's handler: its WeChat Pay keys (refreshed when a notification names a new
        // certificate), its dedup store and its logger.
        const wechatpay::notification_reply reply = co_await handler_.async_handle(headers, req.body(), effect_);
        if (watch_) watch_(req.body(), reply);
        http::response<http::string_body> res{static_cast<http::status>(reply.status), 11};
        if (!reply.content_type.empty()) res.set(http::field::content_type, reply.content_type);
        res.body() = reply.body;
        res.prepare_payload();
        ++deliveries_;
        co_await http::async_write(stream, res, no_throw);
    }

    asio::io_context::executor_type io_;
    asio::ip::tcp::acceptor acceptor_;
    const wechatpay::notification_handler handler_;
    const wechatpay::notification_effect effect_;
    const observer watch_;
    std::atomic<int> deliveries_{0};
};

}  // namespace examples
