// The WeChat Pay API v3 client. One per merchant, shared by every coroutine of a server:
// thread-safe, each operation an awaitable returning result<T>. Underneath every call:
//   build request → sign (merchant key) → pooled HTTPS session → verify answer → typed result.
// Callbacks and futures reach it through co_spawn(ex, client.op(...), token).
//
// Cancellation: an operation follows its coroutine's cancellation slot; a cancelled call ends
// with operation_aborted, its session is discarded and the pool stays healthy.
#pragma once

#include <wechatpay/config.hpp>
#include <wechatpay/error.hpp>
#include <wechatpay/models.hpp>
#include <wechatpay/notification.hpp>
#include <wechatpay/requests.hpp>
#include <wechatpay/verifier.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace wechatpay {

template <class T>
using task = boost::asio::awaitable<result<T>>;

// A verified answer of the raw request() escape hatch.
struct api_response {
    unsigned status = 0;
    std::string body;
    std::string request_id;
    bool verified = false;  // false only for file downloads, which WeChat does not sign
};

struct client_stats {
    std::size_t sessions_open = 0, sessions_idle = 0, sessions_in_use = 0;
    std::uint64_t connects = 0, handshakes = 0, resumed_handshakes = 0, reuses = 0;
    std::uint64_t waits = 0, acquire_timeouts = 0, discarded = 0;
    std::uint64_t calls = 0, retries = 0, failovers = 0, certificate_refreshes = 0;
};

class client {
public:
    // Validates the config (errors name the field) and, in certificate-download mode, starts
    // the background refresh on `ex`. Throws wechatpay::exception when the config is unusable;
    // create() returns the error instead.
    client(boost::asio::any_io_executor ex, client_config cfg);
    static result<std::unique_ptr<client>> create(boost::asio::any_io_executor ex, client_config cfg);
    ~client();  // stops the refresh timer; calls still running keep the internals alive

    // ---- payments ----
    task<app_prepay> prepay_app(prepay_request req);      // prepay_id + APP payment parameters
    task<jsapi_prepay> prepay_jsapi(prepay_request req);  // prepay_id + wx.requestPayment parameters
    task<std::string> prepay_native(prepay_request req);  // code_url (render as a QR code)
    task<std::string> prepay_h5(prepay_request req);      // h5_url
    task<transaction> query_by_out_trade_no(std::string out_trade_no);
    task<transaction> query_by_transaction_id(std::string transaction_id);
    task<void> close(std::string out_trade_no);

    // ---- refunds ----
    task<wechatpay::refund> refund(refund_request req);
    task<wechatpay::refund> query_refund(std::string out_refund_no);

    // ---- bills ----
    task<bill_info> trade_bill(trade_bill_request req);
    task<bill_info> fundflow_bill(fundflow_bill_request req);
    // Downloads (signed request, unsigned answer), inflates gzip, and checks the SHA1 against
    // hash_value: a mismatch is errc::hash_mismatch.
    task<std::string> download_bill(bill_info bill);

    // ---- WeChat Pay's keys ----
    // Downloads /v3/certificates, decrypts and checks them (the answer must verify with a
    // certificate it contains or one already trusted). In download mode this also refreshes
    // the client's verifier.
    task<std::vector<certificate>> certificates();

    // Any other v3 endpoint: signs, sends, verifies. Any HTTP status is a value here; only
    // transport and verification failures are errors. `target` is path?query.
    task<api_response> request(std::string method, std::string target, std::string body = {});

    // Verifies and decrypts callbacks with the client's current WeChat Pay keys.
    notification_handler notifications() const;
    verifier current_verifier() const;
    const signer& merchant_signer() const;
    client_stats stats() const;
    const client_config& config() const;

    client(const client&) = delete;
    client& operator=(const client&) = delete;

    struct impl;

private:
    std::shared_ptr<impl> impl_;
};

}  // namespace wechatpay
