// One instance of a merchant's fleet, for test_redis_fleet.cpp: an HTTPS notification receiver
// on 127.0.0.1 (notification_handler with the shared redis::dedup) whose business effect counts
// itself in the same Redis. It prints "listening PORT" once it accepts, then serves until killed.
//
//   wechatpay_fleet_receiver --name N --redis-port P --lease-ms L --slow-ms S --mchid M
//       --tls-cert F --tls-key F --platform-cert F --apiv3-key-file F
//
// The effect, per out_trade_no (what a real one does is mark the order paid, once):
//   INCR fleet:effects:{no}, RPUSH fleet:log "{no} {name}"          every effect, at its end
//   "SLOW…" orders INCR fleet:started:{no} first; the first start takes --slow-ms (a test kills it)
//   "FLAKY…" orders fail their first try across the fleet (fleet:tries:{no}): WeChat redelivers
//   "LOST…" orders lose the first answer after their effect (the connection closes unanswered)
#include <wechatpay/notification.hpp>
#include <wechatpay/redis/connection.hpp>
#include <wechatpay/redis/dedup.hpp>
#include <wechatpay/verifier.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <charconv>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace redis = wechatpay::redis;
using asio::ip::tcp;
using wechatpay::result;
using namespace std::chrono_literals;

namespace {

constexpr auto no_throw = asio::as_tuple(asio::use_awaitable);

struct fleet_options {
    std::map<std::string, std::string> args;
    const std::string& operator[](const std::string& k) const {
        const auto it = args.find(k);
        if (it == args.end()) throw std::runtime_error("missing --" + k);
        return it->second;
    }
    int number(const std::string& k) const {
        const auto& s = (*this)[k];
        int v = -1;
        const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (ec != std::errc{} || end != s.data() + s.size() || v < 0) throw std::runtime_error("--" + k + ": a count");
        return v;
    }
};

class receiver {
public:
    receiver(asio::io_context& ioc, const fleet_options& o)
        : ioc_(ioc), name_(o["name"]), slow_(o.number("slow-ms")),
          conn_(std::make_shared<redis::connection>(ioc.get_executor(), redis_at(o.number("redis-port")))),
          handler_(wechatpay::verifier({wechatpay::certificate::from_file(o["platform-cert"]).value()}),
                   wechatpay::apiv3_key::from(read(o["apiv3-key-file"])).value(),
                   std::make_shared<redis::dedup>(conn_, o["mchid"], lease(o.number("lease-ms")))) {
        tls_.use_certificate_chain_file(o["tls-cert"]);
        tls_.use_private_key_file(o["tls-key"], asio::ssl::context::pem);
        acceptor_.open(tcp::v4());
        acceptor_.bind({asio::ip::make_address("127.0.0.1"), 0});
        acceptor_.listen();
        asio::co_spawn(ioc_, accept_loop(), asio::detached);
    }
    std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

private:
    static redis::options redis_at(int port) {
        redis::options r;
        r.port = static_cast<std::uint16_t>(port);
        return r;
    }
    static redis::dedup_options lease(int ms) {
        redis::dedup_options d;
        d.lease = std::chrono::milliseconds(ms);
        return d;
    }
    static std::string read(const std::string& file) {
        std::ifstream in(file);
        std::string key((std::istreambuf_iterator<char>(in)), {});
        while (!key.empty() && (key.back() == '\n' || key.back() == '\r')) key.pop_back();
        return key;
    }

    asio::awaitable<long long> incr(std::string key) {
        std::vector<std::string> command{"INCR", std::move(key)};  // g++ 12: no braced temporary in co_await
        auto r = co_await conn_->async_exec(std::move(command), asio::use_awaitable);
        if (!r) throw wechatpay::exception(r.error());
        co_return r->integer;
    }

