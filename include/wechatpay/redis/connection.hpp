// A connection to Redis for what several instances of a merchant's servers share (see
// redis/dedup.hpp). The protocol is hiredis's (Debian's libhiredis, the reference C client);
// this class drives its asynchronous context from an Asio executor, so that no io thread ever
// blocks on Redis.
#pragma once

#include <wechatpay/error.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace wechatpay::redis {

struct options {
    std::string host = "127.0.0.1";  // an IP address: hiredis would resolve a name blocking
    std::uint16_t port = 6379;
    std::string password;            // AUTH after each connect when set; never logged
    std::chrono::milliseconds connect_timeout{1000};
    std::chrono::milliseconds command_timeout{1000};
};

// A reply, copied out of hiredis's buffers. An error reply ("-ERR …") is not a reply: the
// command completes with an error holding its text.
struct reply {
    enum class type { nil, status, string, integer, array };
    type kind = type::nil;
    std::string str;  // status or bulk string
    long long integer = 0;
    std::vector<reply> elements;
};

// Thread-safe: commands from any thread are queued, in order, on one strand of the executor, and
// pipelined on one connection. The connection is opened by the first command and opened again by
// the first command after it failed. A command without an answer after command_timeout
// completes with boost::asio::error::timed_out and closes the connection (a late answer would be
// taken for the next command's); every command still waiting on a closed connection completes
// with an error (a connect that does not complete within connect_timeout: timed_out). Handlers
// run on their associated executor, never inside the call; from the call until the handler ran,
// that executor counts outstanding work (its io_context's run() waits for the answer, so stop
// the connection's own io_context only after the asker's have drained). Destroy it
// while its executor still runs: it closes there (if that executor's io_context is destroyed
// first, the commands still waiting are destroyed with it, not called).
class connection {
public:
    connection(boost::asio::any_io_executor ex, options opts);
    ~connection();  // closes the connection; waiting commands complete with an error
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    using handler_type = boost::asio::any_completion_handler<void(result<reply>)>;

    // One command, e.g. {"SET", key, value, "NX", "PX", "30000"}: binary-safe arguments.
    template <class Token>
    auto async_exec(std::vector<std::string> args, Token&& token) {
        return boost::asio::async_initiate<Token, void(result<reply>)>(
            [this](auto handler, std::vector<std::string> a) { exec(std::move(a), handler_type(std::move(handler))); },
            token, std::move(args));
    }

    boost::asio::any_io_executor get_executor() const;
    std::uint64_t connects() const;  // connections opened so far: for tests and monitoring

private:
    void exec(std::vector<std::string> args, handler_type handler);
    struct impl;
    std::shared_ptr<impl> impl_;
};

}  // namespace wechatpay::redis
