// A small synchronous HTTPS client for integration tests against the WeChat Pay simulator: real
// TLS over loopback (the server certificate is verified against the simulator's CA, host name
// and SNI included), one keep-alive connection reused between calls, every socket operation
// bounded by a deadline so that no test can hang. signed_call signs like a merchant
// (wechatpay::signer); unsigned_call serves the /sim/ control API and hand-made Authorization
// headers. Not thread-safe: one client per thread.
#pragma once

#include <wechatpay/error.hpp>
#include <wechatpay/signer.hpp>
#include <wechatpay/verifier.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wechatpay::sim {
class simulator;
}

namespace wechatpay_test {

using header_list = std::vector<std::pair<std::string, std::string>>;

// One HTTP answer as received.
struct sim_answer {
    unsigned status = 0;
    wechatpay::signature_headers headers;  // Wechatpay-* and Request-ID
    std::string body;                      // raw bytes, as signed
    std::string request_id;
    boost::beast::http::response<boost::beast::http::string_body> raw;  // every header

    bool has_header(std::string_view name) const;
    std::string header(std::string_view name) const;  // empty when absent
    boost::json::value json() const;                   // the body parsed; throws when not JSON
};

class sim_client {
public:
    // Connects to host:port (lazily, on the first call), trusting only `ca_file`.
    sim_client(std::string host, std::uint16_t port, const std::filesystem::path& ca_file,
               std::optional<wechatpay::signer> signer = std::nullopt,
               std::chrono::milliseconds timeout = std::chrono::seconds(10));
    // The same for a running simulator.
    explicit sim_client(const wechatpay::sim::simulator& sim,
                        std::optional<wechatpay::signer> signer = std::nullopt,
                        std::chrono::milliseconds timeout = std::chrono::seconds(10));
    ~sim_client();
    sim_client(const sim_client&) = delete;
    sim_client& operator=(const sim_client&) = delete;

    // Signs METHOD, TARGET (path?query) and BODY with the signer, adds the Authorization header,
    // sends and reads the answer. A transport failure (connection closed, truncated answer,
    // timeout) is an error whose code is the Asio / Beast / SSL error.
    wechatpay::result<sim_answer> signed_call(std::string_view method, std::string_view target,
                                              std::string_view body = {},
                                              const header_list& extra = {});
    // The same without Authorization (control endpoints, hand-made or missing signatures).
    wechatpay::result<sim_answer> unsigned_call(std::string_view method, std::string_view target,
                                                std::string_view body = {},
                                                const header_list& extra = {});

    // Closes the connection (TLS close_notify, bounded by a short deadline); the next call
    // opens a new one.
    void disconnect();
    bool connected() const noexcept;
    // Connections this client has opened, and whether the last handshake resumed a session.
    unsigned connections_opened() const noexcept { return connections_opened_; }
    bool last_handshake_resumed() const noexcept { return last_resumed_; }
    // Offer the TLS session of the previous connection when opening the next one.
    void resume_sessions(bool on) noexcept { resume_ = on; }

    // Reads from the kept-alive connection until the server closes it or `within` passes, then
    // drops it. Returns the error that ended the read: eof / stream_truncated when the server
    // closed it, beast::error::timeout when it stayed open; an errc::invalid_argument error
    // code when there was no connection or the server sent data.
    boost::system::error_code wait_for_server_close(std::chrono::milliseconds within);

private:
    struct connection;
    wechatpay::result<void> connect();
    void run();  // runs the io_context until the started operations have completed
    wechatpay::result<sim_answer> exchange(std::string_view method, std::string_view target,
                                           std::string_view body, const header_list& extra);

    std::string host_;
    std::uint16_t port_;
    std::optional<wechatpay::signer> signer_;
    std::chrono::milliseconds timeout_;
    boost::asio::io_context ioc_;
    boost::asio::ssl::context tls_;
    std::unique_ptr<connection> conn_;
    std::shared_ptr<void> session_;  // SSL_SESSION of the last connection
    bool resume_ = false;
    bool last_resumed_ = false;
    unsigned connections_opened_ = 0;
};

// Closed by the peer: what a read sees when the server closes a TLS connection, with or without
// close_notify.
bool is_closed_by_peer(const boost::system::error_code& ec);

}  // namespace wechatpay_test
