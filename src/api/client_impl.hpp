// The client's insides: the signed, pooled, retried and verified call (transport.cpp) and the
// WeChat Pay keys it verifies with, refreshed in certificate-download mode (certificates.cpp).
#pragma once

#include <wechatpay/client.hpp>
#include <wechatpay/signer.hpp>

#include "http/session_pool.hpp"

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <map>
#include <mutex>
#include <optional>

namespace wechatpay {

namespace asio = boost::asio;

struct call {
    net::http::verb method = net::http::verb::get;
    std::string target;  // path?query, exactly as signed
    std::string body;
    bool verify = true;      // file downloads are not signed
    bool retry_safe = true;  // may be sent again after a failure
    bool api_errors = false; // a non-2xx answer becomes errc::api_error (send_ok)
    std::uint64_t body_limit = 4 * 1024 * 1024;
};

inline call get(std::string target) {
    call c;
    c.target = std::move(target);
    return c;
}

inline call post(std::string target, std::string body) {
    call c;
    c.method = net::http::verb::post;
    c.target = std::move(target);
    c.body = std::move(body);
    return c;
}

struct client::impl : std::enable_shared_from_this<client::impl> {
    impl(asio::any_io_executor executor, client_config config, signer s);

    asio::any_io_executor ex;
    client_config cfg;
    signer merchant;
    asio::ssl::context tls{asio::ssl::context::tls_client};
    std::shared_ptr<net::session_pool> primary, backup;

    mutable std::mutex keys_mutex;
    verifier keys;  // WeChat Pay's keys; replaced whole on refresh

    // Certificate downloads run one at a time; calls that need one while it runs wait for it
    // instead of failing or downloading again. Touched on refresh_strand only.
    struct certificate_download;
    std::shared_ptr<certificate_download> download_in_flight;
    std::chrono::steady_clock::time_point last_on_demand{};
    std::optional<error> last_download_error;

    std::atomic<std::uint64_t> calls{0}, retries{0}, failovers{0}, refreshes{0};
    std::atomic<bool> stopped{false};  // shutdown(): later calls fail with asio::error::shut_down
    void shutdown();
    asio::strand<asio::any_io_executor> refresh_strand;
    std::shared_ptr<asio::cancellation_signal> stop_refresh = std::make_shared<asio::cancellation_signal>();

    // Signs, sends on a pooled session (retrying as the policy allows), verifies the answer.
    // Any HTTP status comes back as a response, unless c.api_errors.
    asio::awaitable<result<net::response>> send(call c);
    // send() + a 2xx check: WeChat's error body becomes errc::api_error with its fields. The
    // same coroutine (no frame of its own).
    asio::awaitable<result<net::response>> send_ok(call c) {
        c.api_errors = true;
        return send(std::move(c));
    }

    verifier current_keys() const;
    // Downloads /v3/certificates and installs them (the answer must verify with them or with
    // a certificate already trusted).
    asio::awaitable<result<std::vector<certificate>>> refresh_certificates();
    // Fresh certificates installed, from the download in flight or a new one. An `on_demand`
    // download (an unknown serial, none known yet) starts at most once a minute, so forged
    // serials cannot make the client download in a loop.
    asio::awaitable<result<void>> fresh_certificates(bool on_demand);
    static asio::awaitable<result<void>> join_download(std::shared_ptr<impl> self, bool on_demand);
    static asio::awaitable<void> run_download(std::shared_ptr<impl> self,
                                              std::shared_ptr<certificate_download> download);
    void start_refresh_loop();
    void stop_refresh_loop();
    static asio::awaitable<void> refresh_loop(std::weak_ptr<impl> self,
                                              std::shared_ptr<asio::cancellation_signal> keep_alive);

    void log(log_level level, std::string_view message, std::string_view request_id = {}) const {
        if (cfg.logger) cfg.logger(level, message, request_id);
    }

private:
    struct attempt_result {
        result<net::response> answer;
        bool network_failure = false;  // no HTTP answer at all (may fail over)
        bool retryable = true;         // false when another attempt cannot help
        bool resend_at_once = false;   // a reused session was found closed before any answer byte
    };
    // One exchange on a session from the pool.
    asio::awaitable<attempt_result> exchange_on(net::pooled_session& lease, const call& c, bool first_round);
    static asio::awaitable<void> pause(std::chrono::milliseconds delay);
    asio::awaitable<result<void>> verify_answer(const net::response& res);
};

// WeChat's error body {"code","message","detail"} as an error with diagnostics.
error api_error_from(const net::response& res, std::string_view what);

}  // namespace wechatpay
