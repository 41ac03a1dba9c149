// The WeChat Pay API v3 client. One per merchant, shared by every caller of a server:
// thread-safe; underneath every call
//   build request → sign (merchant key) → pooled HTTPS session → verify answer → typed result.
//
// Asynchronous model. Every operation is an Asio asynchronous operation: async_x(args…, token)
// with the completion signature void(wechatpay::result<T>), so the whole error (kind, code,
// HTTP status, WeChat's code/message/detail, Request-ID) reaches any completion token:
//   co_await wechat.async_query_by_out_trade_no(no);                 // no token: an awaitable
//   wechat.async_refund(req, [](wechatpay::result<refund> r) {…});  // a callback
//   auto f = wechat.async_close_order(no, asio::use_future);         // from a non-io thread
//   asio::deferred, experimental::parallel_group, awaitable operators (|| with a timer) …
// The arguments are taken at initiation; so are the client's internals, so destroying the
// client object (or moving from it) while operations run is safe: they complete as usual.
//
// Where it runs. The work runs on the client's executor (the one given to the constructor);
// each connection on a strand of its own, certificate downloads on another. The completion is
// delivered through the token's associated executor (Asio's rules), the client's by default.
//
// Cancellation. Each operation follows the cancellation slot associated with its token
// (bind_cancellation_slot, parallel_group, awaitable operators, a coroutine's own slot) and
// supports terminal cancellation: it completes with asio::error::operation_aborted, the
// connection it was using is discarded and the pool stays healthy. What WeChat Pay did is
// unknown: a cancelled prepay, close or refund may have taken effect — query, or repeat it with
// the same out_trade_no / out_refund_no, which WeChat treats as the same request.
//
// Lifecycle. shutdown() (also run by ~client) stops the background certificate refresh, wakes
// calls waiting for a session or a certificate download, closes idle connections, and makes
// every later operation complete at once with asio::error::shut_down. Calls already sending
// finish; after that nothing of the client keeps io_context::run() busy.
#pragma once

#include <wechatpay/complaints.hpp>
#include <wechatpay/config.hpp>
#include <wechatpay/error.hpp>
#include <wechatpay/models.hpp>
#include <wechatpay/notification.hpp>
#include <wechatpay/profit_sharing.hpp>
#include <wechatpay/partner.hpp>
#include <wechatpay/requests.hpp>
#include <wechatpay/transfers.hpp>
#include <wechatpay/upload.hpp>
#include <wechatpay/verifier.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace wechatpay {

// What an operation completes with, type-erased (its cancellation slot and executor kept).
template <class T>
using completion_handler = boost::asio::any_completion_handler<void(result<T>)>;

// The token of a call that gives none: an awaitable of result<T>, for co_await.
using default_token = boost::asio::use_awaitable_t<>;

// Takes a download piece by piece, in order (at most 64 KiB each), on the connection's strand:
// it must not block for long. An error it returns stops the download and becomes its result.
using download_sink = std::function<result<void>(std::string_view)>;

// An answer of the raw async_request() escape hatch.
struct api_response {
    unsigned status = 0;
    std::string body;
    std::string request_id;
    // False for file downloads (WeChat does not sign files) and for a non-2xx answer without
    // any signature header (see error::unverified): its status and body are unproven.
    bool verified = false;
};

// What a raw request adds to the client's own headers. Refused before any I/O
// (invalid_argument): a header check_extra_header refuses or one given twice; a serial that is
// neither a certificate serial (hex) nor a PUB_KEY_ID_….
struct request_options {
    std::vector<std::pair<std::string, std::string>> headers;  // e.g. {"Accept-Language", "en"}
    // The call's Wechatpay-Serial: the serial encrypt_field() gave with the ciphertexts the body
    // carries. Empty: the client's preferred key, as every other call sends.
    std::string serial;
};

struct client_stats {
    std::size_t sessions_open = 0, sessions_idle = 0, sessions_in_use = 0;
    std::uint64_t connects = 0, handshakes = 0, resumed_handshakes = 0, reuses = 0;
    std::uint64_t waits = 0, acquire_timeouts = 0, discarded = 0;
    std::uint64_t calls = 0, retries = 0, failovers = 0, certificate_refreshes = 0;
};

class client {
public:
    using executor_type = boost::asio::any_io_executor;

    // Validates the config (errors name the field) and, in certificate-download mode, starts
    // the first download and the background refresh on `ex`. Throws wechatpay::exception when
    // the config is unusable; create() returns the error instead.
    client(executor_type ex, client_config cfg);
    static result<std::unique_ptr<client>> create(executor_type ex, client_config cfg);
    // A moved-from client may only be destroyed or assigned to.
    client(client&&) noexcept = default;
    client& operator=(client&& other) noexcept;  // shuts down the client it replaces
    ~client();                                   // shutdown()

    executor_type get_executor() const noexcept;

    // See "Lifecycle" above. Idempotent, thread-safe, returns at once.
    void shutdown();