    // The business effect; `out` tells serve() which order the delivery was for.
    asio::awaitable<result<void>> effect(const wechatpay::notification& n, std::string& out) {
        const auto t = n.transaction();
        if (!t) co_return t.error();
        const std::string no = t->out_trade_no;
        out = no;
        if (no.starts_with("FLAKY") && co_await incr("fleet:tries:" + no) == 1)
            co_return wechatpay::error(wechatpay::errc::invalid_argument, "database unavailable (simulated)");
        if (no.starts_with("SLOW") && co_await incr("fleet:started:" + no) == 1) {  // slow the first time only
            asio::steady_timer slow(co_await asio::this_coro::executor, std::chrono::milliseconds(slow_));
            co_await slow.async_wait(asio::use_awaitable);
        }
        co_await incr("fleet:effects:" + no);
        std::vector<std::string> command{"RPUSH", "fleet:log", no + " " + name_};
        auto logged = co_await conn_->async_exec(std::move(command), asio::use_awaitable);
        if (!logged) co_return logged.error();
        co_return result<void>();
    }

    asio::awaitable<void> accept_loop() {
        for (;;) {
            // Each connection on its own strand: beast's timeout and the exchange never run at
            // once on two io threads.
            auto strand = asio::make_strand(ioc_);
            auto [ec, socket] = co_await acceptor_.async_accept(strand, no_throw);
            if (ec) co_return;
            asio::co_spawn(strand, serve(std::move(socket)), asio::detached);
        }
    }

    asio::awaitable<void> serve(tcp::socket socket) {
        beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), tls_);
        beast::get_lowest_layer(stream).expires_after(10s);
        auto [hec] = co_await stream.async_handshake(asio::ssl::stream_base::server, no_throw);
        if (hec) co_return;
        beast::flat_buffer buffer;
        http::request<http::string_body> req;
        auto [rec, rn] = co_await http::async_read(stream, buffer, req, no_throw);
        if (rec) co_return;
        beast::get_lowest_layer(stream).expires_never();  // a slow effect takes its time
        auto order = std::make_shared<std::string>();
        const wechatpay::notification_effect run = [this, order](const wechatpay::notification& n) {
            return effect(n, *order);
        };
        const auto headers = wechatpay::signature_headers::from_fields(req);
        const auto reply = co_await handler_.async_handle(headers, std::move(req.body()), run);
        if (reply.status == 204 && order->starts_with("LOST") && co_await incr("fleet:lost:" + *order) == 1)
            co_return;  // the answer never reaches WeChat: it redelivers a handled notification
        http::response<http::string_body> res{static_cast<http::status>(reply.status), 11};
        if (!reply.content_type.empty()) res.set(http::field::content_type, reply.content_type);
        res.body() = reply.body;
        res.prepare_payload();
        beast::get_lowest_layer(stream).expires_after(5s);
        co_await http::async_write(stream, res, no_throw);
        co_await stream.async_shutdown(no_throw);
    }

    asio::io_context& ioc_;
    const std::string name_;
    const int slow_;
    asio::ssl::context tls_{asio::ssl::context::tls_server};
    tcp::acceptor acceptor_{ioc_};
    std::shared_ptr<redis::connection> conn_;
    const wechatpay::notification_handler handler_;
};

}  // namespace

int main(int argc, char** argv) try {
    fleet_options o;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string_view k = argv[i];
        if (!k.starts_with("--")) throw std::runtime_error("usage: see the comment atop fleet_receiver.cpp");
        o.args[std::string(k.substr(2))] = argv[i + 1];
    }
    asio::io_context ioc;
    receiver r(ioc, o);
    std::cout << "listening " << r.port() << std::endl;
    std::vector<std::thread> threads;
    for (int t = 0; t < 2; ++t) threads.emplace_back([&ioc] { ioc.run(); });
    for (auto& t : threads) t.join();  // until killed
} catch (const std::exception& e) {
    std::cerr << "fleet_receiver: " << e.what() << "\n";
    return 1;
}
