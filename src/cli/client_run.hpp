// Running client operations from a verb: the client config option and a private io_context
// that runs one operation (or one coroutine of several) to its end.
#pragma once

#include "common.hpp"

#include <wechatpay/client.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <exception>
#include <optional>
#include <string>

namespace wechatpay::cli {

inline constexpr option config_option{"config", "FILE", "client config (JSON; see README)", true};

// Runs one client operation on a private io_context: `start(client, handler)` starts it; when
// it completes the client shuts down, and run() returns (every I/O step has its deadline).
template <class T, class Start>
result<T> run_client(const std::string& config_file, Start start) {
    const client_config cfg = unwrap(load_client_config(config_file), "--config " + excerpt(config_file, 256));
    boost::asio::io_context ioc;
    auto c = unwrap(client::create(ioc.get_executor(), cfg));
    std::optional<result<T>> answer;
    start(*c, [&](result<T> r) {
        answer = std::move(r);
        c->shutdown();
    });
    ioc.run();
    return std::move(*answer);
}

// The same for a coroutine of several calls: `op(client)` gives an awaitable<result<T>>.
template <class T, class Op>
result<T> run_client_coroutine(const std::string& config_file, Op op) {
    return run_client<T>(config_file, [&op](client& c, auto done) {
        boost::asio::co_spawn(c.get_executor(), op(c), [done](std::exception_ptr e, result<T> r) mutable {
            if (e) std::rethrow_exception(e);
            done(std::move(r));
        });
    });
}

}  // namespace wechatpay::cli