    // ---- payments ----
    // prepay_id + the APP SDK's PayReq parameters, signed by the merchant.
    template <class Token = default_token>
    auto async_prepay_app(prepay_request req, Token&& token = {}) {
        return initiate<app_prepay>(std::forward<Token>(token), &client::prepay_app_op, std::move(req));
    }
    // prepay_id + the wx.requestPayment / WeixinJSBridge parameters.
    template <class Token = default_token>
    auto async_prepay_jsapi(prepay_request req, Token&& token = {}) {
        return initiate<jsapi_prepay>(std::forward<Token>(token), &client::prepay_jsapi_op, std::move(req));
    }
    // code_url (render it as a QR code).
    template <class Token = default_token>
    auto async_prepay_native(prepay_request req, Token&& token = {}) {
        return initiate<std::string>(std::forward<Token>(token), &client::prepay_native_op, std::move(req));
    }
    // h5_url.
    template <class Token = default_token>
    auto async_prepay_h5(prepay_request req, Token&& token = {}) {
        return initiate<std::string>(std::forward<Token>(token), &client::prepay_h5_op, std::move(req));
    }
    template <class Token = default_token>
    auto async_query_by_out_trade_no(std::string out_trade_no, Token&& token = {}) {
        return initiate<transaction>(std::forward<Token>(token), &client::query_by_out_trade_no_op,
                                     std::move(out_trade_no));
    }
    template <class Token = default_token>
    auto async_query_by_transaction_id(std::string transaction_id, Token&& token = {}) {
        return initiate<transaction>(std::forward<Token>(token), &client::query_by_transaction_id_op,
                                     std::move(transaction_id));
    }
    // Closes an unpaid order (POST …/out-trade-no/{no}/close).
    template <class Token = default_token>
    auto async_close_order(std::string out_trade_no, Token&& token = {}) {
        return initiate<void>(std::forward<Token>(token), &client::close_order_op, std::move(out_trade_no));
    }

    // ---- refunds ----
    template <class Token = default_token>
    auto async_refund(refund_request req, Token&& token = {}) {
        return initiate<wechatpay::refund>(std::forward<Token>(token), &client::refund_op, std::move(req));
    }
    template <class Token = default_token>
    auto async_query_refund(std::string out_refund_no, Token&& token = {}) {
        return initiate<wechatpay::refund>(std::forward<Token>(token), &client::query_refund_op,
                                           std::move(out_refund_no));
    }

    // ---- bills ----
    template <class Token = default_token>
    auto async_trade_bill(trade_bill_request req, Token&& token = {}) {
        return initiate<bill_info>(std::forward<Token>(token), &client::trade_bill_op, std::move(req));
    }
    template <class Token = default_token>
    auto async_fundflow_bill(fundflow_bill_request req, Token&& token = {}) {
        return initiate<bill_info>(std::forward<Token>(token), &client::fundflow_bill_op, std::move(req));
    }
    // Streams the bill (signed request, unsigned answer) into `file`, in memory bounded
    // whatever its size: gunzipped as it arrives when gzip, its SHA1 computed on the way and
    // checked against hash_value at the end. The bytes go to a temporary file in file's
    // directory, renamed onto `file` only once the whole bill verified; on any failure
    // (errc::hash_mismatch, errc::malformed_gzip, a dropped connection, cancellation, a full
    // disk) it is removed and `file` is left as it was.
    template <class Token = default_token>
    auto async_download_bill_to(bill_info bill, std::filesystem::path file, Token&& token = {}) {
        return initiate<bill_download>(std::forward<Token>(token), &client::download_bill_to_file_op, std::move(bill),
                                       std::move(file));
    }
    // The same into `sink`. The sink sees the bill's bytes before they are verified: only a
    // completion without error says that what it got is the whole bill, with the right hash.
    // A sink that throws ends the download with an error (errc::callback_exception, or the
    // error of a wechatpay::exception), as one it returns does.
    template <class Token = default_token>
    auto async_download_bill_to(bill_info bill, download_sink sink, Token&& token = {}) {
        return initiate<bill_download>(std::forward<Token>(token), &client::download_bill_to_sink_op, std::move(bill),
                                       std::move(sink));
    }
    // A small bill into memory, checked as above; a bill over max_bill_in_memory (64 MiB) is
    // errc::body_too_large: stream those with async_download_bill_to.
    static constexpr std::size_t max_bill_in_memory = 64 * 1024 * 1024;
    template <class Token = default_token>
    auto async_download_bill(bill_info bill, Token&& token = {}) {
        return initiate<std::string>(std::forward<Token>(token), &client::download_bill_op, std::move(bill));
    }

    // ---- customer complaints 2.0 (see complaints.hpp) ----
    // One page of the complaints filed between begin_date and end_date (at most 30 days apart).
    // payer_phone comes decrypted with the merchant key.
    template <class Token = default_token>
    auto async_list_complaints(complaint_list_request req, Token&& token = {}) {
        return initiate<complaint_page>(std::forward<Token>(token), &client::list_complaints_op, std::move(req));
    }
    // Every complaint between begin_date and end_date, whatever the span: 30-day windows, each
    // paged through with req.limit a page (offset is ignored). Stops at the first error.
    template <class Token = default_token>
    auto async_list_all_complaints(complaint_list_request req, Token&& token = {}) {
        return initiate<std::vector<complaint>>(std::forward<Token>(token), &client::list_all_complaints_op,
                                                std::move(req));
    }
    // One complaint's detail, payer_phone decrypted.
    template <class Token = default_token>
    auto async_complaint(std::string complaint_id, Token&& token = {}) {
        return initiate<wechatpay::complaint>(std::forward<Token>(token), &client::complaint_op,
                                              std::move(complaint_id));
    }
    template <class Token = default_token>
    auto async_complaint_negotiations(negotiation_request req, Token&& token = {}) {
        return initiate<negotiation_page>(std::forward<Token>(token), &client::complaint_negotiations_op,
                                          std::move(req));
    }
    // Answers the payer (the first answer moves a PENDING complaint to PROCESSING).
    // complainted_mchid defaults to the client's mchid.
    template <class Token = default_token>
    auto async_respond_complaint(std::string complaint_id, complaint_response response, Token&& token = {}) {
        return initiate<void>(std::forward<Token>(token), &client::respond_complaint_op, std::move(complaint_id),
                              std::move(response));
    }
    // Tells WeChat the complaint is handled (PROCESSED); the payer is then asked to rate it.
    template <class Token = default_token>
    auto async_complete_complaint(std::string complaint_id, Token&& token = {}) {
        return initiate<void>(std::forward<Token>(token), &client::complete_complaint_op, std::move(complaint_id));
    }
    // The merchant's decision on a refund the payer asked for (problem_type REFUND).
    template <class Token = default_token>
    auto async_update_refund_progress(std::string complaint_id, refund_progress progress, Token&& token = {}) {
        return initiate<void>(std::forward<Token>(token), &client::update_refund_progress_op,
                              std::move(complaint_id), std::move(progress));
    }
    // Where WeChat sends COMPLAINT.* notifications: create (POST), query (GET), update (PUT),
    // delete (DELETE) /v3/merchant-service/complaint-notifications.
    template <class Token = default_token>
    auto async_create_complaint_notify_url(std::string url, Token&& token = {}) {
        return initiate<complaint_notify_url>(std::forward<Token>(token), &client::complaint_notify_url_op,
                                              std::string("POST"), std::move(url));
    }
    template <class Token = default_token>
    auto async_query_complaint_notify_url(Token&& token = {}) {
        return initiate<complaint_notify_url>(std::forward<Token>(token), &client::complaint_notify_url_op,
                                              std::string("GET"), std::string());
    }
    template <class Token = default_token>
    auto async_update_complaint_notify_url(std::string url, Token&& token = {}) {
        return initiate<complaint_notify_url>(std::forward<Token>(token), &client::complaint_notify_url_op,
                                              std::string("PUT"), std::move(url));
    }
    template <class Token = default_token>
    auto async_delete_complaint_notify_url(Token&& token = {}) {
        return initiate<void>(std::forward<Token>(token), &client::delete_complaint_notify_url_op);
    }
    // An image for a response or a refund rejection (JPG/BMP/PNG ≤ 2 MiB) → its media_id.
    template <class Token = default_token>
    auto async_upload_complaint_image(upload_file file, Token&& token = {}) {
        return initiate<std::string>(std::forward<Token>(token), &client::media_upload_op,
                                     std::string(complaint_image_upload_target), std::move(file));
    }
    // A complaint image (a media_url of complaint_media_list, or its media_id) streamed into
    // `file` (a temporary file renamed onto it once complete) or `sink`. WeChat does not sign
    // this answer: its path must be on client_config::unsigned_download_paths (it is by
    // default), else the image must verify first. A non-2xx answer is errc::api_error. An
    // unsigned image of more than 32 MiB fails with boost::beast::http::error::body_limit (no
    // file is left; a sink has been given at most 32 MiB).
    template <class Token = default_token>
    auto async_download_complaint_image(std::string media_url, std::filesystem::path file, Token&& token = {}) {
        return initiate<image_download>(std::forward<Token>(token), &client::download_image_to_file_op,
                                        std::move(media_url), std::move(file));
    }
    template <class Token = default_token>
    auto async_download_complaint_image(std::string media_url, download_sink sink, Token&& token = {}) {
        return initiate<image_download>(std::forward<Token>(token), &client::download_image_to_sink_op,
                                        std::move(media_url), std::move(sink));
    }

    // ---- merchant transfer bills (see transfers.hpp, and its RETRY RULE) ----
    // Creates the bill (appid defaults to the client's). user_name, when given, is encrypted
    // with WeChat Pay's preferred key and its serial sent as Wechatpay-Serial. The client's own
    // retries resend the same body; after an error the transfer may exist: query it, or call
    // again with the SAME out_bill_no — never a new one until the bill is FAIL or CANCELLED.
    // The answer's confirm holds what the mini-program / app needs (mchId, appId, package).
    template <class Token = default_token>
    auto async_create_transfer(transfer_bill_request req, Token&& token = {}) {
        return initiate<transfer_bill>(std::forward<Token>(token), &client::create_transfer_op, std::move(req));
    }
    template <class Token = default_token>
    auto async_query_transfer_by_out_bill_no(std::string out_bill_no, Token&& token = {}) {
        return initiate<transfer_bill>(std::forward<Token>(token), &client::query_transfer_op, std::move(out_bill_no),
                                       false);
    }
    template <class Token = default_token>
    auto async_query_transfer_by_transfer_bill_no(std::string transfer_bill_no, Token&& token = {}) {
        return initiate<transfer_bill>(std::forward<Token>(token), &client::query_transfer_op,
                                       std::move(transfer_bill_no), true);
    }
    // Cancels a bill the user has not confirmed yet: CANCELING, then CANCELLED (query to see it).
    template <class Token = default_token>
    auto async_cancel_transfer(std::string out_bill_no, Token&& token = {}) {
        return initiate<transfer_bill>(std::forward<Token>(token), &client::cancel_transfer_op, std::move(out_bill_no));
    }
    // Electronic receipts of SUCCESS bills that named the payee: apply, then query until FINISHED.
    template <class Token = default_token>
    auto async_apply_transfer_receipt(std::string out_bill_no, Token&& token = {}) {
        return initiate<transfer_receipt>(std::forward<Token>(token), &client::transfer_receipt_op,
                                          std::move(out_bill_no), std::string("apply"));
    }
    template <class Token = default_token>
    auto async_query_transfer_receipt(std::string out_bill_no, Token&& token = {}) {
        return initiate<transfer_receipt>(std::forward<Token>(token), &client::transfer_receipt_op,
                                          std::move(out_bill_no), std::string("out-bill-no"));
    }
    template <class Token = default_token>
    auto async_query_transfer_receipt_by_transfer_bill_no(std::string transfer_bill_no, Token&& token = {}) {
        return initiate<transfer_receipt>(std::forward<Token>(token), &client::transfer_receipt_op,
                                          std::move(transfer_bill_no), std::string("transfer-bill-no"));
    }
    // A FINISHED receipt's file (download_url on the configured WeChat Pay host; WeChat does not
    // sign it: its path must be on client_config::unsigned_download_paths, as it is by default),
    // checked against hash_value (SHA256) before it is written to `file` or handed back.
    // errc::hash_mismatch when it differs; nothing is written then.
    template <class Token = default_token>
    auto async_download_transfer_receipt(transfer_receipt receipt, std::filesystem::path file, Token&& token = {}) {
        return initiate<receipt_download>(std::forward<Token>(token), &client::download_receipt_op,
                                          std::move(receipt), std::move(file));
    }
    // ---- profit sharing (分账, see profit_sharing.hpp) ----
    // Splits a paid order prepaid with profit_sharing = true among receivers added before
    // (async_add_split_receiver). Receivers' names are encrypted with the client's preferred
    // WeChat Pay key, whose serial the request names. appid defaults to the client's. WeChat
    // answers PROCESSING: query for the result, or wait for PROFITSHARING.SUCCESS. Repeating a
    // request with the same out_order_no is the same split (after a lost answer, repeat or query).
    template <class Token = default_token>
    auto async_split(split_request req, Token&& token = {}) {
        return initiate<split_order>(std::forward<Token>(token), &client::split_op, std::move(req));
    }
    template <class Token = default_token>
    auto async_query_split(std::string transaction_id, std::string out_order_no, Token&& token = {}) {
        return initiate<split_order>(std::forward<Token>(token), &client::query_split_op, std::move(transaction_id),
                                     std::move(out_order_no));
    }
    // Returns what is still unsplit to the merchant (解冻剩余资金): no split of the order after it.
    template <class Token = default_token>
    auto async_unfreeze_split(unfreeze_request req, Token&& token = {}) {
        return initiate<split_order>(std::forward<Token>(token), &client::unfreeze_split_op, std::move(req));
    }
    // Takes money back from a MERCHANT_ID receiver of a split (请求分账回退).
    template <class Token = default_token>
    auto async_split_return(split_return_request req, Token&& token = {}) {
        return initiate<split_return>(std::forward<Token>(token), &client::split_return_op, std::move(req));
    }
    template <class Token = default_token>
    auto async_query_split_return(std::string out_order_no, std::string out_return_no, Token&& token = {}) {
        return initiate<split_return>(std::forward<Token>(token), &client::query_split_return_op,
                                      std::move(out_order_no), std::move(out_return_no));
    }
    // What of a transaction is still frozen for splits (查询剩余待分金额).
    template <class Token = default_token>
    auto async_unsplit_amount(std::string transaction_id, Token&& token = {}) {
        return initiate<unsplit_amount>(std::forward<Token>(token), &client::unsplit_amount_op,
                                        std::move(transaction_id));
    }
    template <class Token = default_token>
    auto async_add_split_receiver(receiver_request req, Token&& token = {}) {
        return initiate<receiver_answer>(std::forward<Token>(token), &client::receiver_op, std::move(req), true);
    }
    template <class Token = default_token>
    auto async_delete_split_receiver(receiver_request req, Token&& token = {}) {
        return initiate<receiver_answer>(std::forward<Token>(token), &client::receiver_op, std::move(req), false);
    }
    // The day's split bill: a bill_info for async_download_bill / async_download_bill_to (the
    // file comes unsigned from /v3/billdownload/file, on unsigned_download_paths by default).
    template <class Token = default_token>
    auto async_split_bill(split_bill_request req, Token&& token = {}) {
        return initiate<bill_info>(std::forward<Token>(token), &client::split_bill_op, std::move(req));
    }
    // ---- service providers: partner mode and combine payments (see partner.hpp) ----
    // The client is the service provider (its mchid/appid the sp_mchid/sp_appid, its keys the
    // provider's); each call names its sub-merchant, an empty sub_mchid meaning the config's
    // default. Any number of sub-merchants may be served at once by one client.
    template <class Token = default_token>
    auto async_partner_prepay_jsapi(partner_prepay_request req, Token&& token = {}) {
        return initiate<jsapi_prepay>(std::forward<Token>(token), &client::partner_prepay_jsapi_op, std::move(req));
    }
    // The APP SDK's parameters: appid the paying app (sub_appid or sp_appid), partnerid the
    // sub_mchid, signed with the provider's key.
    template <class Token = default_token>
    auto async_partner_prepay_app(partner_prepay_request req, Token&& token = {}) {
        return initiate<app_prepay>(std::forward<Token>(token), &client::partner_prepay_app_op, std::move(req));
    }
    template <class Token = default_token>
    auto async_partner_prepay_native(partner_prepay_request req, Token&& token = {}) {
        return initiate<std::string>(std::forward<Token>(token), &client::partner_prepay_url_op, std::move(req),
                                     prepay_kind::native);
    }
    template <class Token = default_token>
    auto async_partner_prepay_h5(partner_prepay_request req, Token&& token = {}) {
        return initiate<std::string>(std::forward<Token>(token), &client::partner_prepay_url_op, std::move(req),
                                     prepay_kind::h5);
    }
    // GET /v3/pay/partner/transactions/out-trade-no/{no}?sp_mchid=&sub_mchid=
    template <class Token = default_token>
    auto async_partner_query_by_out_trade_no(std::string sub_mchid, std::string out_trade_no, Token&& token = {}) {
        return initiate<transaction>(std::forward<Token>(token), &client::partner_query_op, std::move(sub_mchid),
                                     std::move(out_trade_no), false);
    }
    // GET /v3/pay/partner/transactions/id/{transaction_id}?sp_mchid=&sub_mchid=
    template <class Token = default_token>
    auto async_partner_query_by_transaction_id(std::string sub_mchid, std::string transaction_id, Token&& token = {}) {
        return initiate<transaction>(std::forward<Token>(token), &client::partner_query_op, std::move(sub_mchid),
                                     std::move(transaction_id), true);
    }
    // POST /v3/pay/partner/transactions/out-trade-no/{no}/close {sp_mchid, sub_mchid}
    template <class Token = default_token>
    auto async_partner_close_order(std::string sub_mchid, std::string out_trade_no, Token&& token = {}) {
        return initiate<void>(std::forward<Token>(token), &client::partner_close_op, std::move(sub_mchid),
                              std::move(out_trade_no));
    }
    // POST /v3/refund/domestic/refunds with req.sub_mchid (the default when empty).
    template <class Token = default_token>
    auto async_partner_refund(refund_request req, Token&& token = {}) {
        return initiate<wechatpay::refund>(std::forward<Token>(token), &client::partner_refund_op, std::move(req));
    }
    // GET /v3/refund/domestic/refunds/{out_refund_no}?sub_mchid=
    template <class Token = default_token>
    auto async_partner_query_refund(std::string sub_mchid, std::string out_refund_no, Token&& token = {}) {
        return initiate<wechatpay::refund>(std::forward<Token>(token), &client::partner_query_refund_op,
                                           std::move(sub_mchid), std::move(out_refund_no));
    }
    // GET /v3/bill/tradebill?…&sub_mchid= : one sub-merchant's trade bill (download it with
    // async_download_bill / async_download_bill_to as any other).
    template <class Token = default_token>
    auto async_partner_trade_bill(std::string sub_mchid, trade_bill_request req, Token&& token = {}) {
        return initiate<bill_info>(std::forward<Token>(token), &client::partner_trade_bill_op, std::move(sub_mchid),
                                   std::move(req));
    }
    // GET /v3/bill/sub-merchant-fundflowbill: where a sub-merchant's fund-flow bill files are
    // and how each is encrypted (partner.hpp). Download them with
    // async_download_encrypted_bill_to, or ask and download at once with
    // async_partner_download_fundflow_bill.
    template <class Token = default_token>
    auto async_partner_fundflow_bill(sub_fundflow_bill_request req, Token&& token = {}) {
        return initiate<encrypted_bill_list>(std::forward<Token>(token), &client::partner_fundflow_bill_op,
                                             std::move(req));
    }
    // One encrypted file into `file`, in memory bounded whatever its size: its AES key
    // recovered with the merchant private key (RSA-OAEP) and wiped once the decryption holds it,
    // decrypted as it arrives, gunzipped when gzip, its SHA1 checked, then its GCM tag at the
    // end. Written to a temporary file renamed onto `file` only once everything verified; on
    // any failure (errc::decrypt_failed, errc::hash_mismatch, errc::malformed_gzip, a dropped
    // connection, cancellation) `file` is left as it was.
    template <class Token = default_token>
    auto async_download_encrypted_bill_to(encrypted_bill_part part, std::filesystem::path file, Token&& token = {}) {
        return initiate<bill_download>(std::forward<Token>(token), &client::download_encrypted_bill_op,
                                       std::move(part), std::move(file));
    }
    // The list, then every file in bill_sequence order, decrypted and checked as above, joined
    // into `file` (the whole bill): `file` appears only once every file verified.
    template <class Token = default_token>
    auto async_partner_download_fundflow_bill(sub_fundflow_bill_request req, std::filesystem::path file,
                                              Token&& token = {}) {
        return initiate<sub_fundflow_bill_download>(std::forward<Token>(token),
                                                    &client::partner_fundflow_bill_to_file_op, std::move(req),
                                                    std::move(file));
    }
    // The same into `sink`: it sees each file's bytes before its tag and hash are checked (only
    // a completion without error says it got the whole bill, verified).
    template <class Token = default_token>
    auto async_partner_download_fundflow_bill(sub_fundflow_bill_request req, download_sink sink, Token&& token = {}) {
        return initiate<sub_fundflow_bill_download>(std::forward<Token>(token),
                                                    &client::partner_fundflow_bill_to_sink_op, std::move(req),
                                                    std::move(sink));
    }
    // Combine payments: one payment for several sub-orders (POST /v3/combine-transactions/…).
    // combine_appid / combine_mchid and each sub-order's mchid default to the client's. The
    // payment parameters are the combine_appid's, signed with the client's key.
    template <class Token = default_token>
    auto async_combine_prepay_app(combine_prepay_request req, Token&& token = {}) {
        return initiate<app_prepay>(std::forward<Token>(token), &client::combine_prepay_app_op, std::move(req));
    }
    template <class Token = default_token>
    auto async_combine_prepay_jsapi(combine_prepay_request req, Token&& token = {}) {
        return initiate<jsapi_prepay>(std::forward<Token>(token), &client::combine_prepay_jsapi_op, std::move(req));
    }
    template <class Token = default_token>
    auto async_combine_prepay_native(combine_prepay_request req, Token&& token = {}) {
        return initiate<std::string>(std::forward<Token>(token), &client::combine_prepay_url_op, std::move(req),
                                     prepay_kind::native);
    }
    template <class Token = default_token>
    auto async_combine_prepay_h5(combine_prepay_request req, Token&& token = {}) {
        return initiate<std::string>(std::forward<Token>(token), &client::combine_prepay_url_op, std::move(req),
                                     prepay_kind::h5);
    }
    // GET /v3/combine-transactions/out-trade-no/{combine_out_trade_no}: the sub-orders each with
    // its state (and transaction_id once paid).
    template <class Token = default_token>
    auto async_combine_query(std::string combine_out_trade_no, Token&& token = {}) {
        return initiate<combine_transaction>(std::forward<Token>(token), &client::combine_query_op,
                                             std::move(combine_out_trade_no));
    }
    // Closes the unpaid combine order and its sub-orders.
    template <class Token = default_token>
    auto async_combine_close(combine_close_request req, Token&& token = {}) {
        return initiate<void>(std::forward<Token>(token), &client::combine_close_op, std::move(req));
    }

    // ---- WeChat Pay's keys ----
    // Downloads /v3/certificates, decrypts and checks them (the answer must verify with a
    // certificate it contains or one already trusted). In download mode this also refreshes
    // the client's verifier. With only a WeChat Pay public key configured: an empty list,
    // nothing sent (such a merchant has no platform certificates).
    template <class Token = default_token>
    auto async_certificates(Token&& token = {}) {
        return initiate<std::vector<certificate>>(std::forward<Token>(token), &client::certificates_op);
    }

    // Any other v3 endpoint: signs, sends, verifies. Any HTTP status is a value here; only
    // transport and verification failures are errors. A non-2xx answer without signature
    // headers comes back too, with verified = false (retried first when 5xx or 429, like a
    // signed one, if the method is GET). `target` is origin-form path?query (see
    // is_origin_form); it and `method` are refused before any I/O otherwise.
    template <class Token = default_token>
        requires(!std::is_same_v<std::decay_t<Token>, request_options>)
    auto async_request(std::string method, std::string target, std::string body, Token&& token = {}) {
        return async_request(std::move(method), std::move(target), std::move(body), request_options{},
                             std::forward<Token>(token));
    }
    // The same with extra headers and an explicit Wechatpay-Serial (see request_options).
    template <class Token = default_token>
    auto async_request(std::string method, std::string target, std::string body, request_options options,
                       Token&& token = {}) {
        return initiate<api_response>(std::forward<Token>(token), &client::request_op, std::move(method),
                                      std::move(target), std::move(body), std::move(options));
    }

    // A multipart upload (POST `target`, parts meta and file; the signature covers meta), any
    // HTTP status a value as with async_request. `file` is refused before any I/O when
    // check_upload refuses it.
    template <class Token = default_token>
    auto async_upload(std::string target, upload_file file, Token&& token = {}) {
        return initiate<api_response>(std::forward<Token>(token), &client::upload_op, std::move(target),
                                      std::move(file));
    }
    // The media_id of an image (JPG/BMP/PNG ≤ 2 MiB) or a video (≤ 5 MiB) uploaded to
    // /v3/merchant/media/upload or …/video_upload; a non-2xx answer is errc::api_error.
    template <class Token = default_token>
    auto async_upload_image(upload_file file, Token&& token = {}) {
        return initiate<std::string>(std::forward<Token>(token), &client::media_upload_op,
                                     std::string(image_upload_target), std::move(file));
    }
    template <class Token = default_token>
    auto async_upload_video(upload_file file, Token&& token = {}) {
        return initiate<std::string>(std::forward<Token>(token), &client::media_upload_op,
                                     std::string(video_upload_target), std::move(file));
    }

    // Encrypts a sensitive field with the client's preferred WeChat Pay key now, and names that
    // key: pass .serial as request_options::serial with the request that carries .ciphertext.
    result<encrypted_field> encrypt_field(std::string_view plaintext) const;

    // GET `target` streamed into `file` (a temporary file renamed onto it), for downloads the
    // typed API does not cover. An answer on client_config::unsigned_download_paths streams
    // as it arrives; any other must verify first. A 2xx answer's body goes to the file (the
    // result's body is empty); another status writes nothing, its body in the result.
    template <class Token = default_token>
    auto async_download_to(std::string target, std::filesystem::path file, Token&& token = {}) {
        return initiate<api_response>(std::forward<Token>(token), &client::download_to_op, std::move(target),
                                      std::move(file));
    }

    // The receiver of callbacks: the client's current WeChat Pay keys (in download mode a
    // notification with an unknown serial prompts the same rate-limited download as an answer),
    // its notification_dedup store and its logger; launched on the client's executor.
    notification_handler notifications() const;
    verifier current_verifier() const;
    const signer& merchant_signer() const;
    client_stats stats() const;
    const client_config& config() const;

    client(const client&) = delete;
    client& operator=(const client&) = delete;

    struct impl;

private:
    template <class T>
    using op_result = boost::asio::awaitable<result<T>>;
    using impl_ptr = std::shared_ptr<impl>;

    // One coroutine per operation, holding the internals it was given (never `this`).
    static op_result<app_prepay> prepay_app_op(impl_ptr self, prepay_request req);
    static op_result<jsapi_prepay> prepay_jsapi_op(impl_ptr self, prepay_request req);
    static op_result<std::string> prepay_native_op(impl_ptr self, prepay_request req);
    static op_result<std::string> prepay_h5_op(impl_ptr self, prepay_request req);
    static op_result<transaction> query_by_out_trade_no_op(impl_ptr self, std::string out_trade_no);
    static op_result<transaction> query_by_transaction_id_op(impl_ptr self, std::string transaction_id);
    static op_result<void> close_order_op(impl_ptr self, std::string out_trade_no);
    static op_result<wechatpay::refund> refund_op(impl_ptr self, refund_request req);
    static op_result<wechatpay::refund> query_refund_op(impl_ptr self, std::string out_refund_no);
    static op_result<bill_info> trade_bill_op(impl_ptr self, trade_bill_request req);
    static op_result<bill_info> fundflow_bill_op(impl_ptr self, fundflow_bill_request req);
    static op_result<std::string> download_bill_op(impl_ptr self, bill_info bill);
    static op_result<bill_download> download_bill_to_file_op(impl_ptr self, bill_info bill, std::filesystem::path file);
    static op_result<bill_download> download_bill_to_sink_op(impl_ptr self, bill_info bill, download_sink sink);
    static op_result<api_response> download_to_op(impl_ptr self, std::string target, std::filesystem::path file);
    static op_result<std::vector<certificate>> certificates_op(impl_ptr self);
    static op_result<api_response> request_op(impl_ptr self, std::string method, std::string target,
                                              std::string body, request_options options);
    static op_result<api_response> upload_op(impl_ptr self, std::string target, upload_file file);
    static op_result<std::string> media_upload_op(impl_ptr self, std::string target, upload_file file);
    static op_result<complaint_page> list_complaints_op(impl_ptr self, complaint_list_request req);
    static op_result<std::vector<wechatpay::complaint>> list_all_complaints_op(impl_ptr self,
                                                                               complaint_list_request req);
    static op_result<wechatpay::complaint> complaint_op(impl_ptr self, std::string complaint_id);
    static op_result<negotiation_page> complaint_negotiations_op(impl_ptr self, negotiation_request req);
    static op_result<void> respond_complaint_op(impl_ptr self, std::string complaint_id, complaint_response response);
    static op_result<void> complete_complaint_op(impl_ptr self, std::string complaint_id);
    static op_result<void> update_refund_progress_op(impl_ptr self, std::string complaint_id,
                                                     refund_progress progress);
    static op_result<complaint_notify_url> complaint_notify_url_op(impl_ptr self, std::string method, std::string url);
    static op_result<void> delete_complaint_notify_url_op(impl_ptr self);
    static op_result<image_download> download_image_to_file_op(impl_ptr self, std::string media_url,
                                                               std::filesystem::path file);
    static op_result<transfer_bill> create_transfer_op(impl_ptr self, transfer_bill_request req);
    static op_result<transfer_bill> query_transfer_op(impl_ptr self, std::string no, bool by_transfer_bill_no);
    static op_result<transfer_bill> cancel_transfer_op(impl_ptr self, std::string out_bill_no);
    static op_result<transfer_receipt> transfer_receipt_op(impl_ptr self, std::string no, std::string how);
    static op_result<receipt_download> download_receipt_op(impl_ptr self, transfer_receipt receipt,
                                                          std::filesystem::path file);
    static op_result<image_download> download_image_to_sink_op(impl_ptr self, std::string media_url,
                                                               download_sink sink);
    static op_result<split_order> split_op(impl_ptr self, split_request req);
    static op_result<split_order> query_split_op(impl_ptr self, std::string transaction_id, std::string out_order_no);
    static op_result<split_order> unfreeze_split_op(impl_ptr self, unfreeze_request req);
    static op_result<split_return> split_return_op(impl_ptr self, split_return_request req);
    static op_result<split_return> query_split_return_op(impl_ptr self, std::string out_order_no,
                                                         std::string out_return_no);
    static op_result<unsplit_amount> unsplit_amount_op(impl_ptr self, std::string transaction_id);
    static op_result<receiver_answer> receiver_op(impl_ptr self, receiver_request req, bool add);
    static op_result<bill_info> split_bill_op(impl_ptr self, split_bill_request req);
    static op_result<jsapi_prepay> partner_prepay_jsapi_op(impl_ptr self, partner_prepay_request req);
    static op_result<app_prepay> partner_prepay_app_op(impl_ptr self, partner_prepay_request req);
    static op_result<std::string> partner_prepay_url_op(impl_ptr self, partner_prepay_request req, prepay_kind kind);
    static op_result<transaction> partner_query_op(impl_ptr self, std::string sub_mchid, std::string id,
                                                   bool by_transaction_id);
    static op_result<void> partner_close_op(impl_ptr self, std::string sub_mchid, std::string out_trade_no);
    static op_result<wechatpay::refund> partner_refund_op(impl_ptr self, refund_request req);
    static op_result<wechatpay::refund> partner_query_refund_op(impl_ptr self, std::string sub_mchid,
                                                                std::string out_refund_no);
    static op_result<bill_info> partner_trade_bill_op(impl_ptr self, std::string sub_mchid, trade_bill_request req);
    static op_result<encrypted_bill_list> partner_fundflow_bill_op(impl_ptr self, sub_fundflow_bill_request req);
    static op_result<bill_download> download_encrypted_bill_op(impl_ptr self, encrypted_bill_part part,
                                                               std::filesystem::path file);
    static op_result<sub_fundflow_bill_download> partner_fundflow_bill_to_file_op(impl_ptr self,
                                                                                  sub_fundflow_bill_request req,
                                                                                  std::filesystem::path file);
    static op_result<sub_fundflow_bill_download> partner_fundflow_bill_to_sink_op(impl_ptr self,
                                                                                  sub_fundflow_bill_request req,
                                                                                  download_sink sink);
    static op_result<app_prepay> combine_prepay_app_op(impl_ptr self, combine_prepay_request req);
    static op_result<jsapi_prepay> combine_prepay_jsapi_op(impl_ptr self, combine_prepay_request req);
    static op_result<std::string> combine_prepay_url_op(impl_ptr self, combine_prepay_request req, prepay_kind kind);
    static op_result<combine_transaction> combine_query_op(impl_ptr self, std::string combine_out_trade_no);
    static op_result<void> combine_close_op(impl_ptr self, combine_close_request req);

    // Runs `op` on the client's executor and completes `handler` with its result (through the
    // handler's executor, following its cancellation slot). Instantiated in client.cpp.
    template <class T>
    static void launch(impl_ptr self, op_result<T> op, completion_handler<T> handler);

    // The one place an operation meets its token. A coroutine awaiting the default token gets
    // the operation's own coroutine (no extra hop); every other token goes through launch().
    template <class T, class Token, class Op, class... Args>
    auto initiate(Token&& token, Op op, Args&&... args) {
        if constexpr (std::is_same_v<std::decay_t<Token>, default_token>) {
            return op(impl_, std::forward<Args>(args)...);
        } else {
            return boost::asio::async_initiate<Token, void(result<T>)>(
                [](auto handler, impl_ptr self, Op f, std::decay_t<Args>... a) {
                    launch<T>(self, f(self, std::move(a)...), completion_handler<T>(std::move(handler)));
                },
                token, impl_, op, std::forward<Args>(args)...);
        }
    }

    impl_ptr impl_;
};

}  // namespace wechatpay
